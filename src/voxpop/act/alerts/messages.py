"""What an alert (or a digest of held-back alerts) says, for e-mail, Slack and webhooks.

Text written by strangers (a review's excerpt, an author's name) is escaped for each medium: HTML
through an autoescaping Jinja environment, Slack with its three control characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import PackageLoader, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from voxpop.act.alerts.destinations import Outgoing
from voxpop.notify import slack
from voxpop.store.models.outreach import Alert, AlertRule

_env = ImmutableSandboxedEnvironment(
    loader=PackageLoader("voxpop.act.alerts", "templates"),
    autoescape=select_autoescape(["html"], default=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


def alert_view(alert: Alert, rule: AlertRule, base_url: str) -> dict[str, Any]:
    """The alert as plain data: what every medium shows, and the webhook's JSON."""
    base = base_url.rstrip("/")
    return {
        "id": alert.id,
        "rule": rule.name,
        "kind": rule.kind,
        "title": alert.title,
        "item_id": alert.item_id,
        "item_link": f"{base}/items/{alert.item_id}" if alert.item_id else None,
        "history_link": f"{base}/alerts/history",
        "created_at": alert.created_at.isoformat(),
        "detail": alert.detail,
    }


def _slack_line(view: dict[str, Any]) -> str:
    head = slack.escape(view["title"])
    if view["item_link"]:
        head = slack.link(view["item_link"], view["title"])
    excerpt = view["detail"].get("excerpt")
    return f"*{head}*" + (f"\n> {slack.escape(excerpt)}" if excerpt else "")


def render(views: Sequence[dict[str, Any]], *, business: str, held: bool) -> Outgoing:
    """One alert, or (``held``/several) one digest listing them all."""
    if len(views) == 1 and not held:
        subject = f"[voxpop alert] {views[0]['title']}"
        slack_text = ":rotating_light: " + _slack_line(views[0])
        payload: dict[str, Any] = {"type": "alert", "alert": views[0]}
    else:
        subject = f"[voxpop alert] {len(views)} alerts held back by the rate limit"
        slack_text = f":rotating_light: *{len(views)} alerts* (held back by the rate limit):\n" + "\n".join(
            _slack_line(v) for v in views
        )
        payload = {"type": "alert_digest", "count": len(views), "alerts": list(views)}
    context = {"alerts": views, "digest": len(views) > 1 or held, "business": business, "subject": subject}
    return Outgoing(
        subject=subject.replace("\r", " ").replace("\n", " ")[:300],
        text=_env.get_template("alert.txt").render(context),
        html=_env.get_template("alert.html").render(context),
        slack=slack_text,
        payload=payload,
    )
