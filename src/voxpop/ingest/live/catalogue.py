"""The live connectors, from the connector registry (built-ins and plug-ins alike)."""

from __future__ import annotations

from voxpop.errors import ValidationError
from voxpop.ingest.connectors.registry import ConnectorError, connectors, get
from voxpop.ingest.live.base import LiveConnector


def live_connector(kind: str) -> LiveConnector:
    """The live connector called ``kind``; ``ValidationError`` naming the known ones otherwise."""
    try:
        connector = get(kind)
    except ConnectorError:
        connector = None
    if connector is None or connector.kind != "live" or not isinstance(connector, LiveConnector):
        known = ", ".join(c.name for c in live_connectors()) or "none"
        raise ValidationError(f"{kind!r} is not a live source kind; choose one of: {known}")
    return connector


def live_connectors() -> list[LiveConnector]:
    found: list[LiveConnector] = []
    for connector in connectors("live"):
        if isinstance(connector, LiveConnector):
            found.append(connector)
    return found
