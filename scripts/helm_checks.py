#!/usr/bin/env python3
"""Offline checks of the taskfleet Helm chart and Dockerfile (called by scripts/helm-validate.sh).

    helm_checks.py run --helm PATH          lint, render the CI variants, validate, assert facts
    helm_checks.py gen-crd-schemas          regenerate helm/ci-schemas/ (maintainers only; needs
                                            the cloudcoil-models-* packages, see that README)

`run` prints one PASS/FAIL line per check and exits 1 if any check failed. It needs helm, PyYAML,
jsonschema and kubernetes-validate; no cluster and no network.

What is checked, and why:
  * helm lint --strict for every CI variant (template errors, schema violations, lint warnings).
  * Every manifest of every variant against the Kubernetes 1.30 OpenAPI schemas in strict mode
    (kubernetes-validate): unknown or misplaced fields, wrong types, missing required fields.
  * ScaledObject / TriggerAuthentication / ServiceMonitor / PrometheusRule against JSON schemas
    derived from the published CRDs (helm/ci-schemas/), also rejecting unknown fields. A kind with
    no schema at all fails: nothing is rendered unvalidated.
  * Bad values must fail the render, each with its own expected message (so a render that breaks
    for an unrelated reason does not count as "rejected").
  * Chart facts, asserted on the parsed render: drain grace period vs task timeout, probe paths and
    ports, the KEDA query, where secrets come from, security contexts, selectors, hooks, alerts.
  * Dockerfile facts: locked release build, non-root numeric user, entrypoint.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "helm" / "taskfleet"
CI_VALUES = CHART / "ci"
CRD_SCHEMA_DIR = REPO / "helm" / "ci-schemas"
KUBE_VERSION = "1.30.0"
RELEASE = "ci"
NAMESPACE = "taskfleet"

API_PORT = 8080
WORKER_METRICS_PORT = 9090
MIN_DRAIN_MARGIN_SECS = 10
SECRET_VARS = ("DATABASE_URL", "TASKFLEET_JWT_SECRET", "TASKFLEET_AGENT_SECRET", "TASKFLEET_API_DB_PASSWORD")
CONFIG_VARS = (
    "TASKFLEET_CONCURRENCY", "TASKFLEET_TASK_TIMEOUT_SECS", "TASKFLEET_BACKOFF_BASE_MS",
    "TASKFLEET_LEASE_SECS", "TASKFLEET_BUSINESS_HOURS", "TASKFLEET_TIMEZONE", "RUST_LOG",
    "TASKFLEET_LOG_FORMAT",
)
READY_QUERY = "select count(*) from ready_tasks"

# The metric names the binary exports (counters end in _total); histograms also expose
# _bucket/_sum/_count. Alert expressions may use nothing else.
METRICS = {
    "taskfleet_tasks_claimed_total": "counter",
    "taskfleet_tasks_completed_total": "counter",
    "taskfleet_tasks_failed_total": "counter",
    "taskfleet_tasks_retried_total": "counter",
    "taskfleet_lease_reclaims_total": "counter",
    "taskfleet_claim_latency_seconds": "histogram",
    "taskfleet_task_duration_seconds": "histogram",
    "taskfleet_tasks_in_flight": "gauge",
    "taskfleet_queue_depth": "gauge",
    "taskfleet_oldest_ready_age_seconds": "gauge",
    "taskfleet_worker_up": "gauge",
    "taskfleet_http_requests_total": "counter",
    "taskfleet_http_request_duration_seconds": "histogram",
    "taskfleet_workspace_queued_tasks": "gauge",
    "taskfleet_workspace_failure_ratio": "gauge",
    "taskfleet_workspace_finished_today_tasks": "gauge",
    "taskfleet_workspace_slowest_execution_seconds": "gauge",
    "taskfleet_alert_firing": "gauge",
    "taskfleet_approvals_pending": "gauge",
    "taskfleet_agent_breaker_open": "gauge",
    "taskfleet_approvals_stale": "gauge",
}
# Alert -> metric it must be built on (the specification's three, per workspace; the fleet's
# own; the API one).
REQUIRED_ALERTS = {
    "TaskfleetQueueDepthHigh": "taskfleet_workspace_queued_tasks",
    "TaskfleetFailureRateHigh": "taskfleet_workspace_failure_ratio",
    "TaskfleetSlowExecution": "taskfleet_workspace_slowest_execution_seconds",
    "TaskfleetOldestReadyTaskTooOld": "taskfleet_oldest_ready_age_seconds",
    "TaskfleetLeaseReclaimsRising": "taskfleet_lease_reclaims_total",
    "TaskfleetNoWorkersUp": "taskfleet_worker_up",
    "TaskfleetApiErrorRateHigh": "taskfleet_http_requests_total",
    "TaskfleetApprovalsStale": "taskfleet_approvals_stale",
    "TaskfleetAgentBreakerOpen": "taskfleet_agent_breaker_open",
}

# Custom resources the chart may render -> schema file in helm/ci-schemas/.
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_v1alpha1_scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda.sh_v1alpha1_triggerauthentication.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_v1_servicemonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_v1_prometheusrule.json",
}

# name -> (values file, one line on what this variant exercises)
VARIANTS = {
    "default": ("default-values.yaml", "defaults + secrets.databaseUrl"),
    "keda": ("keda-values.yaml", "KEDA ScaledObject (with autoscaling.enabled too: KEDA must win)"),
    "monitoring": ("monitoring-values.yaml", "ServiceMonitors + PrometheusRule"),
    "existing-secret": ("existing-secret-values.yaml", "existingSecret with custom key names"),
    "hpa": ("hpa-values.yaml", "CPU HorizontalPodAutoscaler"),
    "long-timeout": ("long-timeout-values.yaml", "taskTimeoutSecs 3600, businessHours as bool"),
    "full": ("full-values.yaml", "existing secret + KEDA scale-to-zero + monitoring + overrides"),
    "no-execute": ("no-execute-values.yaml", "api.execute false: the API pod holds no agent secret"),
}

DB_URL = "postgres://taskfleet:ci-only@postgres.db.svc:5432/taskfleet"
# (name, helm args, regex the error output must match). Each must make `helm template` fail.
NEGATIVE_CASES = [
    ("no database secret (plain defaults)", [],
     r"DATABASE_URL is not configured"),
    ("negative api.replicas", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "api.replicas=-1"],
     r"api[./]replicas.*(greater than or equal to 0|minimum)"),
    ("negative worker.replicas", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "worker.replicas=-3"],
     r"worker[./]replicas.*(greater than or equal to 0|minimum)"),
    ("grace period below task timeout",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "worker.terminationGracePeriodSeconds=60"],
     r"terminationGracePeriodSeconds=60 is lower than config\.taskTimeoutSecs \(300\)"),
    ("grace period below a raised task timeout",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "config.taskTimeoutSecs=900",
      "--set", "worker.terminationGracePeriodSeconds=600"],
     r"terminationGracePeriodSeconds=600 is lower than config\.taskTimeoutSecs \(900\)"),
    ("grace period without drain margin",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "worker.terminationGracePeriodSeconds=300"],
     r"terminationGracePeriodSeconds=300 is lower than"),
    ("non-integer concurrency", ["--set", f"secrets.databaseUrl={DB_URL}", "--set-json", "config.concurrency=2.5"],
     r"config[./]concurrency.*(Expected: integer, given: number|integer)"),
    ("string concurrency", ["--set", f"secrets.databaseUrl={DB_URL}", "--set-string", "config.concurrency=five"],
     r"config[./]concurrency.*(Expected: integer, given: string|integer)"),
    ("zero concurrency", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "config.concurrency=0"],
     r"config[./]concurrency.*(greater than or equal to 1|minimum)"),
    ("unknown top-level key", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "replicas=3"],
     r"[Aa]dditional propert(y|ies) '?replicas'?"),
    ("misspelt nested key", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "worker.replica=3"],
     r"worker.*[Aa]dditional propert(y|ies) '?replica'? "),
    ("businessHours not on/off", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "config.businessHours=maybe"],
     r"config[./]businessHours"),
    ("unknown log format", ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "config.logFormat=xml"],
     r"config[./]logFormat.*(must be one of|enum)"),
    ("database URL that is not postgres", ["--set", "secrets.databaseUrl=mysql://u:p@h/db"],
     r"secrets[./]databaseUrl.*(pattern)"),
    ("existingSecret and databaseUrl both set",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "secrets.existingSecret=creds"],
     r"both set"),
    ("KEDA min above max",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "keda.enabled=true",
      "--set", "keda.minReplicaCount=5", "--set", "keda.maxReplicaCount=2"],
     r"minReplicaCount \(5\) is greater than keda\.maxReplicaCount \(2\)"),
    ("CPU HPA without a CPU request",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "autoscaling.enabled=true",
      "--set", "worker.resources.requests.cpu=null"],
     r"needs worker\.resources\.requests\.cpu"),
    ("PDB with minAvailable and maxUnavailable",
     ["--set", f"secrets.databaseUrl={DB_URL}", "--set", "api.pdb.minAvailable=1"],
     r"only one of pdb\.minAvailable and pdb\.maxUnavailable"),
]


# --------------------------------------------------------------------------------------------
# reporting

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, problems: list[str] | str | None) -> bool:
        if isinstance(problems, str):
            problems = [problems]
        if problems:
            self.failed.append(name)
            print(f"FAIL {name}: {problems[0]}", flush=True)
            for p in problems[1:8]:
                print(f"     {p}", flush=True)
            if len(problems) > 8:
                print(f"     ... and {len(problems) - 8} more", flush=True)
            return False
        self.passed += 1
        print(f"PASS {name}", flush=True)
        return True


# --------------------------------------------------------------------------------------------
# helpers

def load_yaml_docs(text: str) -> list[dict]:
    import yaml
    return [d for d in yaml.safe_load_all(text) if d]


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if v is None:
            out.pop(k, None)  # helm semantics: null deletes the default
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def merged_values(values_file: Path) -> dict:
    import yaml
    base = yaml.safe_load((CHART / "values.yaml").read_text())
    return deep_merge(base, yaml.safe_load(values_file.read_text()) or {})


def helm(helm_bin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([helm_bin, *args], capture_output=True, text=True, timeout=120)


def render(helm_bin: str, extra: list[str]) -> subprocess.CompletedProcess:
    return helm(helm_bin, "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                "--kube-version", KUBE_VERSION, *extra)


def first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "(no output)"


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: list[dict], kind: str, name_suffix: str) -> dict | None:
    hits = [d for d in by_kind(docs, kind) if d["metadata"]["name"].endswith(name_suffix)]
    return hits[0] if len(hits) == 1 else None


def ref(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def pod_templates(docs: list[dict]):
    """(owner ref, pod spec, pod labels) for every workload."""
    for d in docs:
        if d.get("kind") in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            t = d["spec"]["template"]
            yield ref(d), t["spec"], t.get("metadata", {}).get("labels", {})


def selector_matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def resolve_port(container: dict, port) -> int | None:
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def env_map(container: dict) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


def addr_port(addr: str) -> int | None:
    m = re.search(r":(\d+)$", addr or "")
    return int(m.group(1)) if m else None


def normalise_sql(q: str) -> str:
    return re.sub(r"\s+", " ", q.strip().rstrip(";").strip()).lower()


# --------------------------------------------------------------------------------------------
# schema validation

@functools.lru_cache(maxsize=None)
def crd_validator(filename: str):
    import jsonschema
    schema = json.loads((CRD_SCHEMA_DIR / filename).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def install_kv_cache() -> None:
    """kubernetes-validate re-reads multi-MB JSON files for every call; memoise that."""
    import kubernetes_validate.utils as kvu
    if not getattr(kvu.schema_contents, "cache_info", None):
        kvu.schema_contents = functools.lru_cache(maxsize=None)(kvu.schema_contents)


def validate_doc(doc: dict) -> str | None:
    """None if valid; otherwise one line saying what is wrong."""
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in CRD_SCHEMAS:
        try:
            errs = sorted(crd_validator(CRD_SCHEMAS[key]).iter_errors(doc), key=lambda e: list(e.path))
        except Exception as e:  # a broken vendored schema is a failure, not a crash
            return f"{ref(doc)}: schema {CRD_SCHEMAS[key]} unusable: {str(e).splitlines()[0][:200]}"
        if errs:
            e = errs[0]
            return f"{ref(doc)}: {'.'.join(map(str, e.path)) or '<root>'}: {e.message[:300]}"
        return None
    try:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
    except ValidationError as e:
        return f"{ref(doc)}: {'.'.join(map(str, e.path)) or '<root>'}: {e.message[:300]}"
    except SchemaNotFoundError:
        return f"{ref(doc)}: no schema for {key[0]} {key[1]} (neither Kubernetes {KUBE_VERSION} nor helm/ci-schemas)"
    return None


# --------------------------------------------------------------------------------------------
# chart facts (each returns a list of problems; empty means the fact holds)

def fact_grace_period(docs, values):
    cm = one(docs, "ConfigMap", "")
    w = one(docs, "Deployment", "-worker")
    if not (cm and w):
        return ["ConfigMap or worker Deployment missing"]
    timeout = int(cm["data"]["TASKFLEET_TASK_TIMEOUT_SECS"])
    grace = w["spec"]["template"]["spec"].get("terminationGracePeriodSeconds")
    if grace is None:
        return [f"worker terminationGracePeriodSeconds unset (Kubernetes default 30s < timeout {timeout}s)"]
    if grace < timeout + MIN_DRAIN_MARGIN_SECS:
        return [f"worker terminationGracePeriodSeconds {grace} < TASKFLEET_TASK_TIMEOUT_SECS {timeout} + {MIN_DRAIN_MARGIN_SECS}s"]
    return []


def fact_probes(docs, values):
    problems = []
    expect = {
        "-api": ("api", API_PORT, "TASKFLEET_API_ADDR", {"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"}),
        "-worker": ("worker", WORKER_METRICS_PORT, "TASKFLEET_METRICS_ADDR", {"livenessProbe": "/livez", "readinessProbe": "/readyz"}),
    }
    for suffix, (cname, port, addr_var, probes) in expect.items():
        dep = one(docs, "Deployment", suffix)
        if not dep:
            problems.append(f"Deployment *{suffix} missing")
            continue
        c = next((c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == cname), None)
        if not c:
            problems.append(f"{ref(dep)}: container {cname} missing")
            continue
        for probe, path in probes.items():
            p = c.get(probe)
            if not p or "httpGet" not in p:
                problems.append(f"{ref(dep)}: {probe} is not an httpGet probe")
                continue
            got_path = p["httpGet"].get("path")
            got_port = resolve_port(c, p["httpGet"].get("port"))
            if got_path != path or got_port != port:
                problems.append(f"{ref(dep)}: {probe} hits {got_path} on {got_port}, want {path} on {port}")
        addr = env_map(c).get(addr_var, {}).get("value")
        if addr_port(addr) != port:
            problems.append(f"{ref(dep)}: {addr_var}={addr!r} does not listen on the probed port {port}")
        if c.get("args", [])[:1] != [cname]:
            problems.append(f"{ref(dep)}: args {c.get('args')} should start with the subcommand {cname!r}")
    svc = one(docs, "Service", "-api")
    dep = one(docs, "Deployment", "-api")
    if svc and dep:
        c = dep["spec"]["template"]["spec"]["containers"][0]
        for sp in svc["spec"]["ports"]:
            if resolve_port(c, sp.get("targetPort")) != API_PORT:
                problems.append(f"{ref(svc)}: targetPort {sp.get('targetPort')} does not reach container port {API_PORT}")
    return problems


def fact_secrets(docs, values, default_values):
    problems = []
    s = values["secrets"]
    existing = s.get("existingSecret") or ""
    given_url = s.get("databaseUrl") or ""
    if (default_values["secrets"].get("databaseUrl") or "") != "":
        problems.append("values.yaml ships a default secrets.databaseUrl: DATABASE_URL must never come from plain defaults")
    import base64
    rendered_secrets = {d["metadata"]["name"]: d for d in by_kind(docs, "Secret")}
    for name, sec in rendered_secrets.items():
        data = dict(sec.get("data") or {})
        data.update({k: base64.b64encode(v.encode()).decode() for k, v in (sec.get("stringData") or {}).items()})
        if "DATABASE_URL" in data:
            url = base64.b64decode(data["DATABASE_URL"]).decode()
            if existing:
                problems.append(f"Secret/{name} holds DATABASE_URL although secrets.existingSecret={existing!r} is set")
            elif not given_url:
                problems.append(f"Secret/{name} holds DATABASE_URL but secrets.databaseUrl was not given")
            elif url != given_url:
                problems.append(f"Secret/{name} DATABASE_URL {url!r} is not the given secrets.databaseUrl")
    if existing and rendered_secrets:
        problems.append(f"existingSecret set but the chart still renders Secrets {sorted(rendered_secrets)}")
    for cm in by_kind(docs, "ConfigMap"):
        leaked = [k for k in SECRET_VARS if k in (cm.get("data") or {})]
        if leaked or any(given_url and given_url in str(v) for v in (cm.get("data") or {}).values()):
            problems.append(f"{ref(cm)} carries secret material {leaked}")
    # Every secret env var comes from a secretKeyRef that resolves, and each component only gets
    # the secrets it needs (api: JWT and the taskfleet_api login's password, plus the agent secret
    # when api.execute; worker: agent; migrate: the login's password, which it sets).
    api_needs = {"DATABASE_URL", "TASKFLEET_JWT_SECRET", "TASKFLEET_API_DB_PASSWORD"}
    if values["api"].get("execute", True):
        api_needs.add("TASKFLEET_AGENT_SECRET")
    needs = {"api": api_needs, "worker": {"DATABASE_URL", "TASKFLEET_AGENT_SECRET"},
             "migrate": {"DATABASE_URL", "TASKFLEET_API_DB_PASSWORD"}}
    keys = s.get("existingSecretKeys") or {}
    want_key = {"DATABASE_URL": keys.get("databaseUrl"), "TASKFLEET_JWT_SECRET": keys.get("jwtSecret"),
                "TASKFLEET_AGENT_SECRET": keys.get("agentSecret"),
                "TASKFLEET_API_DB_PASSWORD": keys.get("apiDbPassword")} if existing else {v: v for v in SECRET_VARS}
    for owner, spec, _labels in pod_templates(docs):
        for c in spec["containers"]:
            env = env_map(c)
            have = {k for k in SECRET_VARS if k in env}
            if c["name"] in needs and have != needs[c["name"]]:
                problems.append(f"{owner}/{c['name']}: secret env {sorted(have)}, want {sorted(needs[c['name']])}")
            for k in have:
                e = env[k]
                if "value" in e:
                    problems.append(f"{owner}/{c['name']}: {k} is a literal env value, not a secretKeyRef")
                    continue
                skr = (e.get("valueFrom") or {}).get("secretKeyRef") or {}
                sname, skey = skr.get("name"), skr.get("key")
                if existing:
                    if sname != existing or skey != want_key[k]:
                        problems.append(f"{owner}/{c['name']}: {k} from {sname}/{skey}, want {existing}/{want_key[k]}")
                elif sname not in rendered_secrets or skey not in (rendered_secrets[sname].get("data") or {}):
                    problems.append(f"{owner}/{c['name']}: {k} from {sname}/{skey}, which this render does not create")
            for ef in c.get("envFrom", []):
                if "secretRef" in ef:
                    problems.append(f"{owner}/{c['name']}: envFrom secretRef exposes every key of {ef['secretRef'].get('name')}")
    # The migration sets the password the API logs in with: one value in both chart Secrets.
    passwords = {(d.get("data") or {}).get("TASKFLEET_API_DB_PASSWORD") for d in rendered_secrets.values()}
    if len(passwords) > 1:
        problems.append(f"the chart's Secrets disagree on TASKFLEET_API_DB_PASSWORD ({len(passwords)} values)")
    return problems


def fact_execute(docs, values):
    """POST /api/tasks/execute works in the rendered install: with api.execute (the default) the
    API container reads TASKFLEET_AGENT_SECRET (without it the API answers 503 TASK_004, see
    src/api/execute_pass.rs) from the very Secret key the workers sign with, since agents verify
    one secret. With api.execute false the API pod holds no agent secret at all."""
    if not values["api"].get("enabled", True):
        return []
    api = one(docs, "Deployment", "-api")
    worker = one(docs, "Deployment", "-worker")
    if not api:
        return ["api Deployment missing"]
    api_env = env_map(next(c for c in api["spec"]["template"]["spec"]["containers"] if c["name"] == "api"))
    source = lambda e: ((e.get("valueFrom") or {}).get("secretKeyRef") or {})
    if not values["api"].get("execute", True):
        return ["api.execute is false but the API pod gets TASKFLEET_AGENT_SECRET"] if "TASKFLEET_AGENT_SECRET" in api_env else []
    if "TASKFLEET_AGENT_SECRET" not in api_env:
        return ["api.execute is true but the API pod has no TASKFLEET_AGENT_SECRET: execute answers 503 TASK_004"]
    if worker:
        w_env = env_map(next(c for c in worker["spec"]["template"]["spec"]["containers"] if c["name"] == "worker"))
        a, w = source(api_env["TASKFLEET_AGENT_SECRET"]), source(w_env.get("TASKFLEET_AGENT_SECRET", {}))
        if (a.get("name"), a.get("key")) != (w.get("name"), w.get("key")):
            return [f"API signs agent calls with {a.get('name')}/{a.get('key')}, workers with {w.get('name')}/{w.get('key')}"]
    src = (REPO / "src" / "config.rs").read_text()
    if 'env = "TASKFLEET_AGENT_SECRET"' not in src:
        return ["src/config.rs no longer reads TASKFLEET_AGENT_SECRET: the chart's variable name is stale"]
    return []


def fact_config(docs, values):
    cm = one(docs, "ConfigMap", "")
    if not cm:
        return ["ConfigMap missing"]
    data = cm.get("data") or {}
    problems = [f"ConfigMap lacks {k}" for k in CONFIG_VARS if k not in data]
    c = values["config"]
    want = {
        "TASKFLEET_CONCURRENCY": str(c["concurrency"]), "TASKFLEET_TASK_TIMEOUT_SECS": str(c["taskTimeoutSecs"]),
        "TASKFLEET_LEASE_SECS": str(c["leaseSecs"]), "TASKFLEET_LOG_FORMAT": c["logFormat"],
        "TASKFLEET_TIMEZONE": c["timezone"],
        "TASKFLEET_BUSINESS_HOURS": {True: "on", False: "off"}.get(c["businessHours"], c["businessHours"]),
    }
    # The alert thresholds of the API and the alerts sweep are the PrometheusRule's.
    t = values["prometheusRule"]["thresholds"]
    want |= {
        "TASKFLEET_ALERT_QUEUE_DEPTH": str(t["queueDepth"]),
        "TASKFLEET_ALERT_FAILURE_RATE": str(t["failureRatio"]),
        "TASKFLEET_ALERT_FAILURE_MIN_FINISHED": str(t["minFinished"]),
        "TASKFLEET_ALERT_SLOW_EXECUTION_SECS": str(t["slowExecutionSeconds"]),
    }
    problems += [f"ConfigMap {k}={data.get(k)!r}, values say {v!r}" for k, v in want.items() if data.get(k) != v]
    for _owner, spec, _ in pod_templates(docs):
        for ctr in spec["containers"]:
            if ctr["name"] in ("api", "worker") and not any(
                    (ef.get("configMapRef") or {}).get("name") == cm["metadata"]["name"] for ef in ctr.get("envFrom", [])):
                problems.append(f"{_owner}/{ctr['name']} does not load ConfigMap {cm['metadata']['name']}")
    return problems


def fact_autoscaling(docs, values):
    problems = []
    keda = values["keda"]["enabled"]
    hpa_on = values["autoscaling"]["enabled"] and not keda
    worker = one(docs, "Deployment", "-worker")
    sos, tas, hpas = by_kind(docs, "ScaledObject"), by_kind(docs, "TriggerAuthentication"), by_kind(docs, "HorizontalPodAutoscaler")
    if keda != bool(sos):
        problems.append(f"keda.enabled={keda} but {len(sos)} ScaledObject(s) rendered")
    if hpa_on != bool(hpas):
        problems.append(f"HPA expected={hpa_on} but {len(hpas)} HorizontalPodAutoscaler(s) rendered")
    if sos and hpas:
        problems.append("both a ScaledObject and an HPA target the workers (two autoscalers fight)")
    if (keda or hpa_on) and worker and "replicas" in worker["spec"]:
        problems.append("worker Deployment sets spec.replicas while an autoscaler owns it (every upgrade resets the scale)")
    if not (keda or hpa_on) and worker and worker["spec"].get("replicas") != values["worker"]["replicas"]:
        problems.append(f"worker replicas {worker['spec'].get('replicas')} != worker.replicas {values['worker']['replicas']}")
    for so in sos:
        tgt = so["spec"]["scaleTargetRef"]
        if not worker or tgt.get("name") != worker["metadata"]["name"] or tgt.get("kind", "Deployment") != "Deployment":
            problems.append(f"{ref(so)} scales {tgt}, not the worker Deployment")
        trig = [t for t in so["spec"]["triggers"] if t["type"] == "postgresql"]
        if len(trig) != 1:
            problems.append(f"{ref(so)}: want exactly one postgresql trigger, got {len(trig)}")
            continue
        t = trig[0]
        q = t["metadata"].get("query", "")
        if normalise_sql(q) != READY_QUERY:
            problems.append(f"{ref(so)}: query {q!r} is not the ready count ({READY_QUERY})")
        if float(t["metadata"].get("targetQueryValue", "0")) <= 0:
            problems.append(f"{ref(so)}: targetQueryValue must be > 0")
        if any(k in t["metadata"] for k in ("connection", "password", "connectionFromEnv")):
            problems.append(f"{ref(so)}: connection details in trigger metadata (must come from a TriggerAuthentication)")
        auth = (t.get("authenticationRef") or {}).get("name")
        ta = next((x for x in tas if x["metadata"]["name"] == auth), None)
        if not ta:
            problems.append(f"{ref(so)}: authenticationRef {auth!r} is not rendered")
            continue
        conn = [r for r in ta["spec"].get("secretTargetRef", []) if r.get("parameter") == "connection"]
        s = values["secrets"]
        cs = values["keda"].get("connectionSecret") or {}
        if s.get("existingSecret"):
            want = (cs.get("name") or s["existingSecret"], cs.get("key") or s["existingSecretKeys"]["databaseUrl"])
        else:
            chart_secret = next((d["metadata"]["name"] for d in by_kind(docs, "Secret")
                                 if "DATABASE_URL" in (d.get("data") or {}) and "hook" not in str(d["metadata"].get("annotations"))), None)
            want = (cs.get("name") or chart_secret, cs.get("key") or "DATABASE_URL")
        got = [(r.get("name"), r.get("key")) for r in conn]
        if got != [want]:
            problems.append(f"{ref(ta)}: connection from {got}, want [{want}]")
    for h in hpas:
        tgt = h["spec"]["scaleTargetRef"]
        if not worker or tgt.get("name") != worker["metadata"]["name"]:
            problems.append(f"{ref(h)} scales {tgt}, not the worker Deployment")
        if not any(m.get("type") == "Resource" and m["resource"]["name"] == "cpu" for m in h["spec"].get("metrics", [])):
            problems.append(f"{ref(h)} has no CPU metric")
        if worker and not all(c.get("resources", {}).get("requests", {}).get("cpu")
                              for c in worker["spec"]["template"]["spec"]["containers"]):
            problems.append("CPU HPA but the worker container requests no CPU (utilisation is undefined)")
    return problems


def fact_security(docs, values):
    problems = []
    for owner, spec, _ in pod_templates(docs):
        psc = spec.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != 10001:
            problems.append(f"{owner}: pod securityContext runAsNonRoot/runAsUser = {psc.get('runAsNonRoot')}/{psc.get('runAsUser')}")
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{owner}: pod seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{owner}: automountServiceAccountToken is not false")
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            sc = c.get("securityContext") or {}
            bad = []
            if sc.get("readOnlyRootFilesystem") is not True:
                bad.append("readOnlyRootFilesystem")
            if sc.get("allowPrivilegeEscalation") is not False:
                bad.append("allowPrivilegeEscalation")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                bad.append("capabilities.drop ALL")
            if sc.get("runAsNonRoot") is False or sc.get("privileged"):
                bad.append("runAsNonRoot/privileged")
            if bad:
                problems.append(f"{owner}/{c['name']}: securityContext lacks {', '.join(bad)}")
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            if "/tmp" not in mounts:
                problems.append(f"{owner}/{c['name']}: no writable /tmp under a read-only root filesystem")
    return problems


def fact_selectors_and_labels(docs, values):
    problems = []
    pods = {owner: labels for owner, _spec, labels in pod_templates(docs)}
    for d in docs:
        md = d.get("metadata", {})
        missing = [k for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                               "app.kubernetes.io/managed-by", "helm.sh/chart") if k not in (md.get("labels") or {})]
        if missing:
            problems.append(f"{ref(d)} lacks labels {missing}")
        if d.get("kind") == "Deployment":
            sel = d["spec"]["selector"]["matchLabels"]
            if not selector_matches(sel, d["spec"]["template"]["metadata"]["labels"]):
                problems.append(f"{ref(d)}: selector does not match its own pod labels")
    for svc in by_kind(docs, "Service"):
        hit = [o for o, lb in pods.items() if o.startswith("Deployment/") and selector_matches(svc["spec"].get("selector", {}), lb)]
        if len(hit) != 1:
            problems.append(f"{ref(svc)} selects {hit or 'no pods'}; want exactly one Deployment")
    for pdb in by_kind(docs, "PodDisruptionBudget"):
        hit = [o for o, lb in pods.items() if selector_matches(pdb["spec"]["selector"]["matchLabels"], lb)]
        if len(hit) != 1 or not hit[0].startswith("Deployment/"):
            problems.append(f"{ref(pdb)} covers {hit or 'no pods'}; want exactly one Deployment")
    for comp in ("api", "worker"):
        if values[comp]["enabled"] and values[comp]["pdb"]["enabled"] and not one(docs, "PodDisruptionBudget", f"-{comp}"):
            problems.append(f"no PodDisruptionBudget for {comp}")
    services = by_kind(docs, "Service")
    for sm in by_kind(docs, "ServiceMonitor"):
        sel = sm["spec"]["selector"].get("matchLabels", {})
        hit = [s for s in services if selector_matches(sel, s["metadata"].get("labels", {}))]
        if len(hit) != 1:
            problems.append(f"{ref(sm)} selects Services {[ref(s) for s in hit]}; want exactly one")
            continue
        names = {p.get("name") for p in hit[0]["spec"]["ports"]}
        for ep in sm["spec"]["endpoints"]:
            if ep.get("port") not in names:
                problems.append(f"{ref(sm)}: endpoint port {ep.get('port')!r} is not a port of {ref(hit[0])} {sorted(names)}")
            if ep.get("path", "/metrics") != "/metrics":
                problems.append(f"{ref(sm)}: scrapes {ep.get('path')}, not /metrics")
    if values["serviceMonitor"]["enabled"]:
        comps = sorted(sm["metadata"]["labels"].get("app.kubernetes.io/component") for sm in by_kind(docs, "ServiceMonitor"))
        if comps != ["api", "worker"]:
            problems.append(f"ServiceMonitors cover {comps}, want api and worker")
    return problems


def fact_migration_hook(docs, values):
    if not values["migrations"]["enabled"]:
        return [] if not by_kind(docs, "Job") else ["migrations disabled but a Job is rendered"]
    jobs = by_kind(docs, "Job")
    if len(jobs) != 1:
        return [f"want exactly one migration Job, got {len(jobs)}"]
    job = jobs[0]
    ann = job["metadata"].get("annotations") or {}
    problems = []
    hooks = set((ann.get("helm.sh/hook") or "").split(","))
    if not {"pre-install", "pre-upgrade"} <= hooks:
        problems.append(f"{ref(job)}: helm.sh/hook is {ann.get('helm.sh/hook')!r}, want pre-install,pre-upgrade")
    if not ann.get("helm.sh/hook-delete-policy"):
        problems.append(f"{ref(job)}: no helm.sh/hook-delete-policy (the next upgrade would fail on the old Job)")
    if not isinstance(job["spec"].get("backoffLimit"), int):
        problems.append(f"{ref(job)}: no backoffLimit")
    spec = job["spec"]["template"]["spec"]
    c = spec["containers"][0]
    if c.get("args") != ["migrate"]:
        problems.append(f"{ref(job)}: args {c.get('args')}, want ['migrate']")
    if spec.get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append(f"{ref(job)}: restartPolicy {spec.get('restartPolicy')}")
    # Hook resources are created before the release's normal objects: everything the Job needs
    # must be a hook of lower weight, or exist outside the chart.
    sa = spec.get("serviceAccountName")
    if sa and any(d["metadata"]["name"] == sa for d in by_kind(docs, "ServiceAccount")):
        problems.append(f"{ref(job)} uses ServiceAccount {sa}, which is a normal release object (not there yet at pre-install)")
    job_weight = int(ann.get("helm.sh/hook-weight", "0"))
    for e in c.get("env", []):
        skr = (e.get("valueFrom") or {}).get("secretKeyRef")
        if not skr:
            continue
        sec = next((d for d in by_kind(docs, "Secret") if d["metadata"]["name"] == skr["name"]), None)
        if sec is None:
            if skr["name"] != values["secrets"].get("existingSecret"):
                problems.append(f"{ref(job)}: {e['name']} from Secret {skr['name']}, neither rendered nor existingSecret")
            continue
        sann = sec["metadata"].get("annotations") or {}
        if not {"pre-install", "pre-upgrade"} <= set((sann.get("helm.sh/hook") or "").split(",")):
            problems.append(f"{ref(job)}: reads {ref(sec)}, which is not a pre-install hook (absent when the Job runs)")
        elif int(sann.get("helm.sh/hook-weight", "0")) >= job_weight:
            problems.append(f"{ref(sec)} hook weight is not lower than the Job's")
    for ef in c.get("envFrom", []):
        if "configMapRef" in ef:
            problems.append(f"{ref(job)}: envFrom a normal ConfigMap, which does not exist yet at pre-install")
    return problems


METRIC_TOKEN = re.compile(r"\btaskfleet_[a-z0-9_]+\b")


def known_metric(name: str) -> bool:
    if name in METRICS:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and METRICS.get(base) == "histogram":
            return True
    return False


def promql_shape(expr: str) -> list[str]:
    """Cheap syntax checks (no promtool offline): balanced brackets, quotes, label matchers."""
    problems, stack = [], []
    pairs = {")": "(", "]": "[", "}": "{"}
    in_str = False
    for ch in expr:
        if ch == '"':
            in_str = not in_str
        elif not in_str and ch in "([{":
            stack.append(ch)
        elif not in_str and ch in ")]}":
            if not stack or stack.pop() != pairs[ch]:
                return [f"unbalanced {ch!r}"]
    if stack or in_str:
        problems.append("unbalanced brackets or quotes")
    for m in re.finditer(r"\{([^}]*)\}", expr):
        for matcher in filter(None, (x.strip() for x in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", m.group(1)))):
            if not re.fullmatch(r'[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"[^"]*"', matcher):
                problems.append(f"bad label matcher {matcher!r}")
    for m in re.finditer(r"\[([^\]]*)\]", expr):
        if not re.fullmatch(r"\d+(ms|s|m|h|d|w|y)", m.group(1)):
            problems.append(f"bad range {m.group(1)!r}")
    return problems


def rules_enabled(values):
    """prometheusRule.enabled, where null (the default) means "whenever serviceMonitor is"."""
    # Helm drops a null value from the merged values: absent means null here.
    enabled = values["prometheusRule"].get("enabled")
    return values["serviceMonitor"]["enabled"] if enabled is None else enabled


def fact_alerts(docs, values):
    rules = by_kind(docs, "PrometheusRule")
    if not rules_enabled(values):
        return ["PrometheusRule rendered although prometheusRule.enabled is false"] if rules else []
    if len(rules) != 1:
        return [f"want one PrometheusRule, got {len(rules)}"]
    problems, alerts = [], {}
    for g in rules[0]["spec"]["groups"]:
        for r in g["rules"]:
            if "alert" in r:
                alerts[r["alert"]] = r
    scale_to_zero = values["keda"]["enabled"] and values["keda"]["minReplicaCount"] == 0
    for name, metric in REQUIRED_ALERTS.items():
        if name == "TaskfleetNoWorkersUp" and scale_to_zero:
            if name in alerts:
                problems.append(f"{name} rendered although KEDA may scale workers to zero (it would always fire)")
            continue
        if name not in alerts:
            problems.append(f"alert {name} missing")
        elif metric not in str(alerts[name]["expr"]):
            problems.append(f"alert {name} does not use {metric}")
        elif metric.startswith("taskfleet_workspace_") and "by (workspace_id)" not in str(alerts[name]["expr"]):
            problems.append(f"alert {name} is not per workspace (by (workspace_id))")
    for name, r in alerts.items():
        expr = str(r["expr"])
        unknown = sorted({m for m in METRIC_TOKEN.findall(expr) if not known_metric(m)})
        if unknown:
            problems.append(f"alert {name} uses metrics the binary does not export: {unknown}")
        problems += [f"alert {name}: {p}" for p in promql_shape(expr)]
        if not (r.get("labels") or {}).get("severity"):
            problems.append(f"alert {name} has no severity label")
        if not (r.get("annotations") or {}).get("summary"):
            problems.append(f"alert {name} has no summary")
    return problems


@contextlib.contextmanager
def notes_chart():
    """A throwaway copy of the chart whose extra template renders NOTES.txt into a ConfigMap."""
    with tempfile.TemporaryDirectory() as tmp:
        copy_dir = Path(tmp) / CHART.name
        shutil.copytree(CHART, copy_dir)
        notes = (CHART / "templates" / "NOTES.txt").read_text()
        (copy_dir / "templates" / "zz-ci-notes.yaml").write_text(
            '{{- define "ci.notes" -}}\n' + notes + '\n{{- end -}}\n'
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ci-notes\n"
            'data:\n  notes: {{ include "ci.notes" . | toJson }}\n')
        yield copy_dir


def fact_notes(notes: str, variant: str) -> list[str]:
    problems = []
    for needle, why in (("port-forward", "how to reach the API"), ("taskfleet token", "how to mint a token"),
                        ("queue_summary", "how to check the queue"), ("ready_tasks", "what workers claim next")):
        if needle not in notes:
            problems.append(f"NOTES never mention {needle!r} ({why})")
    if "<no value>" in notes:
        problems.append("NOTES print <no value> (a value path is wrong)")
    return problems


# --------------------------------------------------------------------------------------------
# Dockerfile

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    out, buf = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue  # comment inside a continued instruction
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        parts = buf.strip().split(None, 1)
        out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        buf = ""
    return out


def check_dockerfile(report: Report) -> None:
    df = REPO / "Dockerfile"
    if not df.exists():
        report.check("dockerfile: exists", "Dockerfile missing")
        return
    ins = dockerfile_instructions(df.read_text())
    runs = [a for i, a in ins if i == "RUN"]
    report.check("dockerfile: build command is `cargo build --release --locked`",
                 None if any(re.search(r"\bcargo build --release --locked\b", r) for r in runs)
                 else "no RUN instruction runs `cargo build --release --locked`")
    froms = [a for i, a in ins if i == "FROM"]
    stages = [i for i, (k, _a) in enumerate(ins) if k == "FROM"]
    final = ins[stages[-1]:] if stages else []
    final_from = froms[-1].split()[0] if froms else ""
    problems = []
    if not any(f.split()[0] == "rust:1.95-slim-bookworm" for f in froms):
        problems.append("no builder stage FROM rust:1.95-slim-bookworm")
    if not (final_from.startswith("debian:bookworm-slim") or final_from.startswith("gcr.io/distroless/cc")):
        problems.append(f"runtime stage is FROM {final_from}, want debian:bookworm-slim or distroless cc")
    report.check("dockerfile: multi-stage, rust:1.95 builder, slim runtime", problems)
    problems = []
    users = [a for k, a in final if k == "USER"]
    if not users or users[-1].split(":")[0] != "10001":
        problems.append(f"runtime USER is {users[-1] if users else None}, want numeric 10001 (runAsNonRoot needs a numeric UID)")
    ep = [a for k, a in final if k == "ENTRYPOINT"]
    try:
        ep_val = json.loads(ep[-1]) if ep else None
    except json.JSONDecodeError:
        ep_val = ep[-1]
    if ep_val != ["taskfleet"]:
        problems.append(f'ENTRYPOINT is {ep_val!r}, want ["taskfleet"] (exec form)')
    if not any("ca-certificates" in a for k, a in final if k in ("RUN", "COPY")):
        problems.append("runtime stage installs no ca-certificates (rustls needs roots for TLS to Postgres/agents)")
    if any(re.search(r"\bcargo\b", a) for k, a in final if k == "RUN"):
        problems.append("runtime stage runs cargo")
    report.check("dockerfile: runtime is non-root 10001 with ENTRYPOINT [\"taskfleet\"]", problems)
    di = REPO / ".dockerignore"
    entries = {ln.strip().strip("/") for ln in di.read_text().splitlines()} if di.exists() else set()
    missing = [e for e in ("target", ".git") if e not in entries]
    report.check(".dockerignore excludes target/ and .git", [f".dockerignore lacks {missing}"] if missing else None)


# --------------------------------------------------------------------------------------------
# main flow

def run(args) -> int:
    import yaml  # noqa: F401  (fail early with a clear message if the venv is wrong)
    install_kv_cache()
    report = Report()
    t0 = time.monotonic()
    helm_bin = args.helm
    default_values = yaml.safe_load((CHART / "values.yaml").read_text())

    # 1. lint
    for name, (vfile, _desc) in VARIANTS.items():
        r = helm(helm_bin, "lint", "--strict", "--quiet", "--kube-version", KUBE_VERSION,
                 "--namespace", NAMESPACE, str(CHART), "-f", str(CI_VALUES / vfile))
        report.check(f"helm lint --strict [{name}]", None if r.returncode == 0 else first_line(r.stdout + r.stderr))

    # 2. render + validate + facts per variant
    for name, (vfile, desc) in VARIANTS.items():
        r = render(helm_bin, ["-f", str(CI_VALUES / vfile)])
        if not report.check(f"render [{name}] ({desc})", None if r.returncode == 0 else first_line(r.stderr)):
            continue
        docs = load_yaml_docs(r.stdout)
        values = merged_values(CI_VALUES / vfile)
        problems = [p for p in (validate_doc(d) for d in docs) if p]
        kinds = sorted({d["kind"] for d in docs})
        report.check(f"schema [{name}]: {len(docs)} manifests valid for Kubernetes {KUBE_VERSION} strict + CRD schemas "
                     f"({', '.join(kinds)})", problems)
        report.check(f"fact [{name}]: worker terminationGracePeriodSeconds >= TASKFLEET_TASK_TIMEOUT_SECS + {MIN_DRAIN_MARGIN_SECS}s",
                     fact_grace_period(docs, values))
        report.check(f"fact [{name}]: probes /healthz,/readyz on {API_PORT}; worker /livez,/readyz on {WORKER_METRICS_PORT}",
                     fact_probes(docs, values))
        report.check(f"fact [{name}]: secrets only via secretKeyRef; DATABASE_URL only from existingSecret or given value",
                     fact_secrets(docs, values, default_values))
        report.check(f"fact [{name}]: execute works: api.execute={values['api'].get('execute', True)} gives the API "
                     f"the workers' agent secret (or none)", fact_execute(docs, values))
        report.check(f"fact [{name}]: ConfigMap carries every TASKFLEET_* setting as given", fact_config(docs, values))
        report.check(f"fact [{name}]: autoscaling (KEDA query = ready_tasks count / HPA / fixed) consistent",
                     fact_autoscaling(docs, values))
        report.check(f"fact [{name}]: restricted security contexts on every pod", fact_security(docs, values))
        report.check(f"fact [{name}]: labels, Service/PDB/ServiceMonitor selectors hit exactly their component",
                     fact_selectors_and_labels(docs, values))
        report.check(f"fact [{name}]: migration Job is a pre-install,pre-upgrade hook with its inputs available",
                     fact_migration_hook(docs, values))
        report.check(f"fact [{name}]: alerts present, on exported metric names, well-formed", fact_alerts(docs, values))

    # 3. NOTES.txt (helm template never renders it; a broken one only shows at install time)
    with notes_chart() as chart_copy:
        for name, (vfile, _desc) in VARIANTS.items():
            r = helm(helm_bin, "template", RELEASE, str(chart_copy), "--namespace", NAMESPACE,
                     "--kube-version", KUBE_VERSION, "-f", str(CI_VALUES / vfile),
                     "--show-only", "templates/zz-ci-notes.yaml")
            if r.returncode != 0:
                report.check(f"NOTES.txt [{name}] renders", first_line(r.stderr))
                continue
            notes = load_yaml_docs(r.stdout)[0]["data"]["notes"]
            report.check(f"NOTES.txt [{name}] renders: port-forward, token, queue check", fact_notes(notes, name))

    # 4. bad values must fail the render, for the expected reason
    for label, extra, pattern in NEGATIVE_CASES:
        r = render(helm_bin, extra)
        out = r.stderr + r.stdout
        if r.returncode == 0:
            report.check(f"rejects: {label}", "render succeeded")
        elif not re.search(pattern, out):
            report.check(f"rejects: {label}", f"failed, but not with /{pattern}/: {first_line(r.stderr)}")
        else:
            report.check(f"rejects: {label}", None)

    # 5. Dockerfile
    check_dockerfile(report)

    print(f"checks took {time.monotonic() - t0:.1f}s")
    print(f"helm-validate: {report.passed} passed, {len(report.failed)} failed")
    return 1 if report.failed else 0


# --------------------------------------------------------------------------------------------
# maintainer tool: derive the CRD JSON schemas from the published CRD models

def gen_crd_schemas(_args) -> int:
    """Writes helm/ci-schemas/*.json from the cloudcoil-models-keda / -prometheus-operator
    packages (pydantic models generated from the upstream CRD YAML). Tightened to what the API
    server enforces with strict field validation: unknown fields rejected, `null` not accepted for
    fields the CRD does not mark nullable."""
    try:
        from cloudcoil.models.keda import v1alpha1 as keda
        from cloudcoil.models.prometheus_operator import v1 as prom
        from importlib.metadata import version
    except ImportError:
        print("gen-crd-schemas needs: pip install 'cloudcoil-models-keda==2.16.1.0' "
              "'cloudcoil-models-prometheus-operator==0.80.1.0'", file=sys.stderr)
        return 2
    models = {
        "keda.sh_v1alpha1_scaledobject.json": (keda.ScaledObject, "cloudcoil-models-keda"),
        "keda.sh_v1alpha1_triggerauthentication.json": (keda.TriggerAuthentication, "cloudcoil-models-keda"),
        "monitoring.coreos.com_v1_servicemonitor.json": (prom.ServiceMonitor, "cloudcoil-models-prometheus-operator"),
        "monitoring.coreos.com_v1_prometheusrule.json": (prom.PrometheusRule, "cloudcoil-models-prometheus-operator"),
    }

    def tighten(node):
        if isinstance(node, list):
            return [tighten(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: v for k, v in node.items() if k not in ("title", "default", "description")}
        any_of = node.get("anyOf")
        if any_of and {"type": "null"} in any_of:
            rest = [x for x in any_of if x != {"type": "null"}]
            node.pop("anyOf")
            if len(rest) == 1:
                node.update(rest[0])
            else:
                node["anyOf"] = rest
        node = {k: tighten(v) for k, v in node.items()}
        if isinstance(node.get("pattern"), str) and "(?i)" in node["pattern"][1:]:
            # Go RE2 allows inline flags anywhere; Python's re (jsonschema) only at the start.
            node["pattern"] = "(?i)" + node["pattern"].replace("(?i)", "")
        if node.get("properties") and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node

    CRD_SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for fname, (model, pkg) in models.items():
        schema = tighten(model.model_json_schema(by_alias=True, mode="validation"))
        # What a manifest must carry (the API server requires these; status is never rendered).
        schema["properties"].pop("status", None)
        schema["properties"]["metadata"] = {"allOf": [schema["properties"]["metadata"]], "required": ["name"]}
        schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$comment": f"Generated by scripts/helm_checks.py gen-crd-schemas from {pkg}=={version(pkg)} "
                              f"({model.__module__}.{model.__name__}); do not edit by hand.",
                  **schema}
        (CRD_SCHEMA_DIR / fname).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"wrote {CRD_SCHEMA_DIR / fname}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--helm", default=os.environ.get("HELM", "helm"))
    sub.add_parser("gen-crd-schemas")
    args = ap.parse_args()
    return {"run": run, "gen-crd-schemas": gen_crd_schemas}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
