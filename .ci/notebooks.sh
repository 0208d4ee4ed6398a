#!/usr/bin/env bash
# Executes every notebook in notebooks/ headlessly on small settings (MINDMARKET_SMALL=1) and
# fails if any cell raises. The committed notebooks stay output-free: they are executed into a
# scratch folder, and a notebook committed with outputs is an error.
#
# Usage, from anywhere:  .ci/notebooks.sh
# Needs python3 (with the venv module) and cargo. Environment:
#   NOTEBOOK_VENV       the virtual environment (default target/nbvenv; rebuilt when
#                       notebooks/requirements.txt changes, reused otherwise)
#   MINDMARKET_BIN      the binary to use (default: target/release/mindmarket, built here)
#   NOTEBOOK_OUTPUT_DIR keep the executed notebooks and their outputs here (default: a temporary
#                       folder, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${NOTEBOOK_VENV:-$root/target/nbvenv}
req=notebooks/requirements.txt
start=$SECONDS

command -v python3 >/dev/null 2>&1 || { echo "python3 not found (apt-get install -y python3 python3-venv)" >&2; exit 1; }
if [ ! -x "$venv/bin/jupyter" ] || ! cmp -s "$req" "$venv/.requirements.txt"; then
    echo "==> creating $venv from $req"
    rm -rf "$venv"
    python3 -m venv "$venv"
    if command -v uv >/dev/null 2>&1; then
        uv pip install --python "$venv/bin/python" -r "$req"
    else
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    fi
    cp "$req" "$venv/.requirements.txt"
fi

echo "==> notebooks are committed without outputs"
"$venv/bin/python" - <<'PY'
import glob, json, sys
bad = sorted({p for p in glob.glob("notebooks/*.ipynb") for c in json.load(open(p))["cells"]
              if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)})
if bad:
    sys.exit("notebooks committed with outputs (clear them, e.g. jupyter nbconvert --clear-output --inplace): "
             + ", ".join(bad))
PY

if [ -z "${MINDMARKET_BIN:-}" ]; then
    echo "==> cargo build --release --bin mindmarket"
    cargo build --release --locked --bin mindmarket
    export MINDMARKET_BIN=$root/target/release/mindmarket
fi

if [ -n "${NOTEBOOK_OUTPUT_DIR:-}" ]; then
    scratch=$NOTEBOOK_OUTPUT_DIR
    mkdir -p "$scratch"
else
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/mindmarket-notebooks.XXXXXX")
    trap 'rm -rf "$scratch"' EXIT
fi
export MINDMARKET_ROOT=$root MINDMARKET_SMALL=1 MINDMARKET_OUT=$scratch/out

failed=()
for nb in notebooks/*.ipynb; do
    t0=$SECONDS
    log=$scratch/$(basename "$nb" .ipynb).log
    if "$venv/bin/jupyter" nbconvert --to notebook --execute "$nb" --output-dir "$scratch/executed" \
        --ExecutePreprocessor.timeout=600 >"$log" 2>&1; then
        echo "==> ok: $nb ($((SECONDS - t0))s)"
    else
        cat "$log" >&2
        echo "==> FAILED: $nb ($((SECONDS - t0))s)" >&2
        failed+=("$nb")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> notebooks failed: ${failed[*]}" >&2
    exit 1
fi
echo "==> all notebooks ran in $((SECONDS - start))s"
