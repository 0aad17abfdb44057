"""Measure: CX metrics, daily roll-ups, trends and why they moved, dashboards and reports."""
