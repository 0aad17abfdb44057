"""Sentiment of items in es/fr/de/it/pt/nl from voxpop's own lexicons, and how the enricher uses it.

The sentences here are written for the tests; none comes from ``benchmarks/data/multilingual_eval.csv``.
"""

from __future__ import annotations

import json
import re

import pytest

from voxpop.analyze.multilingual import (
    LANGUAGES,
    MAX_CONFIDENCE,
    fold,
    load_lexicon,
    opinion_word_count,
    parse_lexicon,
    score_text,
    word_key,
)
from voxpop.analyze.opinion import FOREIGN_CONFIDENCE, SentimentEnricher
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.settings import Settings

COMPLAINTS = {
    "es": "Los camareros fueron groseros y el arroz estaba frío. Una vergüenza.",
    "fr": "Chambre sale, personnel désagréable, je ne reviendrai pas.",
    "de": "Der Fahrer war unhöflich und die Pizza kam kalt an. Schrecklich.",
    "it": "Il bagno era sporco e la receptionist antipatica. Mai più.",
    "pt": "O quarto estava sujo e o pessoal foi antipático. Horrível.",
    "nl": "De badkamer was smerig en de receptie onvriendelijk. Verschrikkelijk.",
}
PRAISE = {
    "es": "Un sitio precioso, camareros atentos y los postres deliciosos.",
    "fr": "Personnel chaleureux, chambre impeccable et petit-déjeuner délicieux.",
    "de": "Sehr nette Bedienung, das Essen war ausgezeichnet.",
    "it": "Personale cordiale e camera pulita, consiglio vivamente.",
    "pt": "Funcionários simpáticos e quarto impecável, recomendo.",
    "nl": "Vriendelijke bediening en een prachtige kamer, een aanrader.",
}
NEGATED_NEGATIVE = {
    "es": "La cena no es mala.",
    "fr": "Le dessert n'était pas mauvais.",
    "de": "Der Kaffee ist nicht schlecht.",
    "it": "Il vino non è male.",
    "pt": "O café não é ruim.",
    "nl": "De koffie is niet slecht.",
}
NEGATED_POSITIVE = {
    "es": "El personal no fue amable.",
    "fr": "Le vendeur n'était pas aimable.",
    "de": "Das Zimmer war nicht sauber.",
    "it": "Il cameriere non era gentile.",
    "pt": "O quarto não estava limpo.",
    "nl": "De kamer was niet schoon.",
}
# Praise first, then a contrast word and a complaint: the clause after the contrast decides.
CONTRAST = {
    "es": "La terraza es bonita, pero el servicio fue lento y desagradable.",
    "fr": "La vue est jolie, mais le service était lent et désagréable.",
    "de": "Die Lage ist schön, aber das Personal war unfreundlich und langsam.",
    "it": "La vista è bella, ma il servizio era lento e scortese.",
    "pt": "A vista é bonita, mas o serviço foi lento e desagradável.",
    "nl": "Het uitzicht is mooi, maar de bediening was traag en onvriendelijk.",
}
# A small concession followed by praise: positive.
CONTRAST_POSITIVE = {
    "es": "Es un poco caro, pero la calidad es excelente.",
    "fr": "C'est un peu cher, mais la qualité est excellente.",
    "de": "Etwas teuer, aber die Qualität ist hervorragend.",
    "it": "Un po' caro, ma la qualità è ottima.",
    "pt": "Um pouco caro, mas a qualidade é excelente.",
    "nl": "Een beetje duur, maar de kwaliteit is uitstekend.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_clear_complaints_are_negative_and_praise_positive(language: str) -> None:
    complaint = score_text(COMPLAINTS[language], language)
    praise = score_text(PRAISE[language], language)
    assert complaint.label == "negative"
    assert complaint.score < -0.5
    assert praise.label == "positive"
    assert praise.score > 0.5


@pytest.mark.parametrize("language", LANGUAGES)
def test_negation_flips_polarity(language: str) -> None:
    not_bad = score_text(NEGATED_NEGATIVE[language], language)
    not_nice = score_text(NEGATED_POSITIVE[language], language)
    assert not_bad.label == "positive"
    assert not_bad.hits[0].negated
    assert not_nice.label == "negative"
    assert not_nice.hits[0].negated
    # "not bad" is milder than "good": a flipped word weighs less than it would unnegated.
    assert abs(not_bad.hits[0].contribution) < abs(not_bad.hits[0].weight)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_clause_after_a_contrast_weighs_more(language: str) -> None:
    assert score_text(CONTRAST[language], language).label == "negative"
    assert score_text(CONTRAST_POSITIVE[language], language).label == "positive"


def test_matching_ignores_case_accents_and_inflection() -> None:
    base = score_text("sucio", "es")
    for variant in ("SUCIAS", "Sucios", "sucia"):
        assert score_text(variant, "es").total == base.total
    assert score_text("PESIMO", "es").total == score_text("pésimo", "es").total
    assert score_text("freundliches Personal", "de").label == "positive"
    assert score_text("fredde", "it").total == score_text("freddo", "it").total
    assert fold("L'Attente") == "l attente"


def test_intensifiers_diminishers_and_superlatives() -> None:
    plain = score_text("El servicio fue lento.", "es").total
    assert score_text("El servicio fue muy lento.", "es").total < plain
    assert score_text("El servicio fue un poco lento.", "es").total > plain
    assert score_text("Servizio lentissimo.", "it").total < score_text("Servizio lento.", "it").total


def test_questions_greetings_and_unknown_words_give_little_or_no_evidence() -> None:
    assert score_text("Guten Tag, haben Sie am Montag geöffnet?", "de").label is None
    assert score_text("Bonjour, merci d'avance pour votre réponse.", "fr").label is None
    assert score_text("¿El desayuno es bueno?", "es").label == "neutral"
    assert score_text("Zaterdag om acht uur gereserveerd.", "nl").label is None


def test_never_again_and_phrases_beat_their_words() -> None:
    verdict = score_text("Nunca más.", "es")
    assert verdict.label == "negative"
    assert verdict.hits[0].text == "Nunca más"
    assert score_text("Ce n'est pas cher.", "fr").label == "positive"  # "pas cher" is one entry


def test_confidence_grows_with_evidence_and_stays_in_range() -> None:
    faint = score_text("Un poco lento.", "es")
    strong = score_text("Horrible, sucio y caro. Nunca más.", "es")
    assert faint.confidence < strong.confidence <= MAX_CONFIDENCE


def test_every_shipped_lexicon_loads_with_hundreds_of_entries() -> None:
    for language in LANGUAGES:
        lexicon = load_lexicon(language)
        assert len(lexicon.polar) >= 200
        kinds = {kind for kind, _ in lexicon.modifiers.values()}
        assert {"neg", "int", "dim", "but"} <= kinds


def test_a_malformed_lexicon_line_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon("es", "bueno\tw\t2\nmalo -2\n")
    with pytest.raises(ValueError, match="no sentiment lexicon"):
        load_lexicon("xx")


# The enricher, with the shipped English model (as the pipeline runs it).


@pytest.fixture(scope="module")
def enricher() -> SentimentEnricher:
    return SentimentEnricher(AnalysisContext(Settings()))


def _run(enricher: SentimentEnricher, items: list[tuple[str, str | None, float | None]]) -> Batch:
    batch = Batch.of([Record(i, text, rating=rating) for i, (text, _, rating) in enumerate(items)])
    for result, (_, language, _) in zip(batch.results, items, strict=True):
        result["language"] = language
    enricher.enrich(batch)
    return batch


def test_lexicon_decides_for_a_foreign_item_and_the_evidence_names_the_words(enricher: SentimentEnricher) -> None:
    batch = _run(enricher, [("Das Essen war kalt und die Kellnerin unfreundlich. Nie wieder!", "de", None)])
    result, evidence = batch.results[0], batch.evidence[0]["sentiment"]
    assert result["sentiment"] == "negative"
    assert result["sentiment_score"] < 0
    assert 0 < result["confidence"] <= MAX_CONFIDENCE
    assert evidence["decided_by"] == "lexicon"
    assert evidence["language"] == "de"
    assert {w["text"] for w in evidence["words"]} >= {"Nie wieder", "unfreundlich"}
    json.dumps(evidence)  # stored with the item


def test_a_rating_combines_with_the_lexicon_and_wins_a_strong_disagreement(enricher: SentimentEnricher) -> None:
    batch = _run(
        enricher,
        [
            ("Comida fría y camarero grosero.", "es", None),
            ("Comida fría y camarero grosero.", "es", 0.0),  # 1 star: agrees
            ("Todo perfecto, personal encantador.", "es", 0.0),  # 1 star on praise: the rating wins
            ("Un poco lento.", "es", 1.0),  # faint complaint, 5 stars: the rating wins
        ],
    )
    alone, agreeing, sarcastic, faint = batch.results
    assert agreeing["sentiment"] == "negative"
    assert agreeing["confidence"] > alone["confidence"]
    assert batch.evidence[1]["sentiment"]["decided_by"] == "lexicon+rating"
    assert sarcastic["sentiment"] == "negative"
    assert batch.evidence[2]["sentiment"]["decided_by"] == "rating"
    assert batch.evidence[2]["sentiment"]["lexicon_label"] == "positive"
    assert faint["sentiment"] == "positive"


def test_no_lexicon_word_keeps_the_old_rule(enricher: SentimentEnricher) -> None:
    text = "¿A qué hora abren el sábado?"
    batch = _run(enricher, [(text, "es", None)])
    prediction = enricher.model.predict([text])[0]
    assert batch.results[0]["sentiment"] == prediction.label
    assert batch.results[0]["confidence"] == pytest.approx(prediction.confidence * FOREIGN_CONFIDENCE)
    assert batch.evidence[0]["sentiment"]["confidence_factor"] == FOREIGN_CONFIDENCE
    assert "words" not in batch.evidence[0]["sentiment"]


def test_english_and_unknown_language_items_are_untouched(enricher: SentimentEnricher) -> None:
    # Words that are in the foreign lexicons ("super", "top", "perfect") must not matter for English.
    texts = ["The food was super, top service, perfect evening.", "Horrible wait, never again.", "ok"]
    batch = _run(enricher, [(texts[0], "en", None), (texts[1], "en", None), (texts[2], None, None)])
    predictions = enricher.model.predict(texts)  # the same batch: padding changes the last digits
    for result, evidence, prediction in zip(batch.results, batch.evidence, predictions, strict=True):
        assert (result["sentiment"], result["sentiment_score"], result["confidence"]) == (
            prediction.label,
            float(prediction.score),
            float(prediction.confidence),
        )
        assert "sentiment" not in evidence


def test_the_english_model_does_not_read_another_script(enricher: SentimentEnricher) -> None:
    """A Russian rave read by the English model came out negative; now it is left unread, or the rating
    decides."""
    praise = "Отличный отель, персонал очень вежливый, обязательно вернёмся!"
    batch = _run(enricher, [(praise, None, None), (praise, None, 1.0), ("服务太差了，房间很脏。", "zh", 0.0)])
    unread, rated, chinese = batch.results
    assert (unread["sentiment"], unread["sentiment_score"], unread["confidence"]) == (None, None, None)
    assert batch.evidence[0]["sentiment"] == {"script": "cyrillic", "language": None, "model_language": "en"}
    assert rated["sentiment"] == "positive"
    assert batch.evidence[1]["sentiment"]["decided_by"] == "rating"
    assert 0 < rated["confidence"] <= FOREIGN_CONFIDENCE
    assert chinese["sentiment"] == "negative"
    assert batch.evidence[2]["sentiment"]["script"] == "han"


def test_the_script_is_read_without_handles_and_links(enricher: SentimentEnricher) -> None:
    """As the language enricher reads it: a Cyrillic @handle does not stop the English model reading an English
    thank-you."""
    text = "@ЯндексТакси_Москва thanks!"
    batch = _run(enricher, [(text, None, None)])
    assert batch.results[0]["sentiment"] == enricher.model.predict([text])[0].label
    assert "sentiment" not in batch.evidence[0]


def test_opinion_words_count_as_evidence_of_their_language() -> None:
    words = ["Servizio", "pessimo", "cibo", "freddo", "e", "personale", "scortese"]
    assert opinion_word_count(words, "it") == 3
    assert opinion_word_count(["the", "and", "was"], "it") == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_two_shipped_entries_collide_after_inflection_is_removed(language: str) -> None:
    # "sino" (contrast) and "sin" (negator) reduce to one key in Spanish; a later line silently replaces
    # an earlier one, so two entries of different kinds or opposite polarity on one key are a bug.
    from importlib import resources

    text = resources.files("voxpop.analyze").joinpath("resources", "lexicons", f"{language}.tsv").read_text("utf-8")
    seen: dict[tuple[str, ...], tuple[str, str, float]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, kind, weight = line.split("\t")
        key = tuple(word_key(word, language) for word in re.findall(r"[^\W\d_]+", fold(term)))
        if key in seen:
            other, other_kind, other_weight = seen[key]
            assert other_kind == kind, (term, other)
            assert other_weight * float(weight) >= 0, (term, other)
        seen[key] = (term, kind, float(weight))
