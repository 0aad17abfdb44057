"""Close the loop with customers: surveys, the website feedback widget and staff notes.

Every answer, post and note becomes an ``item`` through the ingest layer, so it is deduplicated and
analysed like any review; this package's own tables (``store/models/loop.py``) hold what makes each
channel work.
"""
