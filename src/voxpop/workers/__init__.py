"""Background work. Tasks take ids, never objects, and are idempotent, so any executor may run them
again after a crash. The inline executor (the default) needs nothing but the database."""
