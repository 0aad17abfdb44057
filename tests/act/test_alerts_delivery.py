"""Alerts go out over real transports: mail to a local SMTP server, Slack and webhook posts to a local
HTTP server. Deduplicated, retried without loss, and rate-limited into one digest."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.act.alerts_support import NOW, add_item, hours, manager, source, wired_store
from tests.servers import HttpSink, Response, SmtpSink
from voxpop.act.alerts.delivery import deliver_pending
from voxpop.act.alerts.destinations import create_destination
from voxpop.act.alerts.firing import evaluate_items
from voxpop.act.alerts.rules import create_rule
from voxpop.act.alerts.tasks import alert_stage
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from voxpop.store import Store
from voxpop.store.models import User
from voxpop.store.models.outreach import Alert, AlertDelivery, AlertMessage
from voxpop.workers.executor import get_executor
from voxpop.workers.pipeline import run_pipeline


def _rule(store: Store, user: User, kind: str, params: dict, destination_ids: list[int]) -> int:  # type: ignore[type-arg]
    with store.write() as s:
        return create_rule(s, user, name=f"{kind} rule", kind=kind, params=params, destination_ids=destination_ids).id


def _destination(store: Store, user: User, kind: str, target: str, **kw: object) -> int:
    with store.write() as s:
        return create_destination(s, user, store.settings, name=f"{kind} {target}", kind=kind, target=target, **kw).id  # type: ignore[arg-type]


def _count(store: Store, model: type) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_keyword_alert_by_mail_once_even_when_the_stage_runs_twice(store: Store, smtp_server: SmtpSink) -> None:
    wired = wired_store(store, smtp_server)
    boss = manager(wired)
    dest = _destination(wired, boss, "email", "ops@example.com")
    _rule(wired, boss, "keyword", {"keywords": ["food poisoning"]}, [dest])
    src = source(wired)
    hit = add_item(wired, src, text="I got FOOD POISONING after the <b>fish</b>", author_name="Evil\r\nBcc: x@y.z")
    add_item(wired, src, text="Lovely fish")

    alert_stage(wired, [hit, hit + 1])
    alert_stage(wired, [hit, hit + 1])  # a redelivered message

    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["ops@example.com"]
    assert f"item {hit}" in mail.subject
    assert "&lt;b&gt;fish&lt;/b&gt;" in mail.part("html")
    assert "<b>fish</b>" not in mail.part("html")
    assert f"https://vox.example/items/{hit}" in mail.part("plain")
    assert _count(wired, Alert) == 1
    assert len(smtp_server.messages) == 1


def test_pipeline_stage_alert_is_registered_and_fires(store: Store, http_server: HttpSink) -> None:
    wired = wired_store(store)
    boss = manager(wired)
    dest = _destination(wired, boss, "slack", f"{http_server.url}/hooks/slack")
    _rule(wired, boss, "rating", {"stars": 1}, [dest])
    src = source(wired)
    low = add_item(wired, src, rating=0.0, text="Rude staff <!channel> <https://evil.example|click>")
    add_item(wired, src, rating=1.0)

    run_pipeline(get_executor(wired), [low, low + 1], start="alert")

    [post] = http_server.requests
    assert post.path == "/hooks/slack"
    text = post.json()["text"]
    assert "rated 1★" in text
    # The stranger's text cannot ping the channel or forge a link.
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "<https://evil.example" not in text


def test_webhook_is_signed_the_way_a_receiver_checks(store: Store, http_server: HttpSink) -> None:
    wired = wired_store(store)
    boss = manager(wired)
    secret = "s3cret-s3cret-s3cret"
    dest = _destination(wired, boss, "webhook", f"{http_server.url}/hook", secret=secret)
    _rule(wired, boss, "viral", {"threshold": 0.8}, [dest])
    src = source(wired)
    item = add_item(wired, src, urgency=0.93)

    alert_stage(wired, [item])

    [post] = http_server.requests
    assert verify_signature(secret, post.headers[TIMESTAMP_HEADER], post.body, post.headers[SIGNATURE_HEADER])
    assert not verify_signature(
        "another-secret-value", post.headers[TIMESTAMP_HEADER], post.body, post.headers[SIGNATURE_HEADER]
    )
    tampered = post.body.replace(b"0.93", b"0.10")
    assert tampered != post.body
    assert not verify_signature(secret, post.headers[TIMESTAMP_HEADER], tampered, post.headers[SIGNATURE_HEADER])
    stale = str(int(post.headers[TIMESTAMP_HEADER]) - 3600)
    assert not verify_signature(secret, stale, post.body, post.headers[SIGNATURE_HEADER])
    payload = json.loads(post.body)
    assert payload["type"] == "alert"
    assert payload["alert"]["item_id"] == item


@pytest.mark.parametrize("failure", [Response(500, b"boom"), Response(200, b"late", delay=1.5)])
def test_a_failing_destination_keeps_the_alert_and_retries_it_once(
    store: Store, http_server: HttpSink, failure: Response
) -> None:
    wired = wired_store(store, alert_http_timeout_seconds=0.5)
    boss = manager(wired)
    dest = _destination(wired, boss, "webhook", f"{http_server.url}/hook")
    _rule(wired, boss, "viral", {"threshold": 0.5}, [dest])
    item = add_item(wired, source(wired), urgency=0.9)
    http_server.routes[("POST", "/hook")] = failure

    evaluate_items(wired, [item], now=NOW)
    report = deliver_pending(wired, now=NOW)

    assert report.failed == 1
    assert report.messages == 0
    with wired.read() as s:
        [delivery] = s.scalars(select(AlertDelivery)).all()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.last_error
    assert delivery.next_attempt_at > NOW
    # Not yet due: nothing is posted again.
    attempts_before = len(http_server.requests)
    deliver_pending(wired, now=NOW)
    assert len(http_server.requests) == attempts_before

    http_server.routes[("POST", "/hook")] = Response(204)
    report = deliver_pending(wired, now=NOW + hours(1))
    assert report.messages == 1
    report = deliver_pending(wired, now=NOW + hours(2))
    assert report.messages == 0
    assert sum(1 for r in http_server.requests if r.path == "/hook") == attempts_before + 1
    assert _count(wired, Alert) == 1


def test_a_flood_becomes_one_digest(store: Store, smtp_server: SmtpSink) -> None:
    wired = wired_store(store, smtp_server)
    boss = manager(wired)
    dest = _destination(wired, boss, "email", "ops@example.com", max_per_hour=3)
    _rule(wired, boss, "rating", {"stars": 2}, [dest])
    src = source(wired)
    first = [add_item(wired, src, rating=0.0, text=f"bad {n}") for n in range(2)]
    flood = [add_item(wired, src, rating=0.25, text=f"awful {n}") for n in range(25)]

    evaluate_items(wired, first, now=NOW)
    assert deliver_pending(wired, now=NOW).messages == 2  # within the limit: one mail each
    evaluate_items(wired, flood, now=NOW)
    report = deliver_pending(wired, now=NOW + hours(0.1))

    assert report.messages == 1
    assert report.digests == 1
    assert report.alerts == 25
    mails = smtp_server.wait_for(3)
    digest = mails[-1]
    assert "25 alerts held back" in digest.subject
    for n in range(25):
        assert f"awful {n}" in digest.part("plain")
    # The hour is now full: the next alert waits (kept), then goes out when the hour has room.
    late = add_item(wired, src, rating=0.0, text="one more")
    evaluate_items(wired, [late], now=NOW + hours(0.2))
    assert deliver_pending(wired, now=NOW + hours(0.2)).held == 1
    assert deliver_pending(wired, now=NOW + hours(1.2)).messages == 1
    assert _count(wired, AlertMessage) == 4
    assert len(smtp_server.wait_for(4)) == 4


def test_only_managers_make_rules_and_private_targets_are_refused(store: Store) -> None:
    from voxpop.accounts.users import create_user

    with store.write() as s:
        agent = create_user(s, email="agent@example.com", password="correct horse battery", role="agent")
    boss = manager(store)
    with store.write() as s, pytest.raises(PermissionDeniedError):
        create_rule(s, agent, name="x", kind="viral")
    with store.write() as s, pytest.raises(ValidationError, match="private, loopback"):
        create_destination(s, boss, store.settings, name="local", kind="webhook", target="http://127.0.0.1:9/x")
    with store.write() as s, pytest.raises(ValidationError, match="stars"):
        create_rule(s, boss, name="x", kind="rating", params={"stars": 9})
    with store.write() as s, pytest.raises(ValidationError, match="unknown alert rule kind"):
        create_rule(s, boss, name="x", kind="telepathy")


def test_a_failing_destination_is_not_hammered_with_each_waiting_alert(store: Store, http_server: HttpSink) -> None:
    wired = wired_store(store)
    boss = manager(wired)
    dest = _destination(wired, boss, "webhook", f"{http_server.url}/hook", max_per_hour=50)
    _rule(wired, boss, "viral", {"threshold": 0.5}, [dest])
    src = source(wired)
    items = [add_item(wired, src, urgency=0.9, text=f"fire {n}") for n in range(4)]
    http_server.routes[("POST", "/hook")] = Response(503, b"down")

    evaluate_items(wired, items, now=NOW)
    report = deliver_pending(wired, now=NOW)

    assert report.failed == 4
    assert len(http_server.requests) == 1  # one try, the rest wait for the retry
    with wired.read() as s:
        deliveries = s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
    assert [d.status for d in deliveries] == ["pending"] * 4
    assert [d.attempts for d in deliveries] == [1, 0, 0, 0]
    http_server.routes[("POST", "/hook")] = Response(200)
    assert deliver_pending(wired, now=NOW + hours(1)).alerts == 4
    assert _count(wired, AlertMessage) == 4
