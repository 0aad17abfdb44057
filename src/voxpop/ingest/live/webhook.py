"""An inbound webhook per source: a system of yours (a helpdesk, a form, a script) POSTs items to voxpop.

The request is JSON — one item object, or ``{"items": [...]}`` — with the item fields of the REST API
(``text`` required; ``created_at`` ISO 8601; ``external_id`` makes re-sends harmless). It carries:

- ``X-Voxpop-Timestamp``: Unix seconds when it was signed (refused if more than 5 minutes off);
- ``X-Voxpop-Delivery``: a unique id per delivery (a second delivery with the same id is a replay, refused);
- ``X-Voxpop-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}.{delivery}." + body`` under the
  source's secret (shown once when the source is created).

There is no login: the signature is the credential. A delivery is stored whole or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from voxpop.errors import AuthenticationError, NotFoundError, NotUniqueError, ValidationError
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.base import Field, LiveConnector
from voxpop.ingest.live.credentials import unseal
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.timestamp import parse_timestamp
from voxpop.ingest.writer import write_batch
from voxpop.store import Store
from voxpop.store.models import Source
from voxpop.store.models.sources import SourceEvent, SourceState, WebhookDelivery
from voxpop.store.types import utcnow

TOLERANCE_SECONDS = 300
MAX_ITEMS = 1000
MAX_BODY = 5_000_000
TIMESTAMP_HEADER = "X-Voxpop-Timestamp"
DELIVERY_HEADER = "X-Voxpop-Delivery"
SIGNATURE_HEADER = "X-Voxpop-Signature"
_TEXT_FIELDS = (
    "external_id",
    "kind",
    "channel",
    "title",
    "url",
    "author_name",
    "author_handle",
    "author_email",
    "language",
    "location",
    "product",
)
_NUMBER_FIELDS = ("rating", "rating_min", "rating_max")
_COUNT_FIELDS = ("reach_followers", "reach_likes", "reach_shares")
ALLOWED = {"text", "created_at", "raw", *_TEXT_FIELDS, *_NUMBER_FIELDS, *_COUNT_FIELDS}


class InboundWebhook(LiveConnector):
    name = "webhook"
    label = "Inbound webhook (signed)"
    channel = "other"
    item_kind = "feedback"
    pushed = True
    fields = (Field("channel", "Channel of the items", required=False, default="other"),)
    capabilities = Capabilities(
        reads=("reviews", "tickets", "form posts — whatever your systems send"),
        history="what is sent from the moment the source exists",
        can_reply=False,
        needs_credentials=False,
        terms="Your own systems; each delivery is signed with HMAC-SHA256 and time-stamped.",
        docs_url="docs/sources.md#inbound-webhook",
    )


@dataclass
class Delivery:
    source_id: int
    delivery_id: str
    added_ids: list[int]
    duplicates: int


def sign(secret: str, timestamp: str, delivery: str, body: bytes) -> str:
    """The ``X-Voxpop-Signature`` value for a delivery (what a sender computes)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{delivery}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def receive(
    store: Store, source_id: int, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> Delivery:
    """Check and store one delivery. Raises NotFoundError (no such webhook source), AuthenticationError
    (signature or timestamp), NotUniqueError (replay) or ValidationError (payload, naming item and field)."""
    with store.read() as session:
        source = session.get(Source, source_id)
        state = session.get(SourceState, source_id)
        if source is None or state is None or source.kind != InboundWebhook.name or not source.enabled:
            raise NotFoundError("no such webhook")
        secret = str(unseal(store.settings, state.webhook_secret).get("secret", ""))
    if not secret:
        raise NotFoundError("no such webhook")
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "").strip()
    delivery = lowered.get(DELIVERY_HEADER.lower(), "").strip()
    given = lowered.get(SIGNATURE_HEADER.lower(), "").strip()
    if not stamp or not delivery or not given:
        raise AuthenticationError(f"sign the delivery: {TIMESTAMP_HEADER}, {DELIVERY_HEADER} and {SIGNATURE_HEADER}")
    if len(delivery) > 200:
        raise ValidationError(f"{DELIVERY_HEADER} is longer than 200 characters")
    if not hmac.compare_digest(sign(secret, stamp, delivery, body), given):
        raise AuthenticationError("the signature does not match this source's secret")
    try:
        age = (time.time() if now is None else now) - int(stamp)
    except ValueError:
        raise AuthenticationError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if abs(age) > TOLERANCE_SECONDS:
        raise AuthenticationError(f"the delivery's timestamp is {abs(age):.0f} s off (more than {TOLERANCE_SECONDS} s)")
    records = parse_payload(body)
    try:
        with store.write() as session:
            source = session.get(Source, source_id)
            assert source is not None
            session.add(WebhookDelivery(source_id=source_id, delivery_id=delivery, received_at=utcnow()))
            session.flush()
            written = write_batch(session, source, records)
            at = utcnow()
            source.last_success_at = at
            session.add(
                SourceEvent(
                    source_id=source_id,
                    at=at,
                    ok=True,
                    message=f"delivery {delivery[:60]}: {len(records)} received, {len(written.added_ids)} new",
                    added=len(written.added_ids),
                )
            )
            session.query(WebhookDelivery).filter_by(source_id=source_id, delivery_id=delivery).update(
                {"added": len(written.added_ids)}
            )
    except IntegrityError:
        raise NotUniqueError(f"delivery {delivery!r} was already received (replay refused)") from None
    return Delivery(source_id, delivery, list(written.added_ids), written.duplicates)


def parse_payload(body: bytes) -> list[ItemRecord]:
    """The items of a delivery; ValidationError names the item (0-based) and field."""
    if len(body) > MAX_BODY:
        raise ValidationError(f"the delivery is larger than {MAX_BODY // 1_000_000} MB")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the delivery is not JSON: {exc}") from None
    items = data.get("items") if isinstance(data, dict) and "items" in data else [data]
    if not isinstance(items, list) or not items:
        raise ValidationError('send one item object, or {"items": [...]} with at least one')
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} items per delivery")
    return [_record(i, item) for i, item in enumerate(items)]


def _record(index: int, item: Any) -> ItemRecord:
    where = f"item {index}"
    if not isinstance(item, dict):
        raise ValidationError(f"{where}: expected an object")
    unknown = sorted(set(item) - ALLOWED)
    if unknown:
        raise ValidationError(f"{where}: unknown field(s) {', '.join(unknown)}")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{where}, field 'text': is required and must be text")
    values: dict[str, Any] = {"text": text}
    for name in _TEXT_FIELDS:
        if item.get(name) is not None:
            if not isinstance(item[name], str):
                raise ValidationError(f"{where}, field '{name}': must be text")
            values[name] = item[name]
    for name in _NUMBER_FIELDS:
        if item.get(name) is not None:
            if isinstance(item[name], bool) or not isinstance(item[name], int | float):
                raise ValidationError(f"{where}, field '{name}': must be a number")
            values[name] = float(item[name])
    for name in _COUNT_FIELDS:
        if item.get(name) is not None:
            if isinstance(item[name], bool) or not isinstance(item[name], int) or item[name] < 0:
                raise ValidationError(f"{where}, field '{name}': must be a whole number ≥ 0")
            values[name] = item[name]
    if item.get("created_at") is not None:
        try:
            created: datetime = parse_timestamp(item["created_at"])
        except ValueError as exc:
            raise ValidationError(f"{where}, field 'created_at': {exc}") from None
        values["created_at"] = created
    raw = item.get("raw", {})
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}, field 'raw': must be an object")
    values["raw"] = raw
    values.setdefault("kind", "feedback")
    return ItemRecord(**values)
