"""The sentiment and aspect enrichers: thin adapters from the models to the pipeline's batch.

The models themselves live in ``sentiment.py`` and ``aspects.py``; here they are registered as
enrichers and their output is shaped into result fields. Sentiment runs after language detection
because voxpop's sentiment model reads English: for an item detected in another language, the
confidence is halved and the evidence says why, and when the item carries a star rating that rating
decides the label instead (a 1-star review in French is negative whatever an English model thinks).

For the languages with a voxpop lexicon (es, fr, de, it, pt, nl; :mod:`voxpop.analyze.multilingual`),
the lexicon's verdict replaces the English model's when it found at least one of its words: with a
rating, the two are combined, and the rating wins when they point opposite ways. The evidence lists the
words that decided. An item with no lexicon word keeps the behaviour above; English items (and items of
unknown language) never reach the lexicon.

An English item (or one of unknown language) that carries a rating — a review's stars, a survey's 0–10
score — is read from both: the model's probabilities are multiplied by how often each label goes with such
a rating, raised to :data:`RATING_WEIGHT` (a tempered product of experts). A terse "second visit" then
takes its feeling from its stars, a 3-star "it was alright" reads neutral, and only text the model is very
sure of overrides the rating (a 5-star review that is all complaint). The evidence keeps the text's own
reading whenever the rating changed the label.

A text written mostly in another script than the Latin alphabet (Cyrillic, Chinese, Arabic…) is not read
by the English model at all — it would only guess, and confidently ("Отличный отель" came out negative):
its star rating decides when it has one, else its sentiment is left empty (``None``), with the script as
evidence.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from voxpop.analyze.language import script_of, strip_noise
from voxpop.analyze.multilingual import LANGUAGES as LEXICON_LANGUAGES
from voxpop.analyze.multilingual import MAX_CONFIDENCE, LexiconVerdict, score_text
from voxpop.analyze.registry import AnalysisContext, Batch, register
from voxpop.analyze.sentiment import result_of

#: Confidence multiplier for an item outside the sentiment model's language.
FOREIGN_CONFIDENCE = 0.5
#: Normalised rating bounds that decide the label for a non-English item (1–2 stars, 4–5 stars of 5).
RATING_NEGATIVE_BELOW = 0.4
RATING_POSITIVE_ABOVE = 0.7
MODEL_LANGUAGE = "en"
#: Below this absolute combined score (lexicon and a middling rating), an item is neutral.
COMBINED_NEUTRAL_BAND = 0.25
#: Confidence added when the lexicon and the rating agree (capped at the lexicon's maximum).
AGREEMENT_BONUS = 0.1
#: The highest normalised rating read as low by the rating-and-words reading: 2 of 1–5 stars, 4 of 0–10 (an NPS
#: detractor's score; 0.4 was middling at first, which read "my cortado spilled everywhere" with 4/10 as neutral).
RATING_LOW_AT_MOST = 0.4
#: P(label | rating) for an English item, rows: a low rating (at most :data:`RATING_LOW_AT_MOST`), a
#: middling one, a high one (above :data:`RATING_POSITIVE_ABOVE`); columns negative, neutral, positive.
#: Counted (add-one) on voxpop's two tuning sets of rated feedback — 400 survey answers with their 0–10
#: score, 300 reviews with their 1–5 stars — by ``benchmarks/bench_rated_sentiment.py --fit``.
RATING_LIKELIHOOD = np.array([[0.914, 0.027, 0.059], [0.160, 0.752, 0.087], [0.117, 0.046, 0.837]])
#: The rating's exponent in the product with the model's probabilities: the mean log-loss of the two tuning
#: sets is lowest at 2 (grid 0–3; ``--fit`` prints it). The text overrides a high rating only when it is
#: about (0.837 / 0.117)² ≈ 50 times surer of "negative" than of "positive".
RATING_WEIGHT = 2.0


def rating_bucket(rating: float) -> int:
    """0, 1 or 2: a low, middling or high normalised rating (a small tolerance keeps 4 of 0–10 low)."""
    return 0 if rating <= RATING_LOW_AT_MOST + 1e-9 else 2 if rating > RATING_POSITIVE_ABOVE else 1


def with_rating(probabilities: np.ndarray, rating: float) -> np.ndarray:
    """The model's class probabilities (:data:`CLASSES` order) updated by the item's normalised rating."""
    log = np.log(np.maximum(probabilities, 1e-9)) + RATING_WEIGHT * np.log(RATING_LIKELIHOOD[rating_bucket(rating)])
    fused = np.exp(log - log.max())
    return np.asarray(fused / fused.sum())


def _rating_label(rating: float) -> tuple[str, float]:
    if rating < RATING_NEGATIVE_BELOW:
        return "negative", -1.0 + rating
    if rating > RATING_POSITIVE_ABOVE:
        return "positive", rating
    return "neutral", 0.0


def _with_lexicon(
    verdict: LexiconVerdict, rating: float | None, model_confidence: float
) -> tuple[str, float, float, str]:
    """Label, score, confidence and what decided, from a lexicon verdict with hits and an optional rating.

    Without a rating the lexicon decides. With one, a lexicon verdict and a rating of opposite polarity
    (praise words on a 1-star review: often sarcasm or a mis-read) leave the rating in charge, with the
    halved model confidence as today; agreeing ones reinforce each other; a middling rating (3 of 5) and
    the lexicon are averaged on the score scale.
    """
    assert verdict.label is not None
    if rating is None or math.isnan(rating):
        return verdict.label, verdict.score, verdict.confidence, "lexicon"
    rating_label, rating_score = _rating_label(rating)
    if {rating_label, verdict.label} == {"negative", "positive"}:
        return rating_label, rating_score, model_confidence * FOREIGN_CONFIDENCE, "rating"
    if rating_label == verdict.label:
        confidence = min(MAX_CONFIDENCE, verdict.confidence + AGREEMENT_BONUS)
        return rating_label, (verdict.score + rating_score) / 2, confidence, "lexicon+rating"
    if rating_label != "neutral":  # the lexicon's words balance out; the rating says which way
        return rating_label, (verdict.score + rating_score) / 2, verdict.confidence, "lexicon+rating"
    combined = (verdict.score + (2.0 * rating - 1.0)) / 2
    label = "neutral" if abs(combined) < COMBINED_NEUTRAL_BAND else ("positive" if combined > 0 else "negative")
    return label, combined, verdict.confidence, "lexicon+rating"


@register
class SentimentEnricher:
    """Sets ``sentiment`` (negative/neutral/positive), ``sentiment_score`` and ``confidence``."""

    name = "sentiment"
    requires: tuple[str, ...] = ("language",)
    scope = "item"
    needs_embeddings = True

    def __init__(self, context: AnalysisContext) -> None:
        self.model = context.sentiment
        #: Languages scored with voxpop's lexicons (a benchmark empties it to measure the old rule).
        self.lexicon_languages: frozenset[str] = frozenset(LEXICON_LANGUAGES)

    def enrich(self, batch: Batch) -> None:
        layered = batch.layered.vectors if batch.layered is not None else None
        probabilities = self.model.probabilities(batch.texts, embeddings=self.model.pick(batch.embeddings, layered))
        for record, result, evidence, row in zip(
            batch.records, batch.results, batch.evidence, probabilities, strict=True
        ):
            if not record.text.strip():
                result.update(sentiment=None, sentiment_score=None, confidence=None)
                continue
            prediction = result_of(row)
            label, score, confidence = prediction.label, float(prediction.score), float(prediction.confidence)
            language = result.get("language")
            script = script_of(strip_noise(record.text))
            if script is not None:
                unread = {"script": script.lower(), "language": language, "model_language": MODEL_LANGUAGE}
                evidence["sentiment"] = unread
                if record.rating is not None and not math.isnan(record.rating):
                    label, score = _rating_label(record.rating)
                    unread["decided_by"] = "rating"
                    result.update(sentiment=label, sentiment_score=score, confidence=confidence * FOREIGN_CONFIDENCE)
                else:
                    result.update(sentiment=None, sentiment_score=None, confidence=None)
                continue
            if language is not None and language != MODEL_LANGUAGE:
                note: dict[str, Any] = {
                    "language": language,
                    "model_language": MODEL_LANGUAGE,
                    "model_label": label,
                    "confidence_factor": FOREIGN_CONFIDENCE,
                }
                verdict = score_text(record.text, language) if language in self.lexicon_languages else None
                if verdict is not None and verdict.label is not None:
                    label, score, confidence, decided = _with_lexicon(verdict, record.rating, confidence)
                    note.update(
                        decided_by=decided,
                        lexicon_label=verdict.label,
                        lexicon_score=round(verdict.score, 4),
                        words=verdict.deciding(),
                    )
                    del note["confidence_factor"]
                else:
                    confidence *= FOREIGN_CONFIDENCE
                    if record.rating is not None and not math.isnan(record.rating):
                        label, score = _rating_label(record.rating)
                        note["decided_by"] = "rating"
                evidence["sentiment"] = note
            elif record.rating is not None and not math.isnan(record.rating):
                rated = result_of(with_rating(row, record.rating))
                if rated.label != label:
                    evidence["sentiment"] = {
                        "decided_by": "text+rating",
                        "rating": round(record.rating, 4),
                        "text_label": label,
                        "text_confidence": round(confidence, 4),
                    }
                label, score, confidence = rated.label, rated.score, rated.confidence
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
        layered = batch.layered.clauses if batch.layered is not None else None
        tagged = self.tagger.tag(batch.texts, batch.embeddings, batch.segments, layered)
        for record, result, hits in zip(batch.records, batch.results, tagged, strict=True):
            if not record.text.strip():
                hits = []
            result["aspects"] = [
                {"name": hit.name, "sentiment": hit.sentiment, "score": round(float(hit.score), 4)} for hit in hits
            ]
            result["department"] = self.tagger.department(hits) if hits else None
