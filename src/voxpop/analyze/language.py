"""Language of each item: lingua, restricted to ``settings.languages``, in low-accuracy mode.

lingua's low-accuracy mode (trigrams only, about 15k texts/s here, a few MB of models) is fast but on a
short social post it often errs — a plain English "thank you!" comes out German. Its high-accuracy mode
fixes that but costs about 175 MB and seconds of loading. Instead, a verdict for any language other than
the first configured one (the business's main language) must be backed by that language's own function
words: at least two of them ("el", "que", "muy"; "der", "und", "nicht"…) and more than the main
language's. A text without them is given the main language when it has that language's function words,
else ``None``. A short review often has fewer function words than that ("Servizio pessimo, cibo freddo e
personale scortese." has one), so for a language with a voxpop sentiment lexicon
(:mod:`voxpop.analyze.multilingual`) its opinion words ("pessimo", "freddo", "scortese") count as that
language's evidence too, once at least one of its function words is there. Many short reviews have no
function word at all ("Ottimo ristorante, personale gentilissimo", "Keine Empfehlung, Finger weg!"): lingua's
verdict stands for those when lingua is sure of it (confidence ≥ ``MIN_CONFIDENCE``) and fewer than half of
the text's words of three letters or more are English words (:func:`english_share`: the English vocabulary
of the embedding model's WordPiece list and of VADER's lexicon, with plain English endings taken off), so
"Excellent, fantastic, ideal." stays English. Handles, links and hashtags are removed first (they are not
language), and a text with fewer than ``MIN_LETTERS`` letters — "ok", "👍👍", "!!!" — gets ``None`` rather
than a guess.

lingua only chooses among the configured languages, so a Polish or Turkish review would get the nearest of
them. A verdict is dropped (``None``) when the text holds a letter that language's spelling does not use but
another Latin-script language's does ("ł", "ř", "ş", "å", "ő"…; :func:`foreign_letters`).

A text written mostly in another script than the Latin alphabet is not guessed at by the Latin-script
detector: it gets the language its script names when only one language is written in it (Greek, Hebrew,
Korean, Japanese with kana, Chinese, Thai, Georgian, Armenian), else ``None``; :func:`script_of` names the
script, and the sentiment enricher does not let the English model read such a text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from voxpop.analyze.multilingual import LANGUAGES as LEXICON_LANGUAGES
from voxpop.analyze.multilingual import opinion_word_count
from voxpop.analyze.registry import AnalysisContext, Batch, register

MIN_LETTERS = 4
MIN_RELATIVE_DISTANCE = 0.25
MIN_FUNCTION_WORDS = 2
#: lingua's confidence (of 1) a verdict needs to stand on a text with no function word of its language.
MIN_CONFIDENCE = 0.9
#: ... and the share of its words of three letters or more that may be English.
MAX_ENGLISH_SHARE = 0.5
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|&\w+;")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

#: Frequent function words per language, written for voxpop (articles, conjunctions, pronouns, copulas).
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the a an and is are was were of to in for on my i you it this that with not but be have at your "
        "we me so they our has had been will would can just what",
        "es": "el la los las de que y en un una por con para es está muy pero no mi fue del al se lo como más "
        "estaba son hay nos su sus este esta yo",
        "fr": "le la les de des et est un une du en que qui pas pour avec très mais je nous vous était au ce "
        "cette sont il elle on ne sur dans",
        "de": "der die das und ist nicht ein eine mit zu den von war sehr aber ich wir auf für es im dem sind "
        "auch noch wie uns",
        "it": "il lo la di che e è un una per con non molto ma sono era del della le gli al ho abbiamo anche "
        "questo nel",
        "pt": "o a os as de que e é um uma para com não muito mas foi do da em no na estava são eu nós também "
        "isso pelo",
        "nl": "de het een en van is niet met op te dat voor was zijn maar heel ik we er om bij ook nog wat naar hebben",
    }.items()
}


#: Letters beyond ASCII in the spelling of the languages voxpop has function words for.
ALPHABETS = {
    "en": "",
    "es": "áéíóúüñ",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "de": "äöüß",
    "it": "àèéìíîòóùú",
    "pt": "áâãàçéêíóôõú",
    "nl": "áéíóúàèëïöü",
}
#: Letters of other Latin-script languages that none of those use: Polish, Czech and Slovak, Hungarian,
#: Turkish, Romanian, the Scandinavian languages, Croatian and Serbian, Icelandic.
OTHER_LATIN_LETTERS = frozenset("łąęśźżćńěščřžůďťňľĺŕőűığşţșțăåøđðþ")

#: Scripts that only one language is (commonly) written in; "HAN" without kana is Chinese.
SCRIPT_LANGUAGES = {
    "GREEK": "el",
    "HEBREW": "he",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HAN": "zh",
    "THAI": "th",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
}
_ENGLISH_ENDINGS = ("iest", "ness", "ies", "ied", "ier", "ily", "ing", "est", "es", "ed", "er", "ly", "s", "d")


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    if name.startswith("CJK"):
        return "HAN"
    return name.split(" ", 1)[0]


def script_of(text: str) -> str | None:
    """The script most of the letters among the text's first 400 characters are written in, when it is not
    the Latin alphabet (``"CYRILLIC"``, ``"HAN"``, ``"ARABIC"``…); ``None`` for Latin-script text or text with
    no letters."""
    if text.isascii():
        return None
    counts = {"LATIN": len(_ASCII_LETTER.findall(text, 0, 400))}
    for char in _OTHER_LETTER.findall(text, 0, 400):
        script = _script(char)
        counts[script] = counts.get(script, 0) + 1
    letters = sum(counts.values())
    if not letters or counts["LATIN"] * 2 >= letters:
        return None
    best = max(counts, key=lambda script: counts[script])
    if best == "LATIN":
        return None
    if best in ("HAN", "HIRAGANA", "KATAKANA") and (counts.get("HIRAGANA", 0) or counts.get("KATAKANA", 0)):
        return "HIRAGANA"  # Japanese: kanji with kana
    return best


@cache
def _english_words() -> frozenset[str]:
    """English words of three letters or more: the WordPiece vocabulary's whole words (it is English
    Wikipedia's and books'; the function words of voxpop's other languages, which it also holds, are left
    out) and the words of VADER's lexicon."""
    from voxpop.analyze.lexicon import vader_words

    path = resources.files("voxpop.analyze").joinpath("resources", "tokenizer.json")
    vocabulary = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    foreign = set().union(*(words for code, words in FUNCTION_WORDS.items() if code != "en")) - FUNCTION_WORDS["en"]
    words = {w for w in vocabulary if len(w) >= 3 and w.isascii() and w.isalpha()} | vader_words()
    return frozenset(words - foreign)


