"""Everything around the demo items, made through the same service functions the UI and the CLI use.

Routing rules, the reply-template library, events on the timeline, alert rules, a widget site, a survey
with answers and an idea board with votes (:func:`seed_setup`, before the analysis, so the pipeline's
route and alert stages see the rules), then agents' replies on older items (:func:`seed_replies`, after
it, so the templates can match each item's sentiment). Every step checks what is there first: running
the demo again adds nothing twice.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from voxpop.act.alerts import destinations as alert_destinations
from voxpop.act.alerts import rules as alert_rules
from voxpop.act.notes import add_note
from voxpop.act.replies import templates as reply_templates
from voxpop.act.replies.send import ReplyInput, ToneCheckFailed, send_reply
from voxpop.act.routing.rules import RuleSpec, create_rule, list_rules
from voxpop.demo import business as biz
from voxpop.errors import VoxpopError
from voxpop.loop import ideas as idea_board
from voxpop.loop import surveys, widget
from voxpop.loop.identity import start_identity
from voxpop.measure.events import add_event, list_events
from voxpop.store import Store
from voxpop.store.models import Item, ItemStatus, User
from voxpop.store.models.loop import Idea, Survey, WidgetSite
from voxpop.store.models.replies import Reply
from voxpop.store.models.routing import ItemNote
from voxpop.store.types import utcnow

log = logging.getLogger(__name__)

ROUTING_RULES = (
    {
        "name": "Food safety is top priority",
        "when": {"keywords": ["food poisoning", "sick", "allergic reaction", "hair in", "plastic", "foodsafety"]},
        "then": {"priority": 3, "sla_hours": 4, "tags": ["food-safety"]},
        "continue": True,
    },
    {
        "name": "Refunds and charges go to Billing",
        "when": {"keywords": ["refund", "refunded", "charged twice", "overcharged", "gift card", "invoice"]},
        "then": {"department": "Billing", "tags": ["money"]},
    },
    {
        "name": "Delivery trouble goes to Delivery",
        "when": {"keywords": [biz.COURIER, "delivery", "courier", "rider", "arrived cold"]},
        "then": {"department": "Delivery", "tags": ["delivery"]},
    },
)

ALERT_DESTINATION = ("Shift managers (e-mail)", "managers@crumbandkettle.example")
ALERT_RULES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Viral complaint", "viral", {"threshold": 0.8}),
    ("Food-safety words", "keyword", {"keywords": ["food poisoning", "allergic reaction", "plastic", "foodsafety"]}),
    ("One-star review", "rating", {"stars": 1}),
    ("Burst of likely-fake reviews", "fake_burst", {}),
    ("Negative spike", "spike", {}),
)

SURVEY = surveys.SurveySpec(
    title="How was your visit to Crumb & Kettle?",
    intro="Two quick questions about your last visit.",
    thank_you="Thank you — the team reads every answer.",
    questions=[
        surveys.QuestionSpec(
            "nps",
            "How likely are you to recommend Crumb & Kettle to a friend?",
            required=True,
            followup_at_or_below=6,
            followup_prompt="What should we have done better?",
        ),
        surveys.QuestionSpec("open", "Anything else you would like to tell us?"),
    ],
)
# (score, comment, follow-up): answers given on the survey's public page this week.
SURVEY_ANSWERS = (
    (10, "The new pumpkin loaf is wonderful, and the staff at Old Town remembered my order.", ""),
    (9, "Lovely seasonal menu. Coffee was great as always.", ""),
    (8, "", ""),
    (6, "Good coffee but the prices went up a lot lately.", "Keep the loyalty stamps worth something."),
    (3, "", "The delivery from Northgate came forty minutes late and cold."),
    (10, "Best cardamom buns in Larkhaven.", ""),
    (7, "Busy at lunch, queue out of the door at Station Square.", ""),
    (2, "", "I was charged twice in the app and still wait for the refund."),
    (9, "", ""),
    (5, "Riverside was out of oat milk again.", "Stock more oat milk, please."),
)

IDEAS = (
    ("Oat milk at no extra charge", "Most of my friends drink oat milk; charging extra feels like a penalty."),
    ("Pre-order in the app and skip the queue", "Let me order from the app and pick it up at the counter."),
    ("Bring the cardamom buns back every day", "They sell out by ten. Bake a second batch?"),
    ("Pick-up lockers at Northgate", "For delivery orders: let me collect from a locker instead of a rider."),
    ("Gluten-free loaf on the seasonal menu", ""),
)
VOTERS = tuple(f"{name.lower()}@example.com" for name in ("Alma", "Bruno", "Chidi", "Dana", "Emil", "Farah", "Gus"))
WIDGET_SITE = ("Crumb & Kettle website", [biz.WEBSITE])
NOTES = (
    "@{admin} this one is spreading fast — can you call the customer today? I have asked the shop for the batch.",
    "@{admin} big account, and they are right. Shall we offer a refund before we reply in public?",
    "Checked with the shift lead: confirmed. @{admin} please approve the goodwill voucher.",
)
ADMIN_HANDLE = "demo"  # demo@voxpop.local
REPLIES = 60  # replies agents sent on older items


@dataclass
class SeedReport:
    """What this run added (zero everywhere when the demo had it all already)."""

    added: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # steps that could not run here, with the reason
    item_ids: list[int] = field(default_factory=list)  # items made by the survey and the idea board

    def count(self, what: str, n: int = 1) -> None:
        self.added[what] = self.added.get(what, 0) + n


def _admin(store: Store, email: str) -> User:
    with store.read() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            raise VoxpopError(f"the demo admin {email} is missing; run `voxpop demo --reset`")
        session.expunge(user)
        return user


def seed_setup(store: Store, *, admin_email: str, created: datetime) -> SeedReport:
    """Rules, templates, events, alerts, widget, survey and ideas (each only when not there yet)."""
    report = SeedReport()
    admin = _admin(store, admin_email)
    with store.write() as session:
        names = {r.name for r in list_rules(session)}
        for data in ROUTING_RULES:
            if data["name"] not in names:
                create_rule(session, admin, RuleSpec.model_validate(data))
                report.count("routing rules")
        before = len(reply_templates.list_templates(session))
        reply_templates.ensure_library(session)
        report.count("reply templates", len(reply_templates.list_templates(session)) - before)
        report.count("events", _events(session, admin, created))
        report.count("alert rules", _alerts(session, admin, store))
        if session.scalar(select(WidgetSite.id).where(WidgetSite.name == WIDGET_SITE[0])) is None:
            widget.create_site(session, WIDGET_SITE[0], WIDGET_SITE[1])
            report.count("widget sites")
        if session.scalar(select(Survey.id).where(Survey.title == SURVEY.title)) is None:
            report.item_ids += _survey(session)
            report.count("survey answers", len(SURVEY_ANSWERS))
        report.count("team notes", _notes(session))
    try:
        with store.write() as session:
            if session.scalar(select(func.count(Idea.id))) == 0:
                report.item_ids += _ideas(session, store)
                report.count("ideas", len(IDEAS))
    except (ImportError, OSError, VoxpopError) as exc:  # the embedding model is not available here
        report.skipped.append(f"the idea board ({type(exc).__name__}: {exc})")
    return report


def _events(session: Session, admin: User, created: datetime) -> int:
    day = created.date()
    wanted = (
        (biz.PARTNER, "other", "Northgate", f"{biz.COURIER} delivers for the Northgate kitchen."),
        (biz.PRICE_RISE, "price", None, "Menu prices up by about 8 %."),
        (biz.SEASONAL, "campaign", None, "Seasonal menu launch campaign, in the shops and on Instagram."),
    )
    have = {e.name for e in list_events(session)}
    added = 0
    for story, kind, location, text in wanted:
        if story.label not in have:
            on = day - timedelta(days=story.starts_days_ago)
            add_event(session, admin, name=story.label, kind=kind, starts_on=on, location=location, description=text)
            added += 1
    return added


def _alerts(session: Session, admin: User, store: Store) -> int:
    name, target = ALERT_DESTINATION
    existing = {d.name: d for d in alert_destinations.list_destinations(session)}
    destination = existing.get(name) or alert_destinations.create_destination(
        session, admin, store.settings, name=name, kind="email", target=target, max_per_hour=5
    )
    have = {r.name for r in alert_rules.list_rules(session)}
    added = 0
    for rule_name, kind, params in ALERT_RULES:
        if rule_name not in have:
            alert_rules.create_rule(
                session, admin, name=rule_name, kind=kind, params=params, destination_ids=[destination.id]
            )
            added += 1
    return added


def _survey(session: Session) -> list[int]:
    survey = surveys.create_survey(session, SURVEY)
    score_q, open_q = survey.questions
    ids = []
    for score, comment, followup in SURVEY_ANSWERS:
        answers: dict[str, object] = {str(score_q.id): score}
        if followup:
            answers[f"{score_q.id}:followup"] = followup
        if comment:
            answers[str(open_q.id)] = comment
        _response, item_id = surveys.save_response(session, survey, answers)
        ids.append(item_id)
    return ids


def _notes(session: Session) -> int:
    """Agents hand the most pressing complaints to the admin with an @mention (what the Mentions page lists)."""
    if session.scalar(select(func.count(ItemNote.id))):
        return 0
    pressing = session.scalars(
        select(Item)
        .where(Item.department_id.is_not(None), Item.priority >= 1)
        .order_by(Item.priority.desc(), Item.created_at.desc(), Item.id)
        .limit(len(NOTES))
    ).all()
    agents = list(session.scalars(select(User).where(User.role == "agent")))
    added = 0
    for item, text in zip(pressing, NOTES, strict=False):
        author = next((a for a in agents if item.department_id in a.department_ids), None)
        if author is not None:
            add_note(session, author, item, text.format(admin=ADMIN_HANDLE))
            added += 1
    return added


def _ideas(session: Session, store: Store) -> list[int]:
    now = utcnow()
    people = []
    for email in VOTERS:
        identity = start_identity(session, email, email.split("@")[0].title())
        identity.verified_at = identity.verified_at or now  # as after following the magic link
        people.append(identity)
    ids = []
    for index, (title, body) in enumerate(IDEAS):
        author = people[index % len(people)]
        idea, item_id = idea_board.post_idea(session, store.settings, author, title, body)
        ids.append(item_id)
        for voter in people[: len(people) - index]:  # the first ideas are the most popular
            idea_board.vote(session, idea, voter)
    return ids


def seed_replies(store: Store, *, seed: str = "voxpop-demo-replies", limit: int = REPLIES) -> int:
    """Agents answer older handled items with a filled-in template, through the replies' send (tone check
    included). Each reply is then dated when the item was answered, as if it had been sent then."""
    with store.read() as session:
        if session.scalar(select(func.count(Reply.id))):
            return 0
        cutoff = utcnow() - timedelta(days=7)
        candidates = session.execute(
            select(Item.id, Item.department_id)
            .where(
                Item.department_id.is_not(None),
                Item.responded_at.is_not(None),
                Item.created_at < cutoff,
                Item.status.in_((ItemStatus.responded.value, ItemStatus.resolved.value)),
                Item.kind.in_(("review", "ticket", "mention")),
            )
            .order_by(Item.id)
        ).all()
        agents: dict[int, User] = {}
        for user in session.scalars(select(User).where(User.role == "agent")):
            for owned in user.department_ids:
                agents.setdefault(owned, user)
            session.expunge(user)
        templates = reply_templates.list_templates(session, language="en")
        for template in templates:
            session.expunge(template)
    rng = random.Random(seed)
    picked = rng.sample(candidates, min(limit, len(candidates)))
    sent = 0
    for item_id, department_id in sorted(picked):
        agent = agents.get(department_id) if department_id is not None else None
        if agent is None or not templates:
            continue
        with store.read() as session:
            item = session.get_one(Item, item_id)
            fitting = [t for t in templates if t.sentiment in (None, item.sentiment)] or templates
            template = rng.choice(fitting)
            text = reply_templates.fill(template, reply_templates.item_values(item, agent, business=biz.BUSINESS))
            answered = item.responded_at
            created = item.created_at
        try:
            reply = send_reply(store, agent, item_id, ReplyInput(text=text, template_id=template.id, origin="template"))
        except (ToneCheckFailed, VoxpopError) as exc:
            log.info("demo reply on item %s not sent: %s", item_id, exc)
            continue
        assert answered is not None
        with store.write() as session:
            session.execute(
                update(Reply)
                .where(Reply.id == reply.id)
                .values(sent_at=answered, response_seconds=max(0, int((answered - created).total_seconds())))
            )
        sent += 1
    return sent
