"""The MiniLM embedder: shapes, normalisation, meaning, order, the derived int8 model and its cache."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from voxpop.analyze import embeddings
from voxpop.analyze.embeddings import (
    Embedder,
    VectorMemo,
    get_embedder,
    quantized_model_path,
    source_model_path,
)
from voxpop.settings import Settings

SENTENCES = [
    "The delivery arrived two days late and the box was crushed.",
    "My parcel came late and the packaging was damaged.",
    "The pasta was delicious and the waiter was lovely.",
    "Great food and very friendly staff.",
    "I was charged twice for the same order.",
    "There is a double charge on my card for one purchase.",
    "The hotel room was spotless and quiet.",
    "How do I reset my password?",
    "The app crashes every time I open the camera.",
    "Still no refund after three weeks.",
    "ok",
    "",
]


@pytest.fixture(scope="module")
def models_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models-home")


@pytest.fixture(scope="module")
def embedder(models_home: Path) -> Embedder:
    embeddings.clear_cache()
    return get_embedder(Settings(home=models_home))


@pytest.fixture(scope="module")
def fp32() -> Embedder:
    return Embedder(source_model_path())


def test_shape_dtype_and_unit_length(embedder: Embedder) -> None:
    vectors = embedder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384)
    assert embedder.dim == 384
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.encode([]).shape == (0, 384)


def test_a_single_string_is_refused(embedder: Embedder) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.encode("one review")  # type: ignore[arg-type]


def test_paraphrases_are_closer_than_unrelated_sentences(embedder: Embedder) -> None:
    v = embedder.encode(SENTENCES)
    pairs = [(0, 1), (2, 3), (4, 5)]
    for a, b in pairs:
        same = float(v[a] @ v[b])
        others = [float(v[a] @ v[c]) for c in range(len(SENTENCES)) if c not in (a, b)]
        assert same > max(others), (SENTENCES[a], same, max(others))


def test_order_is_preserved_across_length_sorted_batches(fp32: Embedder) -> None:
    forward = fp32.encode(SENTENCES, batch_size=3)
    backward = fp32.encode(SENTENCES[::-1], batch_size=3)[::-1]
    one_by_one = np.vstack([fp32.encode([s]) for s in SENTENCES])
    np.testing.assert_allclose(backward, forward, atol=1e-5)
    np.testing.assert_allclose(one_by_one, forward, atol=1e-5)


def test_a_texts_vector_does_not_depend_on_its_batch(embedder: Embedder) -> None:
    # The derived model quantises activations per token, so batch-mates (and their padding) cannot move a
    # vector: with one scale per batch, as quantize_dynamic leaves it, they moved it by up to 0.05 cosine.
    alone = [embedder.encode_all(embedder.tokenize([s])) for s in SENTENCES]
    for batch_size in (3, 64):
        encoded = embedder.encode_all(embedder.tokenize(SENTENCES), batch_size)
        np.testing.assert_allclose(encoded.vectors, np.vstack([e.vectors for e in alone]), atol=2e-5)
        assert encoded.layered is not None
        np.testing.assert_allclose(encoded.layered, np.vstack([e.layered for e in alone]), atol=2e-5)  # type: ignore[misc]


def test_batches_keep_to_their_size_and_the_token_budget() -> None:
    lengths = np.array([5, 5, 5, 10, 10, 30, 300])
    batches = embeddings._batches(np.argsort(lengths, kind="stable"), lengths, 4, 400)
    # 4 × 10² = 400 fits; 2 × 30² does not; a text over the budget on its own still gets a batch.
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4], [5], [6]]
    assert [b.tolist() for b in embeddings._batches(np.arange(5), np.ones(5, dtype=int), 2, None)] == [
        [0, 1],
        [2, 3],
        [4],
    ]


def test_batches_side_by_side_and_the_token_budget_leave_every_vector_as_it_was(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long reviews (truncated at 256 word pieces) make the budget cut their batches; 70 short ones make
    # several batches to run side by side, on two threads even where the machine has one core.
    reviews = [" ".join([f"room {k} was clean but the breakfast was cold and late"] * 30) for k in range(5)]
    texts = SENTENCES + reviews + [f"order {k} arrived late and nobody answered my emails" for k in range(70)]
    before = Embedder(embedder.model_path, parallel=False, token_budget=None)
    now = Embedder(embedder.model_path, threads=2)
    threads: set[str] = set()
    run = now._session.run

    def noting_run(names: object, feed: dict[str, np.ndarray]) -> object:
        threads.add(threading.current_thread().name)
        assert len(feed["input_ids"]) * feed["input_ids"].shape[1] ** 2 <= max(
            embeddings.TOKEN_BUDGET, feed["input_ids"].shape[1] ** 2
        )
        return run(names, feed)  # type: ignore[arg-type]

    monkeypatch.setattr(now._session, "run", noting_run)
    old, new = before.encode_all(before.tokenize(texts)), now.encode_all(now.tokenize(texts))
    assert len(threads) == 2
    assert all(name.startswith("voxpop-model") for name in threads)
    np.testing.assert_array_equal(new.vectors, old.vectors)
    assert new.layered is not None
    assert old.layered is not None
    np.testing.assert_array_equal(new.layered, old.layered)


def test_a_forked_process_embeds_on_threads_of_its_own(embedder: Embedder, tmp_path: Path) -> None:
    # A worker process forked after the parent embedded inherits the thread pool but not its threads.
    texts = [f"parcel {k} never arrived and the tracking page is blank" for k in range(150)]
    expected = embedder.encode(texts)
    assert embedder.concurrency == 1 or embedder._executor is not None
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            np.save(tmp_path / "child.npy", embedder.encode(texts))
        finally:
            os._exit(0)
    deadline = time.monotonic() + 120
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked process did not finish embedding within 120 s")
    np.testing.assert_array_equal(np.load(tmp_path / "child.npy"), expected)


def test_truncates_at_256_word_pieces(fp32: Embedder) -> None:
    long_text = " ".join(["the service was slow"] * 200)
    a, b = fp32.encode([long_text, long_text + " but the dessert was wonderful"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_dynamic_int8_is_close_to_fp32(embedder: Embedder, fp32: Embedder) -> None:
    quick, exact = embedder.encode(SENTENCES), fp32.encode(SENTENCES)
    cosines = np.sum(quick * exact, axis=1)
    assert cosines.mean() > 0.98
    assert cosines.min() > 0.95


def test_derived_model_is_cached_on_disk_and_reused(embedder: Embedder, models_home: Path) -> None:
    settings = Settings(home=models_home)
    cached = quantized_model_path(settings)
    assert embedder.model_path == cached
    assert cached.is_file()
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no temporary files left
    before = cached.stat()
    assert get_embedder(settings) is embedder  # the process-wide instance
    embeddings.clear_cache()
    again = get_embedder(settings)
    assert again is not embedder
    after = cached.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    np.testing.assert_allclose(again.encode(SENTENCES[:3]), embedder.encode(SENTENCES[:3]), atol=1e-6)


def test_mentions_and_links_are_dropped_before_embedding(fp32: Embedder) -> None:
    a, b, c = fp32.encode(["@acme_shop the soup was cold https://t.co/abc123", "the soup was cold", "@acme_shop"])
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.linalg.norm(c) == pytest.approx(1.0, abs=1e-5)  # a bare handle is kept rather than emptied


def test_parts_are_pooled_from_the_texts_own_pass(fp32: Embedder) -> None:
    texts = ["@acme The pasta was delicious but the waiter was rude to us.", "Great food and very friendly staff."]
    parts = [["@acme The pasta was delicious", "but the waiter was rude to us."], [texts[1]]]
    vectors, pooled = fp32.encode_parts(texts, parts)
    np.testing.assert_allclose(vectors, fp32.encode(texts), atol=1e-5)  # the texts' own vectors are unchanged
    assert [p.shape for p in pooled] == [(2, 384), (1, 384)]
    np.testing.assert_allclose(np.linalg.norm(pooled[0], axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(pooled[1][0], vectors[1], atol=1e-6)  # one part is the whole text
    food, staff = fp32.encode(["The pasta was delicious.", "The waiter was rude to us."])
    # Each clause's vector is about its own clause, not the other one.
    assert pooled[0][0] @ food > pooled[0][0] @ staff
    assert pooled[0][1] @ staff > pooled[0][1] @ food


def test_a_part_not_in_the_text_is_embedded_on_its_own(fp32: Embedder) -> None:
    parts = [["The soup was cold", "@acme_shop"]]  # the handle is cleaned out of the text: nothing to pool
    _, pooled = fp32.encode_parts(["The soup was cold @acme_shop"], parts)
    np.testing.assert_allclose(pooled[0][1], fp32.encode(["@acme_shop"])[0], atol=1e-5)
    with pytest.raises(ValueError, match="one list of parts per text"):
        fp32.encode_parts(["a", "b"], [["a"]])


def test_a_memo_embeds_a_repeated_text_once(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Lost my bag again, thanks for nothing.",
        "@acme Lost my bag again, thanks for nothing.",  # the same once the handle is cleaned out
        "The crew were lovely but the seat was broken.",
        "The crew were lovely but the seat was broken.",
        "Great service",
    ]
    parts = [[t] for t in texts[:2]] + [["The crew were lovely", "but the seat was broken."]] * 2 + [[texts[4]]]
    fed: list[int] = []
    run = embedder._session.run

    def counting_run(names: object, feed: dict[str, np.ndarray]) -> object:
        fed.append(len(feed["input_ids"]))
        return run(names, feed)  # type: ignore[arg-type]

    monkeypatch.setattr(embedder._session, "run", counting_run)
    memo = VectorMemo(size=10)
    vectors, pooled = embedder.encode_tokens(embedder.tokenize(texts, parts), memo=memo)
    assert sum(fed) == 3  # three distinct texts went through the model
    np.testing.assert_array_equal(vectors[0], vectors[1])
    np.testing.assert_array_equal(vectors[2], vectors[3])
    np.testing.assert_array_equal(pooled[2], pooled[3])
    assert pooled[2].shape == (2, 384)
    assert not np.array_equal(pooled[2][0], pooled[2][1])
    # Without a memo every text is embedded, and the vectors are the memo's (a vector does not depend on
    # its batch mates).
    alone, alone_pooled = embedder.encode_tokens(embedder.tokenize(texts, parts))
    assert sum(fed) == 3 + 5
    np.testing.assert_allclose(alone, vectors, atol=2e-5)
    np.testing.assert_allclose(alone_pooled[2], pooled[2], atol=2e-5)
    # A later call finds them in the memo: nothing reaches the model, and the vectors are the same ones.
    again, again_pooled = embedder.encode_tokens(embedder.tokenize(texts[2:], parts[2:]), memo=memo)
    assert sum(fed) == 3 + 5
    assert memo.hits == 3
    np.testing.assert_array_equal(again, vectors[2:])
    np.testing.assert_array_equal(again_pooled[0], pooled[2])


def test_a_memo_keeps_only_the_most_recent_texts(embedder: Embedder) -> None:
    memo = VectorMemo(size=2)
    embedder.encode_tokens(embedder.tokenize(["one text", "two texts", "three texts"]), memo=memo)
    assert len(memo) == 2
    assert memo.get(("one text", None)) is None
    assert memo.get(("three texts", None)) is not None


def test_span_means_are_each_spans_mean_bit_for_bit() -> None:
    rows = np.random.default_rng(3).standard_normal((50, 8)).astype(np.float32)
    bounds = [0, 3, 3, 4, 10, 31, 45, 50]  # adjacent, a single row, a long one, one ending at the last row
    expected = np.stack([rows[a:b].mean(axis=0) for a, b in zip(bounds[0::2], bounds[1::2], strict=True)])
    got = embeddings._span_means(rows, bounds)
    assert got.dtype == np.float32
    assert np.array_equal(got, expected)  # the same float32 sums, added in the same order


def test_token_spans_cover_each_parts_word_pieces(fp32: Embedder) -> None:
    cleaned = "The soup was cold, but the bread was fresh"
    encoding = fp32._tokenizer.encode(cleaned)
    spans = embeddings._token_spans(
        cleaned,
        ["@acme The soup was cold", "but the bread was fresh", "not there"],
        encoding.offsets,
        encoding.special_tokens_mask,
    )
    assert spans[2] is None
    first, second = spans[0], spans[1]
    assert first is not None
    assert second is not None
    assert encoding.tokens[first[0] : first[1]] == ["the", "soup", "was", "cold"]
    assert encoding.tokens[second[0] : second[1]] == ["but", "the", "bread", "was", "fresh"]


def test_layered_vectors_come_from_the_same_pass(embedder: Embedder) -> None:
    texts = ["The pasta was delicious but the waiter was rude to us.", "Still no refund after three weeks."]
    assert embedder.layered
    layered = embedder.encode_layered(texts)
    vectors = embedder.encode(texts)
    assert layered.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(layered, axis=1), 1.0, atol=1e-5)
    # Another vector of the same text: close to the last layer's, not equal to it.
    cosines = np.sum(vectors * layered, axis=1)
    assert (cosines < 0.99).all()
    assert (cosines > 0.3).all()
    # Pooled per part too, and a part that is the whole text gets the text's layered vector.
    parts = [["The pasta was delicious", "but the waiter was rude to us."], [texts[1]]]
    encoded = embedder.encode_all(embedder.tokenize(texts, parts))
    assert encoded.layered is not None
    assert encoded.layered_parts is not None
    np.testing.assert_allclose(encoded.layered, layered, atol=1e-6)
    np.testing.assert_allclose(encoded.vectors, vectors, atol=1e-6)  # the same pass's sentence vectors are unchanged
    assert encoded.layered_parts[0].shape == (2, 384)
    np.testing.assert_allclose(encoded.layered_parts[1][0], layered[1], atol=1e-6)
    assert not np.allclose(encoded.layered_parts[0][0], encoded.layered_parts[0][1])


def test_a_memo_keeps_the_layered_vectors_too(embedder: Embedder) -> None:
    texts = ["Lost my bag again", "@acme Lost my bag again", "Great service"]
    memo = VectorMemo(size=10)
    first = embedder.encode_all(embedder.tokenize(texts), memo=memo)
    again = embedder.encode_all(embedder.tokenize(texts[::-1]), memo=memo)
    assert memo.hits == 3
    assert first.layered is not None
    assert again.layered is not None
    np.testing.assert_array_equal(first.layered[0], first.layered[1])
    np.testing.assert_array_equal(again.layered, first.layered[::-1])
    np.testing.assert_array_equal(again.vectors, first.vectors[::-1])


def test_a_graph_without_dynamic_quantisation_is_refused_by_name(tmp_path: Path) -> None:
    from voxpop.analyze import model_graph

    copy = tmp_path / "fp32.onnx"
    copy.write_bytes(source_model_path().read_bytes())
    with pytest.raises(ValueError, match=r"fp32\.onnx: no dynamically quantised activations"):
        model_graph.quantize_per_token(copy)
