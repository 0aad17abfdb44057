"""Who may do what: users and their passwords, browser sessions, API tokens and role permissions."""
