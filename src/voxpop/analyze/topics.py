"""Emerging themes, found without a taxonomy.

``discover_topics`` clusters a corpus's embeddings — PCA down to a few dimensions, then scikit-learn's
HDBSCAN, which finds clusters of any shape and leaves outliers unassigned instead of forcing them into a
theme — and names each cluster by its class-based TF-IDF key phrases (1–3-grams, English stop words
removed, handles and links stripped, counted once per distinct text): the phrases common in this cluster
and rare in the others.

Clustering is fitted on at most ``FIT_SAMPLE`` items (a seeded random sample), and every item is then
assigned to the nearest cluster centre if it is as close as the cluster's own members usually are, so the
cost stays flat on a large corpus and ``TopicModel.assign`` can place items seen later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from voxpop.analyze.registry import AnalysisContext, Batch, register

MIN_ITEMS = 20
FIT_SAMPLE = 5000
PCA_DIMENSIONS = 10
PLACE_CHUNK = 50_000
KEY_PHRASES = 3
MEMBER_QUANTILE = 0.05  # an item joins a topic if it is about as close as the topic's own members…
MEMBER_MARGIN = 0.1  # …give or take this much cosine
MIN_TEXTS = 2  # a key phrase is in at least this many distinct texts of its topic…
MIN_SHARE = 0.03  # …and this share of them
WORD_PATTERN = r"(?u)\b[^\W\d_][\w'-]+\b"  # words of 2+ characters that start with a letter
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|&\w+;")


@dataclass
class Topic:
    id: int
    name: str
    key_phrases: list[str]
    size: int
    volume_by_week: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "key_phrases": self.key_phrases,
            "size": self.size,
            "volume_by_week": self.volume_by_week,
        }


@dataclass
class TopicModel:
    """Topics of a corpus, each item's topic id (``-1``: none), and what is needed to place new items."""

    topics: list[Topic]
    labels: np.ndarray
    centroids: np.ndarray
    thresholds: np.ndarray

    def names(self) -> list[list[str]]:
        """Per item, the list of its topic names (empty or one name)."""
        names = {t.id: t.name for t in self.topics}
        return [[names[int(label)]] if label >= 0 else [] for label in self.labels]

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        """Topic id per new embedding: the nearest centre, if close enough; else ``-1``."""
        return nearest(embeddings, self.centroids, self.thresholds)

    def name_of(self, label: int) -> str | None:
        return self.topics[label].name if 0 <= label < len(self.topics) else None


