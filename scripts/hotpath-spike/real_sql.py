#!/usr/bin/env python3
"""Writes a pgbench script of one worker cycle built from the fleet's own sql/ files: claim BATCH
tasks, then complete them and unblock their dependents in one transaction. Parameters become
pgbench variables; comments are dropped (pgbench reads one statement per line).
Usage: scripts/hotpath-spike/real_sql.py BATCH > cycle.sql"""
import pathlib
import sys

SQL = pathlib.Path(__file__).resolve().parents[2] / "sql"


def statement(name, params):
    lines = (SQL / name).read_text().splitlines()
    text = " ".join(" ".join(l for l in lines if not l.lstrip().startswith("--")).split())
    # Highest number first, so that $1 does not eat the start of $10.
    for key in sorted(params, key=lambda k: -int(k[1:])):
        text = text.replace(key, params[key])
    return text.rstrip(";")


batch = sys.argv[1] if len(sys.argv) > 1 else "500"
worker = "('w' || :client_id)"
claim = statement("task_claim.sql", {"$1": worker, "$2": batch, "$3": "300::float8", "$4": "NULL",
                                     "$5": "NULL", "$6": "NULL", "$7": "NULL", "$8": "false"})
# Keep the claim's CTEs; replace its final SELECT with the arrays the completion needs.
claim = claim[: claim.rindex("SELECT id, workspace_id, task_type")] + (
    "SELECT coalesce(array_agg(id)::text, '{}') AS ids, "
    "coalesce(array_agg(attempt_token)::text, '{}') AS toks, count(*) AS n FROM claimed")
complete = statement("task_complete.sql", {"$1": "':ids'", "$2": "':toks'",
                                           "$3": "array_fill('{}'::jsonb, ARRAY[:n])", "$4": worker})
unblock = statement("task_unblock_dependents.sql", {"$1": "':ids'"})
print(claim + " \\gset")
print("BEGIN;")
print(complete + ";")
print(unblock + ";")
print("COMMIT;")
