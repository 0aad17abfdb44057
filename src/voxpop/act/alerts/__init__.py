"""Alerts: rules that watch the feedback, destinations they tell, and the weekly department digest.

* ``rules``: the rule kinds and their parameters, creating and editing rules (managers only);
* ``matching``: which items an item-level rule fires on; ``spike`` and ``windows``: the window rules;
* ``firing``: an alert is stored once per (rule, key) and queued for each destination;
* ``destinations`` and ``delivery``: e-mail, Slack and signed webhooks, retried and rate-limited;
* ``digest``: the weekly e-mail of each department's numbers and most important items;
* ``tasks``: the pipeline stage ``alert`` and the scheduled run.
"""
