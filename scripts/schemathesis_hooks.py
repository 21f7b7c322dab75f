"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Generated UUIDs almost never name a row, so every request would stop at 404 TASK_013 or
TASK_003. Before each call, a valid generated id is swapped for a seeded one three times in
four: the workspace the token is a member of, the seeded strategy, a seeded task (the seeded
template on /api/templates/{id}). Invalid values
(not UUIDs) are left alone, so the negative cases still test the 400s. Each choice is a function
of the generated value alone (a generator seeded with it), so runs with the same schemathesis seed
send the same requests whatever order its workers reach them in.
"""

import os
import random
import uuid

import schemathesis

WORKSPACE = os.environ["TF_WORKSPACE"]
STRATEGY = os.environ["TF_STRATEGY"]
TASKS = os.environ["TF_TASKS"].split(",")
TEMPLATE = os.environ["TF_TEMPLATE"]


def _is_uuid(value):
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _seeded(key, value, template=False):
    if not _is_uuid(value):
        return value
    pick = random.Random(f"{key}={value}")  # str seeds are hashed with SHA-512: stable
    if pick.random() >= 0.75:
        return value
    if key == "workspace_id":
        return WORKSPACE
    if key == "strategy_id":
        return STRATEGY
    if key == "id" and template:
        return TEMPLATE
    if key in ("id", "task_id", "cursor"):
        return pick.choice(TASKS)
    return value


def _swap(mapping, template=False):
    if isinstance(mapping, dict):
        for key in list(mapping):
            mapping[key] = _seeded(key, mapping[key], template)


@schemathesis.hook
def before_call(context, case, kwargs):
    _swap(case.path_parameters, case.operation.path.startswith("/api/templates/"))
    _swap(case.query)
    _swap(case.body)
