"""Aspect tagging: clauses, zero-shot detection, the learned head in the tagger, clause-level sentiment and
the department that owns an item."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from voxpop.analyze.aspects import TOP_K, AspectHit, AspectTagger
from voxpop.analyze.clauses import split_clauses
from voxpop.analyze.embeddings import Embedder, get_embedder
from voxpop.analyze.sentiment import SentimentModel
from voxpop.analyze.taxonomy import Aspect, Taxonomy, fit_taxonomy, load_taxonomy
from voxpop.settings import Settings


@pytest.fixture(scope="module")
def embedder(models_home: Path) -> Embedder:
    return get_embedder(Settings(home=models_home))


@pytest.fixture(scope="module")
def sentiment(models_home: Path) -> SentimentModel:
    return SentimentModel.load(Settings(home=models_home))


@pytest.fixture(scope="module")
def restaurant(embedder: Embedder, sentiment: SentimentModel) -> AspectTagger:
    return AspectTagger(load_taxonomy("restaurant"), embedder=embedder, sentiment=sentiment)


def names(hits: list[AspectHit]) -> set[str]:
    return {hit.name for hit in hits}


# --- clauses ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("The food was great but the waiter was rude.", ["The food was great", "but the waiter was rude."]),
        ("Room was clean. Staff, however, were rude!", ["Room was clean.", "Staff, however, were rude!"]),
        (
            "I loved it although the music was loud; parking is hard",
            ["I loved it", "although the music was loud", "parking is hard"],
        ),
        ("Nice place\nBad service", ["Nice place", "Bad service"]),
        ("Great, but pricey.", ["Great, but pricey."]),  # one side too short to stand alone
        ("Rated 4.5 stars. Good value overall.", ["Rated 4.5 stars.", "Good value overall."]),
        ("Just fine", ["Just fine"]),
        ("   ", []),
    ],
)
def test_split_clauses(text: str, clauses: list[str]) -> None:
    assert split_clauses(text) == clauses


# --- zero-shot ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["general", "restaurant", "hotel", "airline", "saas"])
def test_builtin_thresholds_match_their_calibration(embedder: Embedder, name: str) -> None:
    taxonomy = load_taxonomy(name)
    assert taxonomy.threshold is not None
    calibrated = AspectTagger(taxonomy, embedder=embedder).calibrate()
    assert 0.25 <= calibrated <= 0.6
    assert calibrated == pytest.approx(taxonomy.threshold, abs=0.03)  # re-calibrate after editing the examples


def test_a_taxonomy_without_threshold_is_calibrated_on_first_use(embedder: Embedder) -> None:
    taxonomy = load_taxonomy("restaurant")
    taxonomy.threshold = None
    tagger = AspectTagger(taxonomy, embedder=embedder)
    assert tagger.threshold == pytest.approx(0.36, abs=0.03)
    assert tagger.detect(["The waiter was rude.", "See you soon."])[1] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The risotto was creamy and full of flavour.", {"food"}),
        ("Our server ignored us all evening.", {"service"}),
        ("Lovely candle-lit room with soft jazz playing.", {"ambience"}),
        ("Forty euros for two pizzas is a rip-off.", {"food", "price"}),
        ("The toilets were filthy.", {"cleanliness"}),
    ],
)
def test_zero_shot_tags_clear_sentences(restaurant: AspectTagger, text: str, expected: set[str]) -> None:
    found = {name for name, _ in restaurant.detect([text])[0]}
    assert expected <= found
    assert len(found - expected) <= 1


@pytest.mark.parametrize("text", ["See you next week.", "I went there with my brother on Sunday.", "Hi", ""])
def test_text_about_nothing_gets_no_aspect(restaurant: AspectTagger, text: str) -> None:
    assert restaurant.detect([text]) == [[]]


def test_a_keyword_is_enough(embedder: Embedder, sentiment: SentimentModel) -> None:
    taxonomy = Taxonomy(
        "clinic",
        [
            Aspect(
                "parking",
                "Finding a place to park the car.",
                ["No spaces left in the car park."],
                "facilities",
                ["parking"],
            ),
            Aspect("dentist", "The dentist's care and skill.", ["The dentist was gentle."], "clinical", []),
        ],
        threshold=0.9,  # nothing passes on similarity alone
    )
    tagger = AspectTagger(taxonomy, embedder=embedder, sentiment=sentiment)
    assert tagger.detect(["Parking is a nightmare", "The dentist was gentle."]) == [
        [("parking", pytest.approx(tagger.detect(["Parking is a nightmare"])[0][0][1]))],
        [],
    ]


def test_relevance_orders_the_hits(restaurant: AspectTagger) -> None:
    hits = restaurant.detect(["The steak was perfect and the waiter was charming."])[0]
    assert {name for name, _ in hits} >= {"food", "service"}
    assert all(0.0 <= relevance <= 1.0 for _, relevance in hits)
    assert [r for _, r in hits] == sorted((r for _, r in hits), reverse=True)


# --- clause-level sentiment ---------------------------------------------------------------------------


def test_each_aspect_gets_the_sentiment_of_its_own_clause(restaurant: AspectTagger) -> None:
    [hits] = restaurant.tag(["The food was great but the waiter was rude."])
    by_name = {hit.name: hit for hit in hits}
    assert by_name["food"].sentiment == "positive"
    assert by_name["food"].clause == "The food was great"
    assert by_name["service"].sentiment == "negative"
    assert by_name["service"].clause == "but the waiter was rude."
    assert by_name["service"].department == "front of house"
    assert by_name["food"].department == "kitchen"


@pytest.mark.parametrize(
    ("taxonomy", "text", "expected"),
    [
        (
            "hotel",
            "The room was lovely and very comfortable. However, the receptionist was rude and unhelpful.",
            {"room": "positive", "staff": "negative"},
        ),
        (
            "airline",
            "They lost my suitcase, although the flight attendants were lovely.",
            {"baggage": "negative", "cabin crew": "positive"},
        ),
        (
            "saas",
            "The app crashes constantly but your support team is fantastic.",
            {"bugs and reliability": "negative", "support": "positive"},
        ),
    ],
)
def test_mixed_reviews_in_every_vertical(
    embedder: Embedder, sentiment: SentimentModel, taxonomy: str, text: str, expected: dict[str, str]
) -> None:
    tagger = AspectTagger(load_taxonomy(taxonomy), embedder=embedder, sentiment=sentiment)
    [hits] = tagger.tag([text])
    got = {hit.name: hit.sentiment for hit in hits}
    for name, label in expected.items():
        assert got.get(name) == label, got


def test_tag_accepts_precomputed_embeddings_and_keeps_order(restaurant: AspectTagger, embedder: Embedder) -> None:
    texts = ["Hi", "The soup was cold.", "", "Rude staff."]
    with_vectors = restaurant.tag(texts, embedder.encode(texts))
    assert [
        names(hits) >= expected
        for hits, expected in zip(with_vectors, [set(), {"food"}, set(), {"service"}], strict=True)
    ] == [True] * 4
    assert with_vectors[0] == []
    assert with_vectors[2] == []
    assert with_vectors == restaurant.tag(texts)
    assert restaurant.tag([]) == []
    hit = with_vectors[1][0]
    assert hit.as_dict()["name"] == hit.name
    assert 0.0 <= hit.confidence <= 1.0


# --- the learned head inside the tagger ----------------------------------------------------------------


def test_a_fitted_taxonomy_tags_with_its_head_and_keeps_zero_shot_aspects(
    embedder: Embedder, sentiment: SentimentModel
) -> None:
    base = Taxonomy(
        "shop",
        [
            Aspect("delivery", "Shipping and couriers.", department="logistics", labels=["late"]),
            Aspect(
                "store staff",
                "Employees in the shop and how they treat customers.",
                ["The cashier was rude.", "Staff were friendly and helpful.", "Nobody on the floor helped me."],
                department="retail",
            ),
        ],
    )
    texts = [
        "Parcel arrived a week late", "Courier lost my package", "Tracking stuck for days", "Delivery was slow",
        "Still waiting for my order", "The van never came", "Box came late and crushed", "Shipping took a month",
        "Charged twice for one order", "Strange fee on my card", "Invoice has the wrong amount", "Billed after I quit",
        "Refund my double charge", "Payment taken twice", "Overcharged again", "Card charged before shipping",
    ]  # fmt: skip
    labels = [["late"]] * 8 + [["billing"]] * 8
    taxonomy = fit_taxonomy(texts, labels, base=base, embedder=embedder)
    tagger = AspectTagger(taxonomy, embedder=embedder, sentiment=sentiment)
    late, charged, staff = tagger.tag(
        ["My parcel is two weeks late", "You charged my card three times", "The cashier was very rude to me"]
    )
    assert names(late) == {"delivery"}
    assert late[0].department == "logistics"
    assert names(charged) == {"billing"}
    assert charged[0].department is None
    assert names(staff) == {"store staff"}  # never in the labels: found zero-shot, and no forced billing
    assert tagger.department(staff) == "retail"


def test_a_head_that_always_answers_stays_quiet_off_topic(embedder: Embedder, sentiment: SentimentModel) -> None:
    texts = [
        "My suitcase never arrived", "They lost my bag", "Luggage missing since Monday", "Where is my baggage?",
        "Bag lost on the connection", "No sign of my suitcase", "Flight delayed four hours", "Late again, missed it",
        "Departure pushed back twice", "Two hour delay, no info", "We sat on the tarmac for ages", "Delayed, as usual",
    ]  # fmt: skip
    labels = [["lost luggage"]] * 6 + [["late flight"]] * 6
    taxonomy = fit_taxonomy(texts, labels, embedder=embedder)
    assert taxonomy.head is not None
    assert taxonomy.head.exclusive
    probe = ["My bag is lost", "What a lovely sunset over the lake"]
    assert [len(row) for row in taxonomy.head.predict(probe, embedder.encode(probe))] == [1, 1]  # always answers
    tagger = AspectTagger(taxonomy, embedder=embedder, sentiment=sentiment)
    lost, sunset = tagger.tag(probe)
    assert names(lost) == {"lost luggage"}
    assert lost[0].sentiment == "negative"
    assert sunset == []


# --- departments --------------------------------------------------------------------------------------


def hit(name: str, sentiment: str, relevance: float, department: str | None) -> AspectHit:
    return AspectHit(name, sentiment, 0.0, 0.9, department, relevance=relevance)


def test_department_is_the_owner_of_the_dominant_aspect(restaurant: AspectTagger) -> None:
    assert restaurant.department([]) is None
    assert restaurant.department([hit("food", "positive", 0.9, "kitchen")]) == "kitchen"
    both = [hit("food", "positive", 0.9, "kitchen"), hit("service", "negative", 0.6, "front of house")]
    assert restaurant.department(both) == "kitchen"
    close = [hit("food", "positive", 0.8, "kitchen"), hit("service", "negative", 0.7, "front of house")]
    assert restaurant.department(close) == "front of house"  # a complaint outweighs praise of similar weight
    assert restaurant.department([hit("x", "negative", 1.0, None), hit("food", "neutral", 0.2, "kitchen")]) == "kitchen"


def test_department_of_a_tagged_mixed_review(restaurant: AspectTagger) -> None:
    [hits] = restaurant.tag(["Delicious food, but we waited over an hour and the waiter was rude."])
    assert restaurant.department(hits) == "front of house"


# --- keyword and similarity shortcuts ----------------------------------------------------------------


def _search_each_aspect(taxonomy: Taxonomy, text: str) -> list[bool]:
    """The plain rule: an aspect's keyword (or its plural) occurs in ``text`` as a whole word."""
    found = []
    for aspect in taxonomy.aspects:
        words = "|".join(sorted((re.escape(k.lower()) for k in aspect.keywords), key=len, reverse=True))
        found.append(bool(words and re.search(rf"(?<!\w)(?:{words})(?:s|es)?(?!\w)", text, re.IGNORECASE)))
    return found


