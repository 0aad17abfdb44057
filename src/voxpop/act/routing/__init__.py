"""Routing: rules (stored in the database, editable in the UI, importable as YAML) send each analysed item
to a department with an assignee, a priority, an SLA and tags; the taxonomy's aspect owners are the
fallback, then a default route. See ``engine`` for the order of evaluation and ``rules`` for the format."""
