#!/usr/bin/env bash
# Submits a mindmarket sweep to Slurm: a job array of N shards (sweep.sbatch), then a merge job
# (merge.sbatch) that starts when every shard succeeded. Prints the two job ids.
#
#   deploy/slurm/submit.sh SWEEP_FILE OUT_DIR N [extra sbatch options, e.g. --partition=long]
#
# The result is OUT_DIR/merged; shard folders are OUT_DIR/shard_K, logs OUT_DIR/logs/.
# Environment: MINDMARKET = the mindmarket binary every task runs (default: `mindmarket` on PATH;
# use an absolute path on a shared filesystem). CPUS_PER_TASK (default 1) = threads per shard;
# THROTTLE = most shards running at once (default: no limit). WAIT=1 blocks until the merge ends
# and exits with its exit code.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 SWEEP_FILE OUT_DIR N [sbatch options...]" >&2
    exit 64
fi
sweep=$1
out=$2
n=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
case "$n" in '' | *[!0-9]* | 0) echo "N must be a positive whole number, got '$n'" >&2; exit 64 ;; esac

mkdir -p "$out/logs"
sweep=$(cd "$(dirname "$sweep")" && pwd)/$(basename "$sweep")
out=$(cd "$out" && pwd)
array="0-$((n - 1))${THROTTLE:+%$THROTTLE}"

# The plan first: a bad sweep file fails here, not in N tasks.
"${MINDMARKET:-mindmarket}" sweep "$sweep" --dry-run >"$out/logs/plan.txt"

array_job=$(sbatch --parsable --array="$array" --cpus-per-task="${CPUS_PER_TASK:-1}" \
    --output="$out/logs/sweep_%A_%a.out" "$@" "$here/sweep.sbatch" "$sweep" "$out")
array_job=${array_job%%;*}
wait_flag=()
if [ "${WAIT:-0}" = 1 ]; then
    wait_flag=(--wait)
fi
echo "submitted shards: job array $array_job ($n tasks)"
merge_job=$(sbatch --parsable "${wait_flag[@]}" --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
    --output="$out/logs/merge_%j.out" "$@" "$here/merge.sbatch" "$out" "$n") || {
    rc=$?
    echo "merge job ended with exit code $rc (see $out/logs/)" >&2
    exit "$rc"
}
merge_job=${merge_job%%;*}
echo "submitted merge: job $merge_job (after job $array_job succeeds) -> $out/merged"
