"""End to end through a client generated from docs/openapi.json (scripts/openapi-client-test.sh).

    python3 openapi_client_e2e.py BASE_URL TOKEN WORKSPACE_ID   (the generated package on PYTHONPATH)

Uses only the generated `taskfleet_client` package: its typed models, its per-operation modules
and its AuthenticatedClient. Creates a strategy, decomposes it, reads the status, cancels a
task and retries it, asserting each typed answer; exits non-zero on the first mismatch.
"""

import sys
import uuid

from taskfleet_client import AuthenticatedClient
from taskfleet_client.api.strategies import create_strategy
from taskfleet_client.api.tasks import cancel_task, decompose_strategy, get_task, retry_task, task_status
from taskfleet_client.models import (
    CancelRequest,
    Cancelled,
    CreateStrategy,
    DecomposeRequest,
    DecomposeResult,
    ErrorEnvelope,
    Retried,
    RetryRequest,
    Status,
    StatusResult,
    StrategyCreated,
    TaskEnvelope,
)


def step(name, response, status, model):
    """The response of one step: its status and its parsed type, or exit naming both."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, model):
        sys.exit(f"FAIL {name}: want {status} {model.__name__}, got {response.status_code} "
                 f"{type(parsed).__name__}: {response.content[:300]!r}")
    print(f"PASS {name}: {response.status_code} {model.__name__}")
    return parsed


def main(base, token, workspace):
    ws = uuid.UUID(workspace)
    client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

    body = CreateStrategy.from_dict({
        "workspace_id": workspace,
        "name": "Generated client launch",
        "campaign_calendar": {"phases": [
            {"phase_name": "Awareness", "key_activities": ["Write launch blog post", "Launch ad campaign"],
             "duration_days": 10},
            {"phase_name": "Engagement", "key_activities": ["Send email drip"]},
        ]},
        "content_pillars": [{"name": "Education", "percentage_allocation": 40}],
        "kpis": [{"metric_name": "MQLs", "target": 100}],
    })
    created = step("create strategy", create_strategy.sync_detailed(client=client, body=body),
                   201, StrategyCreated)
    assert created.success is True

    request = DecomposeRequest(strategy_id=created.strategy_id, workspace_id=ws)
    plan = step("decompose", decompose_strategy.sync_detailed(client=client, body=request),
                201, DecomposeResult)
    # 3 activities, 1 pillar, 1 KPI.
    assert plan.tasks_created == 5 and len(plan.tasks) == 5, plan.to_dict()
    assert [p.phase_name for p in plan.execution_plan.phases] == ["Awareness", "Engagement"]
    assert plan.execution_plan.estimated_duration_days == 40, plan.execution_plan.to_dict()
    again = step("decompose again", decompose_strategy.sync_detailed(client=client, body=request),
                 200, DecomposeResult)
    assert again.tasks_created == 0 and [t.id for t in again.tasks] == [t.id for t in plan.tasks]

    status = step("status", task_status.sync_detailed(client=client, workspace_id=ws),
                  200, StatusResult)
    assert status.summary.total == 5 and status.summary.queued == 5, status.summary.to_dict()
    assert {t.id for t in status.tasks} == {t.id for t in plan.tasks}

    # The first Awareness task: the Engagement task depends on it, so cancelling it cascades.
    first = plan.tasks[0]
    cancelled = step("cancel", cancel_task.sync_detailed(
        first.id, client=client, body=CancelRequest(reason="generated client test")), 200, Cancelled)
    assert cancelled.task_id == first.id and cancelled.previous_status == Status.QUEUED
    row = step("get cancelled", get_task.sync_detailed(first.id, client=client), 200, TaskEnvelope)
    assert row.task.status == Status.CANCELLED, row.task.to_dict()
    only_cancelled = step("status?status=cancelled", task_status.sync_detailed(
        client=client, workspace_id=ws, status=Status.CANCELLED), 200, StatusResult)
    # The task and its one dependent (the Engagement phase's task).
    assert only_cancelled.summary.total == 2, only_cancelled.summary.to_dict()

    again_cancel = step("cancel again", cancel_task.sync_detailed(first.id, client=client),
                        409, ErrorEnvelope)
    assert again_cancel.error.code == "TASK_009", again_cancel.to_dict()

    retried = step("retry", retry_task.sync_detailed(
        first.id, client=client, body=RetryRequest(reset_retry_count=True)), 200, Retried)
    assert retried.task_id == first.id and retried.new_status == Status.QUEUED
    assert len(retried.requeued_dependents) == 1, retried.to_dict()
    final = step("status after retry", task_status.sync_detailed(client=client, workspace_id=ws),
                 200, StatusResult)
    assert final.summary.queued == 5 and final.summary.cancelled == 0, final.summary.to_dict()
    print("openapi client: create strategy, decompose, status, cancel, retry all passed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
