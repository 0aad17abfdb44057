"""The sentiment and aspect enrichers: thin adapters from the models to the pipeline's batch.

The models themselves live in ``sentiment.py`` and ``aspects.py``; here they are registered as
enrichers and their output is shaped into result fields. Sentiment runs after language detection
because voxpop's sentiment model reads English: for an item detected in another language, the
confidence is halved and the evidence says why, and when the item carries a star rating that rating
decides the label instead (a 1-star review in French is negative whatever an English model thinks).
"""

from __future__ import annotations

import math
from typing import Any

from voxpop.analyze.registry import AnalysisContext, Batch, register

#: Confidence multiplier for an item outside the sentiment model's language.
FOREIGN_CONFIDENCE = 0.5
#: Normalised rating bounds that decide the label for a non-English item (1–2 stars, 4–5 stars of 5).
RATING_NEGATIVE_BELOW = 0.4
RATING_POSITIVE_ABOVE = 0.7
MODEL_LANGUAGE = "en"


def _rating_label(rating: float) -> tuple[str, float]:
    if rating < RATING_NEGATIVE_BELOW:
        return "negative", -1.0 + rating
    if rating > RATING_POSITIVE_ABOVE:
        return "positive", rating
    return "neutral", 0.0


@register
class SentimentEnricher:
    """Sets ``sentiment`` (negative/neutral/positive), ``sentiment_score`` and ``confidence``."""

    name = "sentiment"
    requires: tuple[str, ...] = ("language",)
    scope = "item"
    needs_embeddings = True

    def __init__(self, context: AnalysisContext) -> None:
        self.model = context.sentiment

    def enrich(self, batch: Batch) -> None:
        predictions = self.model.predict(batch.texts, embeddings=batch.embeddings)
        for record, result, evidence, prediction in zip(
            batch.records, batch.results, batch.evidence, predictions, strict=True
        ):
            if not record.text.strip():
                result.update(sentiment=None, sentiment_score=None, confidence=None)
                continue
            label, score, confidence = prediction.label, float(prediction.score), float(prediction.confidence)
            language = result.get("language")
            if language is not None and language != MODEL_LANGUAGE:
                note: dict[str, Any] = {
                    "language": language,
                    "model_language": MODEL_LANGUAGE,
                    "model_label": label,
                    "confidence_factor": FOREIGN_CONFIDENCE,
                }
                confidence *= FOREIGN_CONFIDENCE
                if record.rating is not None and not math.isnan(record.rating):
                    label, score = _rating_label(record.rating)
                    note["decided_by"] = "rating"
                evidence["sentiment"] = note
            result.update(sentiment=label, sentiment_score=score, confidence=confidence)


@register
class AspectEnricher:
    """Sets ``aspects`` (``[{name, sentiment, score}]``) and the owning ``department``."""

    name = "aspects"
    requires: tuple[str, ...] = ("sentiment",)
    scope = "item"
    needs_embeddings = True
    needs_clauses = True  # the pipeline pools each clause's vector from the text's forward pass

    def __init__(self, context: AnalysisContext) -> None:
        from voxpop.analyze.aspects import AspectTagger

        self.tagger = AspectTagger(context.taxonomy, context.embedder, context.sentiment)

    def enrich(self, batch: Batch) -> None:
        tagged = self.tagger.tag(batch.texts, batch.embeddings, batch.segments)
        for record, result, hits in zip(batch.records, batch.results, tagged, strict=True):
            if not record.text.strip():
                hits = []
            result["aspects"] = [
                {"name": hit.name, "sentiment": hit.sentiment, "score": round(float(hit.score), 4)} for hit in hits
            ]
            result["department"] = self.tagger.department(hits) if hits else None
