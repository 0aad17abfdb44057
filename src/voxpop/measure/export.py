"""CSV of every table the dashboard and the reports show, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) would be run as a
formula by Excel, LibreOffice or Sheets — and quotes and names are written by strangers — so such a
cell is written with a leading ``'`` (OWASP's advice on CSV injection). Numbers are left as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from voxpop.measure.metrics import Estimate, Metrics
from voxpop.measure.overview import Overview
from voxpop.spreadsheet import defuse_formula

Table = tuple[list[str], list[list[Any]]]


def safe_cell(value: Any) -> Any:
    """A cell value that no spreadsheet will execute."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return defuse_formula(str(value))


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _value(estimate: Estimate, digits: int = 1) -> float | None:
    return None if estimate.shown is None else round(estimate.shown, digits)


METRIC_HEADER = [
    "volume",
    "average stars",
    "sentiment index",
    "NPS",
    "CSAT %",
    "CES",
    "response rate %",
    "median response minutes",
    "SLA breaches",
]


def metric_cells(m: Metrics) -> list[Any]:
    return [
        m.volume,
        None if m.stars is None else round(m.stars, 2),
        _value(m.sentiment),
        _value(m.nps),
        _value(m.csat),
        _value(m.ces, 2),
        _value(m.response_rate),
        m.median_response_minutes,
        m.sla_breaches,
    ]


def overview_tables(overview: Overview) -> dict[str, Table]:
    """Every table of the overview by name: kpis, trend, drivers, heatmap, platforms, departments."""
    tables: dict[str, Table] = {
        "kpis": (
            ["metric", "value", "previous period", "change", "interval", "n"],
            [[k.label, k.text, k.previous, k.delta_text, k.interval, k.n] for k in overview.kpis],
        ),
        "trend": (
            ["period start", *METRIC_HEADER],
            [[p.start.isoformat(), *metric_cells(p.metrics)] for p in overview.trend],
        ),
        "drivers": (
            [
                "aspect",
                "direction",
                "impact (index points)",
                "mix",
                "rate",
                "why",
                "mentions",
                "previous mentions",
                "sentiment",
                "previous sentiment",
            ],
            [
                [
                    d.aspect,
                    "up" if d.impact > 0 else "down",
                    round(d.impact, 2),
                    round(d.mix, 2),
                    round(d.rate, 2),
                    d.reason,
                    d.mentions,
                    d.previous_mentions,
                    _round(d.sentiment),
                    _round(d.previous_sentiment),
                ]
                for d in overview.drivers_up + overview.drivers_down
            ],
        ),
        "heatmap": (
            ["aspect", "location", "mentions", "sentiment index", "negative %"],
            [
                [aspect, location, m.volume, _value(m.sentiment), _value(m.negative_share)]
                for (aspect, location), m in sorted(overview.heat.cells.items())
            ],
        ),
        "platforms": (
            ["channel", *METRIC_HEADER],
            [[channel, *metric_cells(m)] for channel, m in overview.platforms],
        ),
        "departments": (
            ["department", *METRIC_HEADER],
            [[name, *metric_cells(m)] for _, name, m in overview.departments],
        ),
        "aspects": (
            ["aspect", *METRIC_HEADER],
            [[aspect, *metric_cells(m)] for aspect, m in overview.aspects.items()],
        ),
    }
    return tables


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
