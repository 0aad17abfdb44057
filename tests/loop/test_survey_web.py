"""Survey pages over real HTTP: the builder (staff), the public link, and the e-mail with score buttons."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.loop.conftest import links_in
from tests.servers import SmtpSink
from tests.web.conftest import World, csrf_of, login
from voxpop.loop.survey_mail import send_invitations
from voxpop.loop.surveys import QuestionSpec, SurveySpec, add_question, create_survey
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Customer, Item
from voxpop.store.models.loop import Survey, SurveyResponse
from voxpop.web.app import create_app


def make_survey(store: Store) -> tuple[int, str, int]:
    with store.write() as s:
        survey = create_survey(s, SurveySpec(title="Your visit", thank_you="Cheers!"))
        q = add_question(
            s,
            survey,
            QuestionSpec(
                "nps", "Would you recommend us?", followup_at_or_below=6, followup_prompt="What should we improve?"
            ),
        )
        return survey.id, survey.slug, q.id


def count(store: Store, model: type) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_manager_builds_a_survey_and_agent_cannot(app_client: TestClient, store: Store, world: World) -> None:
    login(app_client, "manager@example.com")
    page = app_client.get("/surveys")
    token = csrf_of(page.text)
    created = app_client.post(
        "/surveys", data={"csrf_token": token, "title": "Breakfast <survey>"}, follow_redirects=False
    )
    assert created.status_code == 303
    survey_path = created.headers["location"]
    added = app_client.post(
        f"{survey_path}/questions",
        data={
            "csrf_token": token,
            "kind": "nps",
            "prompt": "Recommend?",
            "followup_at_or_below": "6",
            "followup_prompt": "What should we improve?",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    bad = app_client.post(
        f"{survey_path}/questions",
        data={"csrf_token": token, "kind": "single", "prompt": "Pick", "options": "only one"},
    )
    assert bad.status_code == 422
    assert "options" in bad.text
    no_csrf = app_client.post(f"{survey_path}/questions", data={"kind": "open", "prompt": "Q"})
    assert no_csrf.status_code == 403
    page = app_client.get(survey_path)
    assert "Breakfast &lt;survey&gt;" in page.text
    assert "Recommend?" in page.text
    app_client.cookies.clear()
    login(app_client, "agent@example.com")
    token = csrf_of(app_client.get("/surveys").text)
    refused = app_client.post("/surveys", data={"csrf_token": token, "title": "Nope"})
    assert refused.status_code == 403


def test_public_link_needs_csrf_drops_bots_and_edits_own_answer(app_client: TestClient, store: Store) -> None:
    _survey_id, slug, qid = make_survey(store)
    form = app_client.get(f"/s/{slug}")
    assert form.status_code == 200
    assert "Would you recommend us?" in form.text
    assert "Content-Security-Policy" in form.headers
    token = csrf_of(form.text)
    forged = TestClient(create_app(store.settings, store)).post(f"/s/{slug}", data={"csrf_token": "x", f"q{qid}": "5"})
    assert forged.status_code == 403
    bot = app_client.post(
        f"/s/{slug}", data={"csrf_token": token, f"q{qid}": "5", "website": "http://spam"}, follow_redirects=False
    )
    assert bot.status_code == 303
    assert count(store, SurveyResponse) == 0
    sent = app_client.post(
        f"/s/{slug}",
        data={"csrf_token": token, f"q{qid}": "4", f"q{qid}_followup": "<script>alert(1)</script> slow"},
        follow_redirects=True,
    )
    assert "Cheers!" in sent.text
    again = app_client.get(f"/s/{slug}")
    assert "You already answered" in again.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; slow" in again.text
    assert "<script>alert(1)" not in again.text
    app_client.post(f"/s/{slug}", data={"csrf_token": token, f"q{qid}": "9"})
    assert count(store, SurveyResponse) == 1
    assert count(store, Item) == 1
    with store.read() as s:
        item = s.scalars(select(Item)).one()
        assert item.rating_raw == 9.0
        assert item.raw["score_only"] is True


def test_invitation_mail_score_click_twice_stores_once(
    app_client: TestClient, store: Store, smtp_server: SmtpSink, world: World
) -> None:
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    mail_store = Store(settings)
    survey_id, _slug, qid = make_survey(store)
    login(app_client, "manager@example.com")
    token = csrf_of(app_client.get(f"/surveys/{survey_id}").text)
    app_client.post(
        f"/surveys/{survey_id}/recipients",
        data={"csrf_token": token, "emails": "Kim@Example.com, Kim <b>K</b>\nlee@example.com"},
    )
    with store.write() as s:
        s.add(Customer(email="lee@example.com", handles={}, attributes={}, unsubscribed_at=s.scalar(func.now())))
    result = send_invitations(mail_store, survey_id)
    mail_store.dispose()
    assert (result.sent, result.opted_out) == (1, 1)
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["kim@example.com"]
    assert "Kim &lt;b&gt;K&lt;/b&gt;" in mail.part("html")
    assert mail.message["List-Unsubscribe"]
    score_links = [link for link in links_in(mail.part("plain")) if "/score/" in link]
    assert len(score_links) == 11  # NPS 0..10
    three = urlsplit(score_links[3]).path
    app_client.cookies.clear()
    first = app_client.get(three, follow_redirects=True)
    assert first.status_code == 200
    assert "What should we improve?" in first.text
    assert "your score is saved" in first.text
    second = app_client.get(three, follow_redirects=True)
    assert second.status_code == 200
    assert count(store, SurveyResponse) == 1
    assert count(store, Item) == 1
    token = csrf_of(second.text)
    action = re.search(r'action="(/s/[^"]+/r/[^"]+)"', second.text)
    assert action
    app_client.post(action.group(1), data={"csrf_token": token, f"q{qid}": "3", f"q{qid}_followup": "Cold coffee"})
    with store.read() as s:
        item = s.scalars(select(Item)).one()
        assert item.rating_raw == 3.0
        assert "Cold coffee" in item.text
        assert item.customer_id is not None
        assert s.scalars(select(Customer.email).where(Customer.id == item.customer_id)).one() == "kim@example.com"
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "survey_invite_sent")).all()
        assert [a.detail["to"] for a in audit] == ["kim@example.com"]
    # A forged or altered score link is refused and stores nothing.
    assert app_client.get(three[:-3] + "abc").status_code == 403
    assert count(store, SurveyResponse) == 1
    # Sending again mails nobody new.
    again = Store(settings)
    assert send_invitations(again, survey_id).sent == 0
    again.dispose()


def test_unsubscribe_link_is_honoured(app_client: TestClient, store: Store, smtp_server: SmtpSink) -> None:
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    survey_id, _slug, _ = make_survey(store)
    with store.write() as s:
        from voxpop.loop.survey_mail import add_recipients

        add_recipients(s, s.get(Survey, survey_id), [("ann@example.com", None)])  # type: ignore[arg-type]
    mail_store = Store(settings)
    send_invitations(mail_store, survey_id)
    [mail] = smtp_server.wait_for(1)
    link = next(x for x in links_in(mail.part("plain")) if "/unsubscribe/" in x)
    page = app_client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert "Unsubscribe" in page.text
    done = app_client.post(urlsplit(link).path)
    assert done.status_code == 200
    assert "ann@example.com" in done.text
    with store.write() as s:
        from voxpop.loop.survey_mail import add_recipients

        second = create_survey(s, SurveySpec(title="Second"))
        add_recipients(s, second, [("ann@example.com", None)])
        second_id = second.id
    assert send_invitations(mail_store, second_id).opted_out == 1
    mail_store.dispose()
    assert len(smtp_server.messages) == 1


def test_simultaneous_clicks_store_one_answer(app_client: TestClient, store: Store) -> None:
    """Two clicks on the same button at the same moment (a double click, a mail scanner): one response."""
    import threading

    from voxpop.loop.survey_mail import add_recipients, score_token

    survey_id, slug, qid = make_survey(store)
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        add_recipients(s, survey, [("duo@example.com", None)])
        from voxpop.store.models.loop import SurveyRecipient

        recipient = s.scalars(select(SurveyRecipient)).one()
        paths = [f"/s/{slug}/score/{score_token(store.settings, recipient, qid, n)}" for n in (2, 2, 7, 7)]
    start = threading.Barrier(len(paths))
    codes: list[int] = []

    def click(path: str) -> None:
        start.wait()
        codes.append(app_client.get(path, follow_redirects=False).status_code)

    threads = [threading.Thread(target=click, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [303] * len(paths)
    assert count(store, SurveyResponse) == 1
    assert count(store, Item) == 1


def test_closed_survey_takes_no_answer(app_client: TestClient, store: Store) -> None:
    from voxpop.loop.survey_mail import add_recipients, recipient_token, score_token
    from voxpop.store.models.loop import SurveyRecipient

    survey_id, slug, qid = make_survey(store)
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        add_recipients(s, survey, [("late@example.com", None)])
        recipient = s.scalars(select(SurveyRecipient)).one()
        score = f"/s/{slug}/score/{score_token(store.settings, recipient, qid, 8)}"
        personal = f"/s/{slug}/r/{recipient_token(store.settings, recipient)}"
        survey.is_open = False
    token = csrf_of(app_client.get("/ideas").text)  # any public page sets the form cookie
    assert app_client.get(f"/s/{slug}").status_code == 410
    assert app_client.get(personal).status_code == 410
    assert app_client.get(score, follow_redirects=False).status_code == 410
    assert app_client.post(f"/s/{slug}", data={"csrf_token": token, f"q{qid}": "8"}).status_code == 403
    assert count(store, SurveyResponse) == 0
    assert count(store, Item) == 0


def test_builder_removes_questions_and_sets_a_closing_date(app_client: TestClient, store: Store, world: World) -> None:
    survey_id, slug, qid = make_survey(store)
    login(app_client, "manager@example.com")
    token = csrf_of(app_client.get(f"/surveys/{survey_id}").text)
    bad = app_client.post(f"/surveys/{survey_id}/closing", data={"csrf_token": token, "closes_on": "next week"})
    assert bad.status_code == 422
    app_client.post(f"/surveys/{survey_id}/closing", data={"csrf_token": token, "closes_on": "2020-01-31"})
    assert app_client.get(f"/s/{slug}").status_code == 410  # the date has passed
    app_client.post(f"/surveys/{survey_id}/closing", data={"csrf_token": token, "closes_on": ""})
    assert app_client.get(f"/s/{slug}").status_code == 200
    app_client.post(f"/surveys/{survey_id}/questions/{qid}/remove", data={"csrf_token": token})
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        assert survey.questions == []
        assert survey.closes_at is None
