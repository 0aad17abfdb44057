"""The web shell: server-rendered pages with htmx, and the REST API under ``/api/v1``."""
