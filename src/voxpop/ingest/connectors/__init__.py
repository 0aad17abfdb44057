"""Connectors: one small module per platform, registered through the ``voxpop.connectors`` entry points.

See ``registry`` for the interface; ``detect`` picks the file format of an export automatically.
"""

from voxpop.ingest.connectors.registry import (
    Capabilities,
    Connector,
    ConnectorError,
    FileFormat,
    RowError,
    connectors,
    default_registry,
    get,
    register,
)

__all__ = [
    "Capabilities",
    "Connector",
    "ConnectorError",
    "FileFormat",
    "RowError",
    "connectors",
    "default_registry",
    "get",
    "register",
]
