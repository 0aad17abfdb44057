"""SurveyMonkey responses as the API's bulk endpoint returns them (``GET /v3/surveys/{id}/responses/bulk``).

Per SurveyMonkey's API v3 reference ("Survey Responses — /surveys/{id}/responses/bulk",
https://developer.surveymonkey.com/api/v3/#api-endpoints-get-surveys-id-responses-bulk): ``{"data": [{id,
survey_id, collector_id, recipient_id, response_status, date_created, date_modified, email_address,
first_name, last_name, custom_variables, pages[{id, questions[{id, answers[{text | choice_id | row_id …}]}]}]}],
"per_page", "page", "total", "links"}``. Open-ended answers (``text``) make the item's text; choice answers
are ids that only the survey's definition can name, so they stay in the raw record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, objects, text_at, time_or_none, within
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class SurveyMonkeyResponses(JsonFormat):
    name = "surveymonkey"
    label = "SurveyMonkey responses (API bulk JSON)"
    channel = "survey"
    item_kind = "survey"
    required = ('"collector_id"', '"response_status"')
    hints = ('"pages"', '"questions"', '"date_modified"', '"survey_id"', '"total_time"')
    filenames = ("surveymonkey", "responses")
    prefixes = ("data.item", "item")
    capabilities = Capabilities(
        reads=("survey answers",),
        history="the saved API pages (up to 100 responses each)",
        max_items=100,
        terms="Your own surveys' responses.",
        docs_url="https://developer.surveymonkey.com/api/v3/#api-endpoints-get-surveys-id-responses-bulk",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        response_id = text_at(record, "id")
        if not response_id:
            raise MappingError("id", "is missing")
        texts = [text for text in _open_answers(record) if text]
        if not texts:
            return None  # only choices: nothing a person wrote
        created, modified = time_or_none(record, "date_created"), time_or_none(record, "date_modified")
        first, last = text_at(record, "first_name"), text_at(record, "last_name")
        return ItemRecord(
            text="\n".join(texts),
            created_at=created,
            edited_at=modified if modified and modified != created else None,
            external_id=response_id,
            platform_key=platform_key("surveymonkey", response_id),
            kind=self.item_kind,
            channel=self.channel,
            url=text_at(record, "analyze_url"),
            author_name=" ".join(p for p in (first, last) if p) or None,
            author_email=text_at(record, "email_address"),
            raw=record,
        )


def _open_answers(record: dict[str, Any]) -> Iterator[str | None]:
    """The text of every answer on every page (``None`` for a choice)."""
    for page_at, page in objects(record, "pages"):
        for question_at, question in objects(page, "questions", at=page_at):
            for answer_at, answer in objects(question, "answers", at=question_at):
                with within(answer_at):
                    yield text_at(answer, "text")
