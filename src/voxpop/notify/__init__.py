"""Messages voxpop sends out: e-mail (SMTP), and — in the areas that need them — Slack and webhooks."""
