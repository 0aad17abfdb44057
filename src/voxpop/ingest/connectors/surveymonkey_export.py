"""SurveyMonkey responses as the "All responses data" export: CSV or XLSX, with two heading rows.

Per SurveyMonkey's "Exporting Survey Results" / "Understanding exported data"
(https://help.surveymonkey.com/en/surveymonkey/analyze/exporting-results/): row 1 names the respondent
columns (``Respondent ID``, ``Collector ID``, ``Start Date``, ``End Date``, ``IP Address``, ``Email
Address``, ``First Name``, ``Last Name``, ``Custom Data 1``) and then each question's text, written once
above the first of its columns; row 2 names each column of a question — ``Response`` or ``Open-Ended
Response`` in the condensed layout, one column per answer choice (plus ``Other (please specify)``) in the
expanded one. Open-ended answers (``Open-Ended Response``, ``Other (please specify)``) make the item's
text; choices stay in the raw record. Dates are ``MM/DD/YYYY hh:mm:ss AM/PM`` without an offset and are
read in the import's zone (``voxpop ingest --timezone``, UTC by default). The respondent id is the API's
response id, so a response exported here and read from the API stays one item.

A CSV is streamed row by row. An XLSX is read with openpyxl in read-only mode: the sheet is streamed,
but the workbook's shared-strings table (every distinct text in it) is held in memory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from voxpop.errors import IngestError
from voxpop.ingest.connectors.base import CsvFormat, MappingError, text_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key
from voxpop.ingest.timestamp import parse_timestamp

OPEN_ENDED = ("Open-Ended Response", "Other (please specify)")
# SurveyMonkey's Net Promoter® Score question ("How likely is it that you would recommend … to a friend or
# colleague?"), answered 0–10; in the condensed layout its one column is the question's ``Response``.
NPS_QUESTION = re.compile(r"\blikely\b.*\brecommend", re.IGNORECASE | re.DOTALL)
SEPARATOR = " | "  # between a question's text and its column's name in the joined heading
DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


class SurveyMonkeyExport(CsvFormat):
    name = "surveymonkey_export"
    label = "SurveyMonkey responses (CSV/XLSX export)"
    channel = "survey"
    item_kind = "survey"
    header_rows = 2
    reads_xlsx = True
    required = ("Respondent ID", "Collector ID")
    hints = ("Start Date", "End Date", "Email Address", "Open-Ended Response", "Response")
    filenames = ("surveymonkey", "sheet_1", "data_all")
    capabilities = Capabilities(
        reads=("survey answers", "nps"),
        history="the whole export",
        terms="Your own surveys' responses.",
        docs_url="https://help.surveymonkey.com/en/surveymonkey/analyze/exporting-results/",
    )

    def headings(self, rows: list[list[str]]) -> list[str]:
        """One name per column: row 1's text (carried over a question's columns) joined to row 2's."""
        names: list[str] = []
        question = ""
        for index in range(max(len(row) for row in rows)):
            top = rows[0][index].strip() if index < len(rows[0]) else ""
            sub = rows[1][index].strip() if index < len(rows[1]) else ""
            if top:
                question = top
            names.append(f"{question}{SEPARATOR}{sub}" if sub else question)
        return names

    def records(self, path: Path, encoding: str | None = None) -> Iterator[dict[str, Any]]:
        if not zipfile.is_zipfile(path):
            yield from super().records(path, encoding)
            return
        yield from self._xlsx_records(path)

    def _xlsx_records(self, path: Path) -> Iterator[dict[str, Any]]:
        from openpyxl import load_workbook  # only XLSX files need it

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise IngestError(str(path), f"is not a readable XLSX workbook ({exc})") from exc
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            heading = [[_cell(v) for v in next(rows, ())] for _ in range(self.header_rows)]
            if not heading[0]:
                raise IngestError(str(path), "has no header row")
            columns = self.headings(heading)
            for values in rows:
                if any(v is not None and str(v).strip() for v in values):
                    yield dict(zip(columns, (_cell(v) for v in values), strict=False))
        finally:
            book.close()

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        respondent = text_or_none(record.get("Respondent ID"))
        if not respondent:
            raise MappingError("Respondent ID", "is missing")
        texts = [
            value.strip()
            for column, value in record.items()
            if column.endswith(OPEN_ENDED) and isinstance(value, str) and value.strip()
        ]
        score = _nps_score(record)
        if not texts and score is None:
            return None  # only other choices: nothing a person wrote or scored
        started, ended = _date(record, "Start Date"), _date(record, "End Date")
        first, last = text_or_none(record.get("First Name")), text_or_none(record.get("Last Name"))
        return ItemRecord(
            text="\n".join(texts),
            rating=score,
            rating_min=0 if score is not None else None,
            rating_max=10 if score is not None else None,
            created_at=started or ended,
            edited_at=ended if started and ended and ended != started else None,
            external_id=respondent,
            platform_key=platform_key("surveymonkey", respondent),
            kind=self.item_kind,
            channel=self.channel,
            author_name=" ".join(p for p in (first, last) if p) or None,
            author_email=text_or_none(record.get("Email Address")),
            raw=(record | {"question_type": "nps"}) if score is not None else record,
        )


def _nps_score(record: dict[str, Any]) -> float | None:
    """The respondent's 0–10 answer to the would-you-recommend question, when the export has one."""
    for column, value in record.items():
        question, _, sub = column.rpartition(SEPARATOR)
        if sub != "Response" or not NPS_QUESTION.search(question):
            continue
        text = text_or_none(value)
        if text is None:
            return None
        try:
            score = float(text)
        except ValueError:
            raise MappingError(column, f"{text!r} is not a 0–10 score") from None
        if not (0 <= score <= 10 and score.is_integer()):
            raise MappingError(column, f"{text!r} is not a 0–10 score")
        return score
    return None


def _cell(value: Any) -> str:
    """An XLSX cell as the CSV export writes it (dates in the export's own form)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATE_FORMATS[0])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _date(record: dict[str, Any], key: str) -> datetime | None:
    value = text_or_none(record.get(key))
    if value is None:
        return None
    for form in DATE_FORMATS:
        try:
            return parse_timestamp(datetime.strptime(value, form))  # no offset: the import's zone
        except ValueError:
            continue
    raise MappingError(key, f"{value!r} is not a time (MM/DD/YYYY hh:mm:ss AM/PM)")
