"""Ingestion: turn files and feeds into normalised ``ItemRecord``s and store them once each.

``records`` is the shape every source produces, ``writer`` stores a batch idempotently, ``reader`` opens any
export file (also for ``voxpop analyze``, which needs no store: so this package imports nothing itself), and
the file importer (``service``) reads CSV / JSON / JSONL in constant memory and records each run.
"""
