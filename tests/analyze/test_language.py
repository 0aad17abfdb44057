"""Language detection: the configured languages only, None rather than a guess on too little text."""

from __future__ import annotations

import pytest

from voxpop.analyze.language import LanguageEnricher, detect_languages, english_share, foreign_letters, script_of
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.settings import Settings

LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The room was clean and the staff were friendly.", "en"),
        ("La habitación estaba sucia y el personal fue muy grosero.", "es"),
        ("Le service était lent mais la nourriture était excellente.", "fr"),
        ("Das Essen war kalt und der Kellner war unfreundlich.", "de"),
        ("Il cibo era ottimo e il personale molto gentile.", "it"),
        ("O quarto estava limpo e o atendimento foi ótimo.", "pt"),
        ("Het eten was koud en de bediening was traag.", "nl"),
    ],
)
def test_clear_sentences_are_detected(text: str, expected: str) -> None:
    assert detect_languages([text], LANGUAGES) == [expected]


@pytest.mark.parametrize("text", ["", "   ", "ok", "👍👍👍", "!!!", "???", "123 456", "@united #fail http://t.co/x"])
def test_too_little_text_gives_none(text: str) -> None:
    assert detect_languages([text], LANGUAGES) == [None]


@pytest.mark.parametrize("text", ["@united thank you!", "Thank you so much", "that sucks. Oh well."])
def test_short_english_is_not_called_german_or_dutch(text: str) -> None:
    assert detect_languages([text], LANGUAGES)[0] in {"en", None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Servizio pessimo, cibo freddo e personale scortese.", "it"),
        ("Wunderbarer Aufenthalt, sehr freundliches Personal.", "de"),
        ("Superbe séjour, chambre propre et personnel adorable.", "fr"),
        ("Entrega rápida e produto impecável, recomendo.", "pt"),
        ("Heerlijk gegeten, vriendelijk personeel en gezellige sfeer.", "nl"),
        # No function word at all: lingua's verdict stands when it is sure and the words are not English.
        ("Assolutamente consigliato, pizza squisita", "it"),
        ("Lieferung pünktlich, Ware einwandfrei", "de"),
        ("Commande reçue rapidement, emballage soigné", "fr"),
        ("Atención pésima, nunca jamás", "es"),
        ("Péssimo atendimento, demorado demais", "pt"),
        ("Snelle service, vriendelijke medewerkers", "nl"),
    ],
)
def test_short_reviews_are_detected(text: str, expected: str) -> None:
    # One function word or none: the words of voxpop's sentiment lexicon of that language count too.
    assert detect_languages([text], LANGUAGES) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "(The asparagus, truffle oil, parmesan bruschetta is a winner!)",  # an English function word of 3+ letters
        "Faan is sooo good.",  # "sooo" is English once its letters are not drawn out
        # English opinion words shared with other lexicons ("horrible", "super", "fantastic")
        "Horrible service, terrible food.",
        "Super fast, top service, perfect!",
        "Excellent, fantastic, ideal.",
        "Shittier, foetid, efficiencies",  # inflected English words: "shitty", "efficiency"
    ],
)
def test_english_stays_english(text: str) -> None:
    assert detect_languages([text], LANGUAGES)[0] in {"en", None}


def test_english_share_reads_inflections_and_ignores_short_words() -> None:
    assert english_share(["deliveries", "arrived", "cheaply"]) == 1.0
    assert english_share(["consegna", "rapidissima", "ottima"]) == 0.0
    assert english_share(["a", "in", "ok"]) is None  # fewer than two words of three letters or more
    # "die" is in the English vocabulary, but as a German function word it is no evidence of English.
    assert english_share(["der", "die", "und", "nicht"]) == 0.0


@pytest.mark.parametrize(
    ("text", "script", "expected"),
    [
        ("Отличный отель, обязательно вернёмся!", "CYRILLIC", None),  # Russian, Ukrainian, Bulgarian…: not guessed
        ("服务太差了，房间很脏。", "HAN", "zh"),
        ("とても良いホテルでした。", "HIRAGANA", "ja"),
        ("東京のホテルは最高でした", "HIRAGANA", "ja"),  # kanji with kana is Japanese
        ("서비스가 정말 좋아요", "HANGUL", "ko"),
        ("Πολύ καλό ξενοδοχείο", "GREEK", "el"),
        ("שירות מעולה, תודה", "HEBREW", "he"),
        ("บริการดีมาก", "THAI", "th"),
        ("الخدمة سيئة جدا", "ARABIC", None),
    ],
)
def test_another_script_is_named_and_not_guessed_at(text: str, script: str, expected: str | None) -> None:
    assert script_of(text) == script
    assert detect_languages([text], LANGUAGES) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Świetna obsługa, polecam!",  # Polish
        "Jídlo bylo studené a obsluha nepříjemná.",  # Czech
        "Yemekler soğuktu ve garson ilgisizdi.",  # Turkish
        "Maten var god men servicen var långsam.",  # Swedish
        "Kedves személyzet, nagyszerű kiszolgálás.",  # Hungarian
    ],
)
def test_a_latin_script_language_that_is_not_configured_gets_none(text: str) -> None:
    # lingua chooses only among the configured languages; letters none of them uses veto its choice.
    assert detect_languages([text], LANGUAGES) == [None]


def test_accents_of_the_configured_languages_do_not_veto() -> None:
    texts = ["The café near Zürich station was lovely.", "Très bon séjour, à bientôt !", "Schönes Hotel, gerne wieder."]
    assert detect_languages(texts, LANGUAGES) == ["en", "fr", "de"]
    assert foreign_letters("Świetna obsługa", "de") == 2
    assert foreign_letters("Świetna obsługa", "pl") == 0  # a language whose letters voxpop does not list


def test_latin_text_has_no_other_script() -> None:
    assert script_of("Très bon séjour, Frühstück ausgezeichnet, ¡perfecto!") is None
    assert script_of("Great stay in Москва, thank you all") is None  # mostly Latin
    assert script_of("👍 123 !!!") is None


def test_only_configured_languages_are_chosen() -> None:
    found = detect_languages(["La habitación estaba sucia y el personal fue muy grosero."], ("en", "fr"))
    assert found[0] in {"en", "fr", None}
    assert found[0] != "es"


def test_very_long_text_is_detected() -> None:
    text = "Der Zug hatte wieder einmal eine Stunde Verspätung und niemand hat uns informiert. " * 500
    assert detect_languages([text], LANGUAGES) == ["de"]


def test_unknown_language_code_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="xx"):
        detect_languages(["hello there friend"], ("en", "xx"))


def test_enricher_fills_language_per_item(tmp_path: object) -> None:
    enricher = LanguageEnricher(AnalysisContext(Settings(languages=["en", "es"])))
    batch = Batch.of([Record(1, "¿Dónde está mi maleta? Llevo dos horas esperando."), Record(2, "🙂"), Record(3, "")])
    enricher.enrich(batch)
    assert batch.column("language") == ["es", None, None]