_ELONGATED = re.compile(r"(.)\1{2,}")


def _is_english(word: str) -> bool:
    known = _english_words()
    if word in known:
        return True
    if _ELONGATED.search(word):  # "sooo", "goood"
        shorter = (_ELONGATED.sub(r"\1\1", word), _ELONGATED.sub(r"\1", word))
        return any(w in known or w in FUNCTION_WORDS["en"] for w in shorter)
    for ending in _ENGLISH_ENDINGS:
        stem = word[: -len(ending)]
        if (
            word.endswith(ending)
            and len(stem) >= 3
            and (stem in known or stem + "e" in known or (ending[0] == "i" and stem + "y" in known))
        ):
            return True
    return False


def english_share(words: Sequence[str]) -> float | None:
    """The share of ``words`` (lower case) of three letters or more that are English; ``None`` for fewer
    than two such words."""
    long = [w for w in words if len(w) >= 3]
    if len(long) < 2:
        return None
    return sum(_is_english(w) for w in long) / len(long)


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    """The detector for these ISO 639-1 codes, built once per process."""
    codes = []
    for code in languages:
        try:
            codes.append(getattr(IsoCode639_1, code.upper()))
        except AttributeError:
            raise ValueError(f"unknown language code {code!r} in settings.languages") from None
    if len(codes) == 1:
        # lingua needs two languages to choose between; a one-language install still detects "not this".
        codes.append(IsoCode639_1.EN if codes[0] != IsoCode639_1.EN else IsoCode639_1.ES)
    detector = (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_low_accuracy_mode()
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .build()
    )
    # lingua reads its language models on the first detection (~0.06 s CPU): do it here, where the
    # enricher is built (on a loading thread in ``voxpop analyze``), rather than on the first batch.
    detector.detect_language_of("load the language models")
    return detector


