"""Live sources: feeds and platform APIs polled on a schedule, an inbound webhook per source and an IMAP
mailbox — with back-off, per-source health and credentials encrypted at rest.

``scheduler.poll_source`` is the one place a poll happens; each connector module only turns the platform's
documented payload into ``ItemRecord``s (and, where the platform allows, posts a reply back).
"""
