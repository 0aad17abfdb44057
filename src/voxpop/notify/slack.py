"""Slack incoming webhooks: a message is ``{"text": ...}`` posted as JSON to the webhook's URL.

Slack reads ``&``, ``<`` and ``>`` in the text as control characters (links, ``<!channel>``
mentions); text written by strangers is escaped with :func:`escape` so a review can never ping a
whole channel or disguise a link.
"""

from __future__ import annotations

from voxpop.notify.webhook import post_json


def escape(text: str) -> str:
    """Slack's escaping for message text: only these three characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """A link with a label (the label escaped; a URL with ``|`` or ``>`` is shown bare)."""
    if any(c in url for c in "|<> "):
        return escape(label)
    return f"<{url}|{escape(label)}>"


def post_message(url: str, text: str, *, timeout: float, allow_private: bool) -> None:
    """Post one message; ``text`` is Slack mrkdwn, already escaped by the caller."""
    post_json(url, {"text": text}, timeout=timeout, allow_private=allow_private)
