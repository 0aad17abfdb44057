"""Acting on feedback: the inbox, departments, routing, replies and alerts."""
