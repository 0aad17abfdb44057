"""Schemathesis against the OpenAPI spec: every operation, called in-process with an admin's token and
with inputs generated from the spec (valid and invalid), never answers with a server error. The spec is
read the way a client reads it — from ``/api/openapi.json``, which needs authentication."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web.conftest import World, add_item
from voxpop.store import Store
from voxpop.web.app import create_app

EXAMPLES_PER_OPERATION = 8


def test_no_operation_answers_with_a_server_error(world: World, store: Store, token_for: Any) -> None:
    for minutes in range(3):
        add_item(store, world.reviews, minutes=minutes, department_id=world.billing)
    token = token_for("admin@example.com", "items:read", "items:write", "metrics:read")
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(store.settings, store)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=headers)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])

    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    calls: list[str] = []
    for operation in operations:
        _fuzz(operation, headers, failures, calls)
    # Every operation was really called (not skipped as unsatisfiable), most of them several times.
    assert set(calls) == {f"{o.method.upper()} {o.path}" for o in operations}
    assert len(calls) > 3 * len(operations)
    assert not failures, "server errors:\n" + "\n".join(failures[:30])


def _fuzz(operation: Any, headers: dict[str, str], failures: list[str], calls: list[str]) -> None:
    """Up to EXAMPLES_PER_OPERATION generated calls of one operation; server errors go to ``failures``."""
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def call(case: schemathesis.Case) -> None:
        calls.append(label)
        try:
            # A generous timeout: the first tone check loads the MiniLM model, slow on a busy machine.
            response = case.call(headers=headers, timeout=120)
        except Exception as exc:  # the in-process client re-raises what would be a 500
            failures.append(f"{label}: {type(exc).__name__}: {exc} ({case.path_parameters}, {case.query})")
            return
        if response.status_code >= 500:
            failures.append(f"{label} → {response.status_code} ({case.path_parameters}, {case.query})")

    try:
        call()
    except Unsatisfiable:
        return
