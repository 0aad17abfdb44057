"""The customer's own words in an e-mail: the quoted thread and the signature set apart.

A customer who answers the business's e-mail sends back the whole thread under their reply ("On Mon, …
Acme Support wrote: > Thanks so much for reaching out!"). Read as one text, the agent's courtesy makes an
angry reply look pleased, the thread's words make every reply of a conversation a near-duplicate of the
others, and topics learn the business's own template. Quoted history is found by ``quotequail`` (Close's
reply parser: "wrote:" headers in several languages, Outlook's "From:/Sent:" blocks, ``>`` quoting, HTML
``blockquote``s); the signature is cut at the standard ``-- `` line or a mobile client's "Sent from my …".

Nothing is lost: what was set apart is kept beside the item (``raw["quoted"]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import quotequail

from voxpop.ingest.live.text import html_to_text

#: How much of a quoted thread is kept in the item's ``raw`` (a long thread is history, not feedback).
QUOTED_KEEP = 20_000

# RFC 3676's signature separator ("-- " alone on a line), and what mobile mail clients append.
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^\s*(?:sent from my \w[\w ]{0,30}|sent from (?:outlook|yahoo mail|mail) for \w+|get outlook for \w+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Reply:
    """An e-mail body split into what the sender wrote now and what they quoted or signed."""

    text: str
    quoted: str = ""


def split_reply(body: str, html: bool = False) -> Reply:
    """The sender's new text and the quoted thread (plain text both); a body that is all quote stays whole."""
    if not body.strip():
        return Reply("")
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    found = quotequail.unwrap_html(body) if html else quotequail.unwrap(body)
    plain = html_to_text(body) if html else body.strip()
    if not found:
        return _unsigned(plain)
    top = html_to_text(found.get("html_top") or "") if html else str(found.get("text_top") or "").strip()
    if not top.strip():  # a bare forward: the forwarded message is what the customer sends us
        return _unsigned(plain)
    quoted = html_to_text(found.get("html") or "") if html else str(found.get("text") or "").strip()
    own = _unsigned(top)
    return Reply(own.text, _join(quoted, own.quoted))


def _unsigned(text: str) -> Reply:
    cut = min((m.start() for m in (_SIGNATURE.search(text), _SENT_FROM.search(text)) if m), default=len(text))
    own = text[:cut].strip()
    if not own:  # a message that is only a signature keeps it
        return Reply(text.strip())
    return Reply(own, text[cut:].strip())


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)[:QUOTED_KEEP]
