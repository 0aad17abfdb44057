"""A support mailbox over IMAP (``imaplib``): each new message becomes a *ticket* item.

The item's text is what the sender wrote now: the quoted thread under a reply and the signature are set
apart into ``raw["quoted"]`` (:mod:`voxpop.ingest.live.mail_reply`).

New mail is found by UID (``UID SEARCH UID n:*`` from the last UID stored), so nothing is read twice and
nothing is missed; a changed ``UIDVALIDITY`` (the mailbox was rebuilt) starts over, and the writer's
dedup on Message-ID keeps that from doubling items. Messages read are flagged ``\\Seen``.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from voxpop.errors import ValidationError
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult
from voxpop.ingest.live.errors import PayloadError, SourceError
from voxpop.ingest.live.mail_reply import Reply, split_reply
from voxpop.ingest.records import ItemRecord
from voxpop.settings import Settings

BATCH = 200


class ImapMailbox(LiveConnector):
    name = "imap"
    label = "Support mailbox (IMAP)"
    channel = "email"
    item_kind = "ticket"
    default_interval = 300
    fields = (
        Field("host", "IMAP server"),
        Field("port", "Port", required=False, default="993"),
        Field("security", "Security (ssl, starttls or none)", required=False, default="ssl"),
        Field("username", "User name"),
        Field("mailbox", "Folder", required=False, default="INBOX"),
        Field("password", "Password (or app password)", secret=True),
    )
    capabilities = Capabilities(
        reads=("e-mails", "senders", "subjects"),
        history="every message in the folder on the first poll, then each new one",
        can_reply=False,
        needs_credentials=True,
        terms="Your own mailbox; answer from your mail client or helpdesk.",
        docs_url="https://www.rfc-editor.org/rfc/rfc3501",
    )

    def check_config(self, settings: Settings, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        clean = super().check_config(settings, config, secrets)
        if not str(clean["port"]).isdigit() or not 0 < int(clean["port"]) < 65536:
            raise ValidationError(f"{self.label}: the port must be a number 1–65535")
        if clean["security"] not in ("ssl", "starttls", "none"):
            raise ValidationError(f"{self.label}: security must be ssl, starttls or none")
        from voxpop.notify.urls import check_outbound_url

        check_outbound_url(f"https://{clean['host']}/", allow_private=settings.allow_private_urls)
        return clean

    def poll(self, ctx: PollContext) -> PollResult:
        cfg = ctx.config
        host, port, security = str(cfg["host"]), int(cfg.get("port") or 993), str(cfg.get("security") or "ssl")
        from voxpop.notify.urls import check_outbound_url

        check_outbound_url(f"https://{host}/", allow_private=ctx.settings.allow_private_urls)
        where = f"imap {host}:{port}"
        try:
            client = _connect(host, port, security, ctx.http.timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise SourceError(f"{where}: cannot connect ({_reason(exc)})") from None
        try:
            try:
                client.login(str(cfg["username"]), str(ctx.credentials.get("password", "")))
            except imaplib.IMAP4.error as exc:
                raise SourceError(f"{where}: the server refused the login ({_reason(exc)})") from None
            return _read(client, ctx, where)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise SourceError(f"{where}: {_reason(exc)}") from None
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()


def _connect(host: str, port: int, security: str, timeout: float) -> imaplib.IMAP4:
    if security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if security == "starttls":
        client.starttls(ssl.create_default_context())
    return client


def _read(client: imaplib.IMAP4, ctx: PollContext, where: str) -> PollResult:
    folder = str(ctx.config.get("mailbox") or "INBOX")
    status, _data = client.select(_quote(folder))
    if status != "OK":
        raise SourceError(f"{where}: cannot open the folder {folder!r}")
    validity = _uidvalidity(client)
    cursor = dict(ctx.cursor)
    last = int(cursor.get("last_uid", 0)) if cursor.get("uidvalidity") == validity else 0
    status, found = client.uid("SEARCH", f"UID {last + 1}:*")
    if status != "OK":
        raise SourceError(f"{where}: SEARCH failed")
    uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > last)[:BATCH]
    records: list[ItemRecord] = []
    for uid in uids:
        status, parts = client.uid("FETCH", str(uid), "(RFC822)")
        body = next((p[1] for p in parts if isinstance(p, tuple) and len(p) == 2), None)
        if status != "OK" or not isinstance(body, bytes):
            raise PayloadError(f"{where}: message UID {uid} could not be fetched")
        record = _record(body, uid, folder, where)
        if record is not None:
            records.append(record)
    if uids:
        client.uid("STORE", ",".join(str(u) for u in uids), "+FLAGS", "(\\Seen)")
    return PollResult(records, {"uidvalidity": validity, "last_uid": max(uids, default=last)})


def _uidvalidity(client: imaplib.IMAP4) -> str:
    _, values = client.response("UIDVALIDITY")
    value = values[0] if values else None
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _record(data: bytes, uid: int, folder: str, where: str) -> ItemRecord | None:
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        raise PayloadError(f"{where}: message UID {uid} is not an e-mail")
    body = message.get_body(preferencelist=("plain", "html"))
    reply = Reply("")
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, UnicodeError, AssertionError):
            content = body.get_payload(decode=True) or b""
            content = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
        reply = split_reply(str(content), html=body.get_content_subtype() == "html")
    text = reply.text
    subject = str(message.get("Subject") or "").strip()
    text = text or subject
    if not text:
        return None
    senders = getaddresses([str(message.get("From") or "")])
    name, address = senders[0] if senders else ("", "")
    try:
        created = parsedate_to_datetime(str(message["Date"])) if message.get("Date") else None
    except (TypeError, ValueError):
        created = None
    message_id = str(message.get("Message-ID") or "").strip() or f"uid:{folder}:{uid}"
    return ItemRecord(
        text=text,
        created_at=created,
        external_id=message_id[:197],
        kind="ticket",
        channel="email",
        title=subject or None,
        author_name=name or None,
        author_email=address if "@" in address else None,
        raw={
            "uid": uid,
            "folder": folder,
            "message_id": message_id,
            "from": str(message.get("From") or ""),
            **({"quoted": reply.quoted} if reply.quoted else {}),
        },
    )


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.__class__.__name__}: {text}"
