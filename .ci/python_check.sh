#!/usr/bin/env bash
# Parquet output of sweeps, read by the tools users load it with. Runs the sweep tests and builds
# `mindmarket` with the non-default `parquet` feature (once; the ordinary test builds stay
# CSV-only), runs a small sweep with `--format parquet` and step recording, then checks in a Python
# venv that pandas (with pyarrow) and polars read runs.parquet, points.parquet and a
# steps/run_*.parquet file, and that the Parquet tables hold exactly the values of runs.csv and
# points.csv.
#
# Usage: bash .ci/python_check.sh   (from anywhere; needs python3 with venv and network access to
# PyPI the first time; the venv is kept in target/pyenv-parquet and reused).
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$SECONDS
echo "==> cargo test -p mindmarket-sim --features parquet --test sweep (the Rust side, with Parquet)"
cargo test --locked -p mindmarket-sim --features parquet --test sweep
echo "==> cargo test -p mindmarket-analysis --features parquet --lib (the analysis crate reads Parquet)"
cargo test --locked -p mindmarket-analysis --features parquet --lib
echo "==> cargo build --profile test --features parquet --bin mindmarket"
cargo build --locked --profile test --features parquet --bin mindmarket
bin=target/debug/mindmarket

work=$(mktemp -d "${TMPDIR:-/tmp}/mindmarket-parquet.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp tests/data/tiny.toml "$work/tiny.toml"
cat >"$work/pq.toml" <<'TOML'
# 3 points × 2 replications of tests/data/tiny.toml, 20 steps, one failed point (fee 0.7 is out
# of range) so that nulls appear in the tables.
base = "tiny.toml"
[overrides]
"run.steps" = 20
[sweep]
replications = 2
record_steps = 5
[sweep.parameters]
"platform.seller_fee_rate" = [0.0, 0.02, 0.7]
"engine.rationing" = ["lottery", "pro_rata"]
TOML
echo "==> mindmarket sweep --format parquet (4 of 12 runs fail on purpose: exit code 2 expected)"
rc=0
"$bin" sweep "$work/pq.toml" --out "$work/out" --format parquet || rc=$?
if [ "$rc" -ne 2 ]; then
    echo "expected exit code 2 (failed runs), got $rc" >&2
    exit 1
fi
ls -l "$work/out" "$work/out/steps" | head -20

venv=target/pyenv-parquet
if [ ! -x "$venv/bin/python" ]; then
    echo "==> python3 -m venv $venv; pip install pandas pyarrow polars"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check pandas==3.1.1 pyarrow==26.0.1 polars==2.1.0
fi
"$venv/bin/python" - "$work/out" <<'PY'
import math
import sys
from pathlib import Path

import pandas as pd
import polars as pl

out = Path(sys.argv[1])

def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        a = float("nan") if a is None else a
        b = float("nan") if b is None else b
        try:
            return (math.isnan(a) and math.isnan(b)) or a == b
        except TypeError:
            return False
    return a == b

for name in ["runs", "points"]:
    csv = pd.read_csv(out / f"{name}.csv", keep_default_na=True)
    pq_pandas = pd.read_parquet(out / f"{name}.parquet", engine="pyarrow")
    pq_polars = pl.read_parquet(out / f"{name}.parquet")
    csv_polars = pl.read_csv(out / f"{name}.csv")
    assert list(pq_pandas.columns) == list(csv.columns), (name, list(pq_pandas.columns))
    assert pq_polars.columns == list(csv.columns), name
    assert pq_pandas.shape == csv.shape == pq_polars.shape == csv_polars.shape, name
    for col in csv.columns:
        for i, (x, y, z) in enumerate(zip(csv[col].tolist(), pq_pandas[col].tolist(), pq_polars[col].to_list())):
            if col == "error" or (isinstance(x, float) and math.isnan(x) and y is None):
                x = None if isinstance(x, float) and math.isnan(x) else x
            assert same(x, y) or (x is None and (y is None or (isinstance(y, float) and math.isnan(y)))), (name, col, i, x, y)
            assert same(y, z) or (y is None and z is None) or (isinstance(y, float) and math.isnan(y) and z is None), (name, col, i, y, z)
    print(f"{name}.parquet: {pq_pandas.shape[0]} rows × {pq_pandas.shape[1]} columns, equal to {name}.csv "
          f"(pandas {pd.__version__} + pyarrow, polars {pl.__version__})")

runs = pd.read_parquet(out / "runs.parquet")
assert (runs["status"] == "failed").sum() == 4, runs["status"].tolist()
assert runs.loc[runs["status"] == "failed", "final_platform_share_requests"].isna().all()
assert str(runs["run_id"].dtype) == "uint64" and str(runs["platform.seller_fee_rate"].dtype) == "float64"
assert runs["engine.rationing"].tolist()[:4] == ["lottery", "lottery", "pro_rata", "pro_rata"]

steps = sorted((out / "steps").glob("run_*.parquet"))
assert len(steps) == 8, [p.name for p in steps]  # failed points have no steps
s_pd = pd.read_parquet(steps[1])
s_pl = pl.read_parquet(steps[1])
assert list(s_pd.columns)[:2] == ["run_id", "step"] and s_pl.columns == list(s_pd.columns)
assert s_pd["step"].tolist() == [0, 5, 10, 15, 19], s_pd["step"].tolist()
assert set(s_pd["run_id"]) == {1} and s_pl["token_price_usd"].dtype == pl.Float64
print(f"steps/{steps[1].name}: {len(s_pd)} rows × {len(s_pd.columns)} columns (pandas and polars)")
PY
echo "==> ok: Parquet read by pandas and polars ($((SECONDS - t0))s)"