def nearest(embeddings: np.ndarray, centroids: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per embedding, the index of the nearest centre if at least that centre's threshold close; else ``-1``."""
    if len(centroids) == 0 or len(embeddings) == 0:
        return np.full(len(embeddings), -1, dtype=np.int64)
    similarity = np.asarray(embeddings, dtype=np.float32) @ centroids.T
    best = similarity.argmax(axis=1)
    close = similarity[np.arange(len(best)), best] >= thresholds[best]
    return np.where(close, best, -1).astype(np.int64)


def week_of(moment: datetime) -> str:
    """The ISO date of the Monday starting ``moment``'s week."""
    return (moment.date() - timedelta(days=moment.weekday())).isoformat()


def _empty(n: int) -> TopicModel:
    return TopicModel([], np.full(n, -1, dtype=np.int64), np.zeros((0, 1), np.float32), np.zeros(0, np.float32))


def preload() -> None:
    """Import what :func:`discover_topics` fits with (scikit-learn: about 2 s of CPU here, which the
    per-item analysis no longer imports), so a caller can pay for it on a spare thread while items are
    still being embedded rather than after the last one."""
    import sklearn.cluster
    import sklearn.decomposition
    import sklearn.feature_extraction.text  # noqa: F401


def discover_topics(
    texts: Sequence[str],
    embeddings: np.ndarray,
    dates: Sequence[datetime | None] | None = None,
    *,
    min_cluster_size: int | None = None,
    seed: int = 0,
) -> TopicModel:
    """Cluster ``embeddings`` (unit vectors, one per text) into named topics with weekly volumes."""
    n = len(texts)
    vectors = np.asarray(embeddings, dtype=np.float32)
    if vectors.shape[0] != n:
        raise ValueError(f"{n} texts but {vectors.shape[0]} embeddings")
    usable = np.array([bool(_NOISE.sub(" ", t).strip()) for t in texts], dtype=bool)
    if usable.sum() < MIN_ITEMS:
        return _empty(n)
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(usable)
    sample = np.sort(rng.choice(candidates, FIT_SAMPLE, replace=False)) if len(candidates) > FIT_SAMPLE else candidates
    size = min_cluster_size or max(5, int(np.sqrt(len(sample)) / 5))
    reduced = PCA(n_components=min(PCA_DIMENSIONS, len(sample) - 1, vectors.shape[1]), random_state=seed).fit_transform(
        vectors[sample]
    )
    # "leaf" selection prefers many specific clusters to a few broad ones: themes, not "everything negative".
    fitted = HDBSCAN(
        min_cluster_size=size, min_samples=min(size, 5), cluster_selection_method="leaf", copy=True
    ).fit_predict(reduced)
    clusters = [c for c in np.unique(fitted) if c >= 0]
    if not clusters:
        return _empty(n)
    centroids = np.zeros((len(clusters), vectors.shape[1]), dtype=np.float32)
    thresholds = np.zeros(len(clusters), dtype=np.float32)
    for k, cluster in enumerate(clusters):
        members = vectors[sample[fitted == cluster]]
        centre = members.mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        centroids[k] = centre
        thresholds[k] = float(np.quantile(members @ centre, MEMBER_QUANTILE)) - MEMBER_MARGIN
    model = TopicModel([], np.full(n, -1, dtype=np.int64), centroids, thresholds)
    labels = np.full(n, -1, dtype=np.int64)
    for start in range(0, len(candidates), PLACE_CHUNK):  # no copy of a whole store's vectors at once
        chunk = candidates[start : start + PLACE_CHUNK]
        labels[chunk] = nearest(vectors[chunk], centroids, thresholds)
    mapping = {cluster: k for k, cluster in enumerate(clusters)}
    clustered = fitted >= 0
    labels[sample[clustered]] = [mapping[c] for c in fitted[clustered]]  # fitted members keep their cluster
    model.labels = labels
    # Named from the fitted sample (its outliers placed too): on a store of a million items the names would
    # cost a vocabulary of every text, and the sample stands for them.
    phrases = key_phrases([texts[int(i)] for i in sample], labels[sample], len(clusters))
    for k in range(len(clusters)):
        members = np.flatnonzero(labels == k)
        volume: dict[str, int] = {}
        if dates is not None:
            for i in members:
                moment = dates[int(i)]
                if moment is not None:
                    week = week_of(moment)
                    volume[week] = volume.get(week, 0) + 1
        words = phrases[k] or [f"topic {k + 1}"]
        model.topics.append(Topic(k, ", ".join(words), words, len(members), dict(sorted(volume.items()))))
    return model


def key_phrases(texts: Sequence[str], labels: np.ndarray, count: int, top: int = KEY_PHRASES) -> list[list[str]]:
    """Class-based TF-IDF over distinct texts: per cluster, the 1–3-grams most typical of it relative to the
    other clusters.

    A phrase counts once per distinct text of a cluster (cleaned, lower-cased), never across two texts, so
    fifty copies of one retweet cannot name a topic, and a phrase must be in at least ``MIN_TEXTS`` of them
    and ``MIN_SHARE`` of the cluster: a name should describe a part of its topic, not one thread in it.
    """
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import CountVectorizer

    documents: list[str] = []
    owner: list[int] = []
    for k in range(count):
        distinct = {" ".join(_NOISE.sub(" ", texts[int(i)]).lower().split()) for i in np.flatnonzero(labels == k)}
        distinct.discard("")
        documents += sorted(distinct)
        owner += [k] * len(distinct)
    vectorizer = CountVectorizer(
        ngram_range=(1, 3), stop_words="english", token_pattern=WORD_PATTERN, lowercase=False, binary=True, min_df=2
    )  # min_df: a phrase of one text could never pass MIN_TEXTS
    try:
        present = vectorizer.fit_transform(documents)
    except ValueError:  # nothing but stop words, or no phrase in two texts
        return [[] for _ in range(count)]
    terms = vectorizer.get_feature_names_out()
    membership = csr_matrix(
        (np.ones(len(documents)), (owner, np.arange(len(documents)))), shape=(count, len(documents))
    )
    texts_with = (membership @ present).toarray()  # (clusters, terms): distinct texts holding the phrase
    sizes = np.maximum(np.bincount(owner, minlength=count).astype(np.float64)[:, None], 1.0)
    share = texts_with / sizes
    weights = share * np.log1p(sizes.mean() / np.maximum(texts_with.sum(axis=0), 1.0))
    weights[(texts_with < MIN_TEXTS) | (share < MIN_SHARE)] = 0.0
    # A longer phrase says more than its words ("customer service" over "customer"), when as common.
    weights *= np.sqrt(np.array([term.count(" ") + 1 for term in terms], dtype=np.float64))
    named: list[list[str]] = []
    for k in range(count):
        chosen: list[str] = []
        for index in np.argsort(-weights[k], kind="stable"):
            if weights[k, index] <= 0 or len(chosen) == top:
                break
            term = str(terms[index])
            words = term.split()
            if len(set(words)) < len(words):  # "thank thank thank"
                continue
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
        named.append(chosen)
    return named


@register
class TopicEnricher:
    """Corpus-level: sets ``topics`` on every item of the corpus it is given; keeps the model in the context."""

    name = "topics"
    requires: tuple[str, ...] = ()
    scope = "corpus"
    needs_embeddings = True

    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    def enrich(self, batch: Batch) -> None:
        if batch.embeddings is None:
            raise ValueError("the topics enricher needs the batch's embeddings")
        model = discover_topics(batch.texts, batch.embeddings, [r.created_at for r in batch.records])
        self.context.cache["topics"] = model
        for result, names in zip(batch.results, model.names(), strict=True):
            result["topics"] = names
