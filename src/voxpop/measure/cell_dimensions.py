"""The names of the roll-up cells' dimensions (``daily_cells.dimension``): which dimensions a day cell,
a summed day cell and a month cell can be about, and the prefixes that tell them apart.

A module of its own because both the day cells (``measure.rollups``) and the month cells
(``measure.month_cells``) are written from these lists, and the readers (``cell_reads``, ``series``,
``slices``…) name the same dimensions: here, neither writer has to import the other.
"""

from __future__ import annotations

from voxpop.measure.topic_cells import TOPIC_DIMENSIONS

#: The dimensions a cell can be about, besides channel and department (which every cell carries).
DIMENSIONS = (
    "all",
    "source",
    "location",
    "kind",
    "product",
    "segment",
    "aspect",
    "aspect_location",
    "aspect_source",
)
#: Month cells: the same counts summed over a calendar month, under dimension ``"m:" + dimension`` and
#: ``day`` = the month's first day, so a year is read as 12 rows per key instead of 365.
MONTHLY = "m:"
#: Month × department cells over every channel (channel and value ""): a long period's totals and
#: response-time medians for the whole store merge one cell per department and month instead of one per
#: department × channel (migration 0019 added them to the months rolled up before).
ALL_CHANNELS = MONTHLY + "all_channels"
MONTH_DIMENSIONS = (*(MONTHLY + d for d in DIMENSIONS), ALL_CHANNELS)
#: Day cells summed over every channel (channel ""), under dimension ``SUMMED + dimension``, for the
#: dimensions whose day cells are read most over all channels: the store's, each aspect's and each
#: location's daily series (``/trends`` and its segments read 180 days of them; per channel, a location's
#: day was one cell per department × channel). ``series`` reads them whenever no channel is asked for.
SUMMED = "x:"
SUMMED_DIMENSIONS = ("all", "aspect", "location")
#: (The topic day cells, ``TOPIC_DIMENSIONS``, are written by ``measure.topic_cells``.)
#: Every dimension of the day cells: what a day's recomputation replaces.
DAY_DIMENSIONS = (*DIMENSIONS, *(SUMMED + d for d in SUMMED_DIMENSIONS), *TOPIC_DIMENSIONS)
#: The dimensions whose cells count the sentiment of the aspect's own clause.
ASPECT_DIMENSIONS = frozenset({"aspect", "aspect_location", "aspect_source", SUMMED + "aspect"})
#: Separates the aspect from the location in an ``aspect_location`` value (and from the source id in an
#: ``aspect_source`` one: a competitor's aspects, which the benchmark reads; only competitors' items have them).
PAIR = "\x1f"