def strip_noise(text: str) -> str:
    """The text without links, @mentions, #hashtags and HTML entities: what its language and script are read
    from (a Cyrillic @handle does not make an English thank-you Russian)."""
    return _NOISE.sub(" ", text)


def foreign_letters(text: str, code: str) -> int:
    """How many of the text's first 2,000 characters are letters that only other Latin-script languages use
    (:data:`OTHER_LATIN_LETTERS`) and ``code``'s spelling does not; 0 for a language whose letters voxpop
    does not list."""
    head = text[:2000]
    if head.isascii() or code not in ALPHABETS:
        return 0
    return len(_foreign_pattern(code).findall(head.lower()))


@cache
def _foreign_pattern(code: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(sorted(OTHER_LATIN_LETTERS - set(ALPHABETS[code]))) + "]")


def _confirmed(code: str, primary: str, cleaned: str, detector: LanguageDetector) -> str | None:
    """Keep a non-primary verdict only when the text's function words agree, or lingua is sure and the
    words are not English ones (see the module docstring)."""
    theirs = FUNCTION_WORDS.get(code)
    ours = FUNCTION_WORDS.get(primary, frozenset())
    if theirs is None:
        return code
    words = [w.lower() for w in _WORDS.findall(cleaned[:2000])]
    found = _by_function_words(code, primary, words, theirs, ours)
    if found == code:
        return code
    # English function words of one or two letters ("a", "in", "me", "so") are words of the others too.
    sure_english = any(len(w) > 2 and w in ours for w in words)
    share = english_share(words) if primary == "en" and not sure_english else None
    if share is not None and share < MAX_ENGLISH_SHARE:
        best = detector.compute_language_confidence_values(cleaned)[0]
        if best.language.iso_code_639_1.name.lower() == code and best.value >= MIN_CONFIDENCE:
            return code
    return found


def _by_function_words(
    code: str, primary: str, words: list[str], theirs: frozenset[str], ours: frozenset[str]
) -> str | None:
    own = sum(w in theirs for w in words)
    main = sum(w in ours for w in words)
    if own >= MIN_FUNCTION_WORDS and own > main:
        return code
    if own >= 1 and code in LEXICON_LANGUAGES:
        # At least one function word must agree: English opinion words share stems with the lexicons'
        # ("fantastic", "ideal", "horrible"), and "Excellent, fantastic, ideal." is not Spanish.
        evidence = own + opinion_word_count(words, code)
        if evidence >= MIN_FUNCTION_WORDS and evidence > main:
            return code
    return primary if main else None


def detect_languages(texts: Sequence[str], languages: Sequence[str]) -> list[str | None]:
    """ISO 639-1 code per text, or ``None`` for a text too short, symbol-only or ambiguous to tell."""
    detector = _detector(tuple(code.lower() for code in languages))
    primary = languages[0].lower() if languages else "en"
    found: list[str | None] = []
    for text in texts:
        cleaned = strip_noise(text)
        if len(_LETTER.findall(cleaned, 0, 400)) < MIN_LETTERS:
            found.append(None)
            continue
        script = script_of(cleaned)
        if script is not None:
            found.append(SCRIPT_LANGUAGES.get(script))
            continue
        language = detector.detect_language_of(cleaned)
        code = None if language is None else language.iso_code_639_1.name.lower()
        if code is not None and foreign_letters(cleaned, code):
            code = None  # spelt with letters that language does not use: one voxpop was not told to expect
        elif code is not None and code != primary:
            code = _confirmed(code, primary, cleaned, detector)
        found.append(code)
    return found


@register
class LanguageEnricher:
    """Sets ``language``; later enrichers (sentiment) read it to temper what an English model says."""

    name = "language"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.languages = tuple(code.lower() for code in context.settings.languages) or ("en",)
        _detector(self.languages)

    def enrich(self, batch: Batch) -> None:
        for result, code in zip(batch.results, detect_languages(batch.texts, self.languages), strict=True):
            result["language"] = code


def language_of(text: str, languages: Sequence[str] = ("en", "es", "fr", "de", "it", "pt", "nl")) -> str | None:
    """One text's language (a convenience for callers outside the pipeline)."""
    return detect_languages([text], languages)[0]
