"""The pipeline's stages run in order, their figures are kept, a batch that keeps failing is split until
the poison item is parked, and parked items can be sent through again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.workers.executor import InlineExecutor, get_executor, load_builtin_tasks
from voxpop.workers.pipeline import STAGES, run_pipeline, stages_from
from voxpop.workers.stats import totals
from voxpop.workers.tasks import TASKS
from voxpop.workers.worker import park, parked, process, retry

POISON = 13


class Recorder:
    """Collects the chains a worker sends on, as the broker would receive them."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], list[int]]] = []

    def submit_chain(self, stages: Sequence[str], ids: Sequence[int], *, block: bool = True) -> None:
        assert block is False, "a worker must never wait for room in the queue it consumes"
        self.sent.append((list(stages), list(ids)))


@pytest.fixture
def test_stages() -> Iterator[list[tuple[str, list[int]]]]:
    """Two registered stages, ``analyze`` and ``route``, that record what they ran on; ``route`` fails on
    the poison id. The real tasks are put back afterwards."""
    load_builtin_tasks()  # the real stages first, so none of them registers over the test's ones
    calls: list[tuple[str, list[int]]] = []
    saved = {name: TASKS.get(name) for name in ("analyze", "route")}

    def analyze(store: Store, ids: Sequence[int]) -> None:
        calls.append(("analyze", list(ids)))

    def route(store: Store, ids: Sequence[int]) -> None:
        if POISON in ids:
            raise ValueError(f"cannot route item {POISON}")
        calls.append(("route", list(ids)))

    TASKS["analyze"], TASKS["route"] = analyze, route
    yield calls
    for name, fn in saved.items():
        if fn is None:
            TASKS.pop(name, None)
        else:
            TASKS[name] = fn


def test_run_pipeline_runs_the_registered_stages_in_order(store: Store, test_stages: list) -> None:  # type: ignore[type-arg]
    assert stages_from("analyze")[:2] == ["analyze", "route"]
    assert stages_from("route")[0] == "route"
    run_pipeline(InlineExecutor(store), [1, 2, 3])
    assert test_stages[:2] == [("analyze", [1, 2, 3]), ("route", [1, 2, 3])]
    figures = totals(store)
    assert figures["analyze"]["items"] == 3
    assert figures["analyze"]["batches"] == 1
    assert figures["route"]["errors"] == 0
    with pytest.raises(LookupError, match="no pipeline stage"):
        stages_from("nope")
    assert set(STAGES) >= {"analyze", "route"}


def test_a_failure_is_counted_and_raised_inline(store: Store, test_stages: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match="cannot route"):
        run_pipeline(InlineExecutor(store), [POISON], start="route")
    assert totals(store)["route"]["errors"] == 1


def test_worker_sends_the_rest_of_the_chain_after_success(store: Store, test_stages: list) -> None:  # type: ignore[type-arg]
    sender = Recorder()
    process(store, sender, "analyze", [1, 2], ["route"], retries=0, max_retries=3)
    assert test_stages == [("analyze", [1, 2])]
    assert sender.sent == [(["route"], [1, 2])]


def test_worker_raises_while_retries_are_left(store: Store, test_stages: list) -> None:  # type: ignore[type-arg]
    sender = Recorder()
    with pytest.raises(ValueError, match="cannot route"):
        process(store, sender, "route", [12, POISON], [], retries=2, max_retries=3)
    assert sender.sent == []
    assert parked(store) == []


def test_a_poison_item_is_isolated_by_halving_then_parked(store: Store, test_stages: list) -> None:  # type: ignore[type-arg]
    sender = Recorder()
    batch = [10, 11, 12, POISON, 14]
    process(store, sender, "route", batch, ["alert"], retries=3, max_retries=3)
    assert sender.sent == [(["route", "alert"], [10, 11]), (["route", "alert"], [12, POISON, 14])]
    # Each half is a fresh message; follow the failing one down to the single item.
    pending = [ids for _, ids in sender.sent]
    while pending:
        ids = pending.pop()
        sender.sent.clear()
        try:
            process(store, sender, "route", ids, ["alert"], retries=0, max_retries=3)
        except ValueError:
            process(store, sender, "route", ids, ["alert"], retries=3, max_retries=3)
        pending.extend(i for stages, i in sender.sent if stages[0] == "route")
    [failure] = parked(store)
    assert failure.stage == "route"
    assert failure.ids == [POISON]
    assert failure.rest == ["alert"]
    assert "cannot route item 13" in failure.error
    assert failure.attempts == 4
    routed = sorted(i for stage, ids in test_stages if stage == "route" for i in ids)
    assert routed == [10, 11, 12, 14]


def test_a_parked_failure_can_be_sent_again(store: Store, test_stages: list) -> None:  # type: ignore[type-arg]
    failure_id = park(store, "analyze", [7], ["route"], RuntimeError("model missing"), attempts=4)
    retried = retry(store, InlineExecutor(store), failure_id)
    assert retried.ids == [7]
    assert ("analyze", [7]) in test_stages
    assert ("route", [7]) in test_stages
    assert parked(store) == []
    assert len(parked(store, include_retried=True)) == 1


def test_real_analysis_stage_records_its_throughput(store: Store, models_home) -> None:  # type: ignore[no-untyped-def]
    store.settings.model_dir = models_home / "models"
    with store.write() as session:
        source = get_or_create_source(session, "google", kind="file", channel="google")
        ids = write_batch(session, source, [ItemRecord(text="Cold food, rude staff.")]).added_ids
    get_executor(store).submit("analyze", ids)
    assert totals(store)["analyze"]["items"] == 1
    assert totals(store)["analyze"]["seconds"] > 0