@pytest.mark.parametrize("name", ["general", "airline", "hotel", "restaurant", "saas"])
def test_keyword_hits_agree_with_a_search_per_aspect(name: str) -> None:
    taxonomy = load_taxonomy(name)
    tagger = AspectTagger(taxonomy)
    keywords = [k for aspect in taxonomy.aspects for k in aspect.keywords]
    texts = ["", "nothing to see here", "Cheaply made!", "cheaps and prices", "the bag-gage; BAGGAGE claims"]
    for keyword in keywords:
        texts += [
            f"My {keyword} was fine.",
            f"{keyword.upper()}ES AND {keyword}s",
            f"un{keyword}ly {keyword}x",  # inside longer words: no match
            f"{keyword} {keywords[len(texts) % len(keywords)]}",  # two keywords side by side
        ]
    hits = [tagger.keyword_hits(text) for text in texts]
    assert hits == [_search_each_aspect(taxonomy, text) for text in texts]
    assert sum(any(row) for row in hits) > len(keywords)  # the texts do exercise the keywords


class _Seeded:
    """Deterministic unit vectors, one per distinct text (enough to compare two ways of scoring)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.random.default_rng(sum(map(ord, t)) + len(t)).standard_normal(16) for t in texts]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), 16)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def test_similarity_is_the_mean_of_each_aspects_best_prompts() -> None:
    taxonomy = Taxonomy(
        "uneven",
        [
            Aspect("one", "only a description"),
            Aspect("two", "a description", ["an example"]),
            Aspect("many", "described", ["first", "second", "third", "fourth", "fifth"]),
        ],
        threshold=0.5,
    )
    tagger = AspectTagger(taxonomy, embedder=_Seeded())
    vectors, owner = tagger._prompts()
    texts = _Seeded().encode([f"text {i}" for i in range(7)])
    hidden = np.zeros((7, len(vectors)), dtype=bool)
    hidden[0, owner == 0] = True  # every prompt of an aspect hidden: -1
    hidden[1, np.flatnonzero(owner == 2)[:4]] = True  # only one of the five left
    sims = texts @ vectors.T
    got = tagger.similarity(texts, hidden)
    for row in range(7):
        for index in range(3):
            visible = sims[row, (owner == index) & ~hidden[row]]
            best = np.sort(visible)[::-1][:TOP_K]
            assert got[row, index] == pytest.approx(best.mean() if len(best) else -1.0, abs=1e-6)
