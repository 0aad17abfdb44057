"""Operations: liveness and readiness for load balancers and systemd, Prometheus metrics, and the
pipeline page where managers see the parked failures and send them through again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from voxpop.errors import PermissionDeniedError
from voxpop.store import Store
from voxpop.store.models import Role, User
from voxpop.web.auth import ApiCaller, PageUser, get_store
from voxpop.web.templating import render
from voxpop.workers.executor import get_executor
from voxpop.workers.status import PipelineStatus, broker_ok, database_ok, pipeline_status
from voxpop.workers.worker import parked, retry

router = APIRouter(include_in_schema=False)
OPS_SCOPE = "ops:read"
StoreDep = Annotated[Store, Depends(get_store)]


@router.get("/healthz")
def healthz() -> dict[str, bool]:
    """Liveness: the process answers. No login, no detail."""
    return {"ok": True}


@router.get("/readyz")
def readyz(store: StoreDep) -> JSONResponse:
    """Readiness: the database (and the broker, when configured) answer. No login; no secrets in the answer."""
    problems = [p for p in (database_ok(store), broker_ok(store)) if p]
    return JSONResponse({"ok": not problems, "problems": problems}, status_code=503 if problems else 200)


class _PipelineCollector(Collector):
    def __init__(self, status: PipelineStatus) -> None:
        self.status = status

    def collect(self):  # type: ignore[no-untyped-def]
        s = self.status
        yield GaugeMetricFamily("voxpop_items", "Items in the store.", value=s.items)
        yield GaugeMetricFamily("voxpop_items_pending_analysis", "Items not analysed yet.", value=s.pending_analysis)
        yield GaugeMetricFamily("voxpop_failures_parked", "Batches parked after every retry.", value=s.parked_failures)
        if s.queue_depth is not None:
            yield GaugeMetricFamily("voxpop_queue_depth", "Batches waiting for a worker.", value=s.queue_depth)
        if s.workers_alive is not None:
            yield GaugeMetricFamily("voxpop_workers_alive", "Workers with a fresh heartbeat.", value=s.workers_alive)
        families = {
            "batches": CounterMetricFamily("voxpop_stage_batches", "Batches a stage finished.", labels=["stage"]),
            "items": CounterMetricFamily("voxpop_stage_items", "Items a stage finished.", labels=["stage"]),
            "errors": CounterMetricFamily("voxpop_stage_errors", "Failed attempts of a stage.", labels=["stage"]),
            "seconds": CounterMetricFamily("voxpop_stage_seconds", "Seconds spent in a stage.", labels=["stage"]),
        }
        for stage, figures in sorted(s.stages.items()):
            for key, family in families.items():
                family.add_metric([stage], figures[key])
        yield from families.values()


def _require_manager(user: User) -> None:
    if user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can see this")


@router.get("/metrics")
def metrics(caller: ApiCaller, store: StoreDep) -> PlainTextResponse:
    """Prometheus text format. A token with the ``ops:read`` scope (operations only: ``metrics:read``
    is the CX metrics API's), or a manager's session."""
    if caller.via_token:
        caller.require(OPS_SCOPE)
    else:
        _require_manager(caller.user)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_PipelineCollector(pipeline_status(store)))
    return PlainTextResponse(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/pipeline")
def pipeline_page(request: Request, user: PageUser, store: StoreDep) -> Response:
    _require_manager(user)
    status = pipeline_status(store)
    rates = {
        stage: (figures["items"] / figures["seconds"] if figures["seconds"] else 0.0)
        for stage, figures in status.stages.items()
    }
    return render(
        request,
        "pipeline.html",
        {"status": status, "rates": rates, "failures": parked(store), "active": "pipeline"},
    )


@router.post("/pipeline/failures/{failure_id}/retry")
def retry_failure(failure_id: int, user: PageUser, store: StoreDep) -> Response:
    _require_manager(user)
    retry(store, get_executor(store), failure_id)
    return RedirectResponse("/pipeline?retried=1", status_code=303)
