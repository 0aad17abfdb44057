"""One builder per channel: each turns a plan into a record shaped like that platform's export."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Any

from voxpop.demo import business as biz
from voxpop.demo import plans
from voxpop.demo.bank import load
from voxpop.demo.item import SENTIMENT, DemoItem
from voxpop.demo.people import Person
from voxpop.demo.style import sentence_case, stylise
from voxpop.demo.timeline import Timeline
from voxpop.demo.voice import Plan, Text, Voice, foreign
from voxpop.ingest.records import ItemRecord

STARS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}
_REPLY_RATE = {"Old Town": 0.5, "Riverside": 0.35, "Northgate": 0.3, "Station Square": 0.25}
_FOREIGN = {"google": 0.03, "yelp": 0.01, "tripadvisor": 0.09, "twitter": 0.02, "instagram": 0.04}


class Builders:
    """Builds the items of every channel from one RNG, one timeline and one pool of customers."""

    def __init__(self, rng: random.Random, timeline: Timeline, people: list[Person]) -> None:
        self.rng = rng
        self.timeline = timeline
        self.people = people
        self.shops = list(biz.LOCATIONS)
        self.shop_weights = list(biz.LOCATIONS.values())

    # -- shared steps -------------------------------------------------------------------------------
    def person(self) -> Person:
        return self.rng.choice(self.people)

    def shop(self, person: Person | None = None) -> str:
        if person is not None and self.rng.random() < 0.6:
            return person.home
        return self.rng.choices(self.shops, self.shop_weights)[0]

    def situation(self, kind: str, location: str | None) -> tuple[datetime, frozenset[str], Plan, Voice]:
        at = self.timeline.moment(kind)
        stories = self.timeline.stories(at, location)
        days_in = {s.key: s.starts_days_ago - self.timeline.days_ago(at) for s in biz.STORIES}
        plan = plans.plan(self.rng, kind, location, stories, days_in)
        return at, stories, plan, Voice(self.rng, location=location, stories=stories)

    def item(self, channel: str, record: ItemRecord, plan: Plan, location: str | None, **extra: Any) -> DemoItem:
        record.channel = channel
        record.kind = biz.CHANNEL_BY_KEY[channel].kind
        record.location = location
        department = extra.pop("department", None) or biz.department_for(plan.primary, location)
        return DemoItem(
            source=biz.CHANNEL_BY_KEY[channel].source,
            record=record,
            sentiment=SENTIMENT[plan.mood],
            aspects=tuple(plan.aspects),
            department=department,
            story=extra.pop("story", plan.story),
            **extra,
        )

    def maybe_foreign(self, channel: str, plan: Plan, voice: Voice) -> Text | None:
        if self.rng.random() >= _FOREIGN.get(channel, 0.0):
            return None
        language = self.rng.choice(("es", "fr", "de"))
        return Text(foreign(self.rng, language, plan.mood, voice.filler))

    def reply(self, at: datetime, location: str, plan: Plan, stories: frozenset[str]) -> datetime | None:
        rate = _REPLY_RATE[location] * (0.4 if biz.PARTNER.key in stories else 1.0)
        if self.timeline.days_ago(at) < 1 or self.rng.random() >= rate:
            return None
        replied = at + timedelta(hours=self.rng.uniform(2, 96))
        return min(replied, self.timeline.now - timedelta(minutes=10))

    # -- review sites -------------------------------------------------------------------------------
    def review(self, channel: str) -> DemoItem:
        rng, who = self.rng, self.person()
        location = self.shop(who)
        at, stories, plan, voice = self.situation("review", location)
        stars = plans.rating(rng, plan.mood)
        titled = channel == "tripadvisor"
        text = self.maybe_foreign(channel, plan, voice) or voice.review(plan, with_title=titled, casual=0.15)
        if titled and text.title is None:
            text.title = voice.frame("title_pos" if stars >= 4 else "title_neg" if stars <= 2 else "title_mixed")
        name = who.display_name(rng)
        replied = self.reply(at, location, plan, stories)
        reply = voice.reply(plan.mood, name) if replied else None
        raw = _review_raw(channel, rng, name, stars, text, at, reply, replied)
        record = ItemRecord(
            text=text.text,
            created_at=at,
            title=text.title,
            author_name=name,
            rating=stars,
            rating_min=1,
            rating_max=5,
            product=text.product,
            raw=raw,
        )
        return self.item(channel, record, plan, location, replied_at=replied)

    # -- social media -------------------------------------------------------------------------------
    def mention(self, channel: str) -> DemoItem:
        rng, who = self.rng, self.person()
        location = self.shop(who) if rng.random() < 0.8 else None
        at, _stories, plan, voice = self.situation("mention", location)
        text = self.maybe_foreign(channel, plan, voice) or voice.social(plan)
        likes, shares = engagement(rng, who.followers, plan.mood, channel)
        record = ItemRecord(
            text=text.text,
            created_at=at,
            author_name=who.full_name,
            author_handle="@" + who.handle,
            product=text.product,
            reach_followers=who.followers,
            reach_likes=likes,
            reach_shares=shares,
            raw=_social_raw(channel, who, likes, shares),
        )
        return self.item(channel, record, plan, location)

    # -- NPS survey ---------------------------------------------------------------------------------
    def survey(self) -> DemoItem:
        rng, who = self.rng, self.person()
        location = self.shop(who)
        at, _stories, plan, voice = self.situation("survey", location)
        score = plans.nps_score(rng, plan.mood)
        text = voice.nps(plan)
        touchpoint = "delivery" if any(a == "delivery" for a, _ in plan.aspects) else rng.choice(("in-store", "app"))
        raw = {
            "survey": "Customer NPS",
            "question": f"How likely are you to recommend {biz.BUSINESS} to a friend or colleague?",
            "score": score,
            "open_question": "What is the main reason for your score?",
            "answer": text.text,
            "category": "promoter" if score >= 9 else "passive" if score >= 7 else "detractor",
            "touchpoint": touchpoint,
            "shop": location,
        }
        record = ItemRecord(
            text=text.text,
            created_at=at,
            author_name=who.full_name,
            author_email=who.email,
            rating=score,
            rating_min=0,
            rating_max=10,
            product=text.product,
            raw=raw,
        )
        return self.item("survey", record, plan, location)

    # -- support tickets ----------------------------------------------------------------------------
    def ticket(self) -> DemoItem:
        rng, who = self.rng, self.person()
        location: str | None = self.shop(who)
        roll = rng.random()
        if roll < 0.45 and location != "Northgate":  # delivery orders are cooked at Northgate
            location = "Northgate" if rng.random() < 0.4 else location
        at, _stories, plan, voice = self.situation("ticket", location)
        channels = load("channels")
        if roll > 0.92:  # catering and other enquiries
            plan = Plan("neu", [], story=None)
            subject_template, body_template = rng.choice(channels["ticket_catering"])
            given = voice.given()
            subject = voice.filler.fill(subject_template, **given).text
            body = voice.filler.fill(body_template, **given).text
            department = biz.SERVICE
        elif plan.mood == "neu":  # a question
            plan = Plan("neu", [])
            question = voice.frame("questions")
            subject = rng.choice(("Question", "Quick question", "Enquiry", sentence_case(question)))
            body = (
                sentence_case(question) + " " + rng.choice(("Thanks in advance.", "Many thanks.", "", "Thank you!"))
            ).strip()
            department = biz.SERVICE
        else:
            if not plan.aspects:
                plan = plans.usual_plan(rng, "ticket", location, "neg")
            plan.aspects = plan.aspects[:2]  # a ticket is about one or two things
            primary = plan.primary or "delivery"
            if primary in ("app", "billing") and rng.random() < 0.6:
                location = None
            lines = [sentence_case(voice.frame("context")) + "."] if rng.random() < 0.5 else []
            if plan.mood == "pos":  # a thank-you by e-mail
                subject = rng.choice(("Thank you!", "Compliment", "Just wanted to say thanks", "Great experience"))
                lines.append(sentence_case(voice.body(plan)) + ". " + voice.frame("closer_pos").capitalize() + ".")
            else:
                pool = channels["ticket_subject"].get(primary, channels["ticket_subject"]["food"])
                subject = voice.pick(pool).text
                lines.append(sentence_case(voice.body(plan)) + ".")
                lines += [voice.pick(channels["ticket_detail"]).text, voice.pick(channels["ticket_ask"]).text]
            body = " ".join(lines)
            department = None
        greeting = rng.choice(channels["ticket_greeting"])
        signoff = voice.pick(channels["ticket_signoff"], first=who.first, last=who.last).text
        text = "\n\n".join(p for p in (greeting, stylise(body, rng, mood=plan.mood, emoji=[]), signoff) if p)
        number = f"CS-{rng.randint(10000, 99999)}"
        raw = {
            "ticket_id": number,
            "subject": subject,
            "requester": {"name": who.full_name, "email": who.email},
            "via": "email",
            "priority": "high" if plan.story == biz.PARTNER.key else rng.choice(("normal", "normal", "low", "high")),
            "tags": sorted({a for a, _ in plan.aspects}),
        }
        record = ItemRecord(
            text=text,
            created_at=at,
            title=subject,
            author_name=who.full_name,
            author_email=who.email,
            url=f"https://help.crumbandkettle.example/tickets/{number}",
            product=voice.products[0] if voice.products else None,
            raw=raw,
        )
        return self.item("email", record, plan, location, department=department)

    # -- website widget -----------------------------------------------------------------------------
    def feedback(self) -> DemoItem:
        rng = self.rng
        location = self.shop() if rng.random() < 0.3 else None
        at = self.timeline.moment("feedback")
        stories = self.timeline.stories(at, location)
        voice = Voice(rng, location=location, stories=stories)
        channels = load("channels")
        mood_ = rng.choices(("neg", "pos", "neu"), (0.45, 0.3, 0.25))[0]
        key = {"neg": "widget_neg", "pos": "widget_pos", "neu": "widget_request"}[mood_]
        text = voice.pick(channels[key]).text
        if mood_ != "neu" and not text.endswith("?") and rng.random() < 0.4:
            text += rng.choice((". ", ", also ", ". And ")) + voice.clause("app", mood_, Plan(mood_, []))
        suffix = voice.pick(channels[f"widget_suffix_{mood_}"]).text
        if suffix:
            text += rng.choice((" - ", " ") if text.endswith("?") else (", ", ". ", " - ", " ")) + suffix
        plan = Plan(mood_, [("app", mood_)])
        stars = {"neg": rng.choice((1, 2)), "pos": rng.choice((4, 5)), "neu": 3}[mood_] if rng.random() < 0.6 else None
        page = rng.choice(channels["widget_page"])
        raw = {"page": page, "device": rng.choice(("mobile", "mobile", "desktop", "tablet")), "widget": "smiley"}
        record = ItemRecord(
            text=stylise(text, rng, mood=mood_, emoji=voice.emoji(mood_), casual=0.3),
            created_at=at,
            url=biz.WEBSITE + page,
            rating=stars,
            rating_min=1 if stars else None,
            rating_max=5 if stars else None,
            raw=raw,
        )
        return self.item("website", record, plan, location, department="App & Website")

    # -- staff notes --------------------------------------------------------------------------------
    def note(self) -> DemoItem:
        rng = self.rng
        location = self.shop()
        at = self.timeline.moment("note")
        stories = self.timeline.stories(at, location)
        voice = Voice(rng, location=location, stories=stories)
        channels = load("channels")
        text = voice.pick(channels["note"]).text
        prefix, suffix = voice.pick(channels["note_prefix"]).text, voice.pick(channels["note_suffix"]).text
        text = " ".join(p for p in (prefix, text + ("," if suffix else ""), suffix) if p)
        lower = text.lower()
        mood_ = "pos" if _PRAISE.search(lower) else "neg" if _TROUBLE.search(lower) else "neu"
        staff = rng.choice(load("vocab")["staff"])
        record = ItemRecord(
            text=sentence_case(text),
            created_at=at,
            author_name=f"{staff} ({location})",
            product=voice.products[0] if voice.products else None,
            raw={"role": rng.choice(("barista", "shift lead", "baker", "manager")), "shop": location},
        )
        department = next((d for words, d in _NOTE_ROUTES if words.search(lower)), f"{location} café")
        return self.item("staff", record, Plan(mood_, []), location, department=department)


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")")


_PRAISE = _words("praised", "compliment", "lovely", "thank you card", "happy after")
_TROUBLE = _words(
    "complain",
    "rude",
    "late",
    "cold",
    "ran out",
    "struggled",
    "playing up",
    "dropped",
    "spilled",
    "annoyed",
    "hard to read",
    "too much",
    "smaller",
    "not showing",
    "missing",
    "waiting",
    "reset",
)
_NOTE_ROUTES = (
    (_words("rider", "delivery", biz.COURIER.lower()), "Delivery"),
    (_words("app", "loyalty"), "App & Website"),
    (_words("gluten", "vegan", "nut", "allerg", "rye", "decaf", "oat milk", "sold out"), "Menu & Product"),
    (_words("price", "discount", "catering"), biz.SERVICE),
)


def engagement(rng: random.Random, followers: int, mood_: str, channel: str) -> tuple[int, int]:
    """Likes and shares: a share of the followers, more for complaints, more on Instagram."""
    rate = rng.lognormvariate(-3.6, 0.9) * (1.8 if mood_ == "neg" else 1.0) * (2.0 if channel == "instagram" else 1)
    likes = int(followers * min(rate, 0.5))
    return likes, int(likes * rng.uniform(0.02, 0.35))


def _review_raw(
    channel: str,
    rng: random.Random,
    name: str,
    stars: int,
    text: Text,
    at: datetime,
    reply: str | None,
    replied: datetime | None,
) -> dict[str, Any]:
    """The review as the platform's export has it, with the business's reply when there is one."""
    if channel == "google":
        raw: dict[str, Any] = {
            "reviewer": {"displayName": name, "isAnonymous": False, "totalReviewCount": rng.randint(1, 140)},
            "starRating": STARS[stars],
            "comment": text.text,
            "createTime": at.isoformat(),
        }
        if reply and replied:
            raw["reviewReply"] = {"comment": reply, "updateTime": replied.isoformat()}
        return raw
    if channel == "yelp":
        raw = {
            "user": {"name": name, "review_count": rng.randint(1, 300)},
            "rating": stars,
            "text": text.text,
            "time_created": at.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if reply and replied:
            raw["business_owner_reply"] = {"text": reply, "time_created": replied.strftime("%Y-%m-%d %H:%M:%S")}
        return raw
    raw = {
        "title": text.title,
        "rating": stars,
        "text": text.text,
        "user": {"username": name},
        "trip_type": rng.choice(("Couples", "Family", "Friends", "Solo", "Business")),
        "travel_date": at.strftime("%Y-%m"),
        "published_date": at.isoformat(),
    }
    if reply and replied:
        raw["management_response"] = {"text": reply, "published_date": replied.isoformat()}
    return raw


def _social_raw(channel: str, who: Person, likes: int, shares: int) -> dict[str, Any]:
    if channel == "instagram":
        return {"username": who.handle, "like_count": likes, "comments_count": shares, "media_type": "IMAGE"}
    return {
        "user": {"screen_name": who.handle, "followers_count": who.followers},
        "favorite_count": likes,
        "retweet_count": shares,
    }
