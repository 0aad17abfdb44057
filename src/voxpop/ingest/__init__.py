"""Ingestion: turn files and feeds into normalised ``ItemRecord``s and store them once each.

``records`` is the shape every source produces, ``writer`` stores a batch idempotently, and the file
importer (``service``) reads CSV / JSON / JSONL in constant memory and records each run.
"""

from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import WriteResult, get_or_create_source, write_batch

__all__ = ["ItemRecord", "WriteResult", "get_or_create_source", "write_batch"]
