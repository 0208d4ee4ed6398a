#!/usr/bin/env bash
# The Slurm test: a real single-node Slurm cluster on localhost runs scenarios/sweeps/quick.toml
# as a job array of 3 shards (deploy/slurm/sweep.sbatch) plus a merge job with an afterok
# dependency (deploy/slurm/merge.sbatch), submitted by deploy/slurm/submit.sh; the merged folder
# must be byte-identical to an unsharded `mindmarket sweep` of the same file.
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge (apt-get; needs root), starts
# munged, slurmctld and slurmd by hand (no systemd; ECOSYSTEM.md §7, 2 CPUs), and stops them by
# their PIDs when done, whatever happens. Uses $MINDMARKET_BIN if set, else the binary that
# `cargo test` builds (target/debug/mindmarket, test profile).
#
# Usage: bash .ci/slurm_test.sh   (as root; about 10 s for the packages the first time, then
# about 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
t0=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
    echo "the Slurm test needs root (it installs packages and starts slurmd)" >&2
    exit 1
fi

S=${SLURM_SCRATCH:-/tmp/mindmarket-slurm}
export SLURM_CONF=$S/slurm.conf
started=()

stop_daemons() {
    local f pid
    for f in "${started[@]}"; do
        [ -s "$f" ] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
}
trap stop_daemons EXIT

echo "==> packages: slurmctld slurmd slurm-client munge"
if ! dpkg -s slurmctld slurmd slurm-client munge >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurmctld slurmd slurm-client munge
fi

echo "==> munged"
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
if [ -s /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
    echo "munged already runs (pid $(cat /run/munge/munged.pid)); using it"
else
    rm -f /run/munge/munged.pid /run/munge/munge.socket.2*
    runuser -u munge -- munged
    started+=(/run/munge/munged.pid)
fi
munge -n | unmunge >/dev/null

echo "==> slurmctld and slurmd (single node, 2 CPUs) in $S"
for f in "$S/slurmd.pid" "$S/slurmctld.pid"; do
    if [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
        kill "$(cat "$f")" 2>/dev/null || true
        sleep 1
    fi
done
rm -rf "$S"
mkdir -p "$S"/state "$S"/spool "$S"/log
cat >"$SLURM_CONF" <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld
started+=("$S/slurmctld.pid")
slurmd -N localhost
started+=("$S/slurmd.pid")
for _ in $(seq 1 30); do
    sinfo -h -o %t | grep -q '^idle' && break
    sleep 1
done
sinfo
sinfo -h -o %t | grep -q '^idle' || {
    echo "the node did not become idle" >&2
    tail -20 "$S/log/slurmctld.log" "$S/log/slurmd.log" >&2 || true
    exit 1
}

echo "==> mindmarket binary"
if [ -n "${MINDMARKET_BIN:-}" ]; then
    bin=$(cd "$(dirname "$MINDMARKET_BIN")" && pwd)/$(basename "$MINDMARKET_BIN")
else
    # The binary `cargo test` builds for the CLI tests (a no-op right after `cargo test
    # --workspace`, which .ci/run runs first).
    cargo test --locked --no-run --test sweep_cli
    bin=$repo/target/debug/mindmarket
fi
"$bin" --version

echo "==> unsharded sweep of scenarios/sweeps/quick.toml"
work=$S/work
mkdir -p "$work"
t1=$SECONDS
"$bin" sweep scenarios/sweeps/quick.toml --out "$work/unsharded" --threads 2
echo "unsharded: $((SECONDS - t1))s"

echo "==> Slurm: job array of 3 shards + merge job (afterok), waiting for the merge"
t1=$SECONDS
rc=0
MINDMARKET=$bin WAIT=1 timeout 600 deploy/slurm/submit.sh scenarios/sweeps/quick.toml "$work/sharded" 3 || rc=$?
echo "job array + merge: $((SECONDS - t1))s (exit code $rc)"
for f in "$work/sharded/logs/"*.out; do
    echo "--- $f"
    cat "$f"
done
scontrol show job | grep -E '^JobId=|JobState=' | paste - - | sed 's/^/    /' || true
if [ "$rc" -ne 0 ]; then
    echo "the Slurm jobs failed" >&2
    exit 1
fi
states=$(scontrol show job | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
echo "$states"
if [ "$(scontrol show job | grep -c 'JobState=COMPLETED')" -ne 4 ]; then
    echo "expected 4 COMPLETED jobs (3 shards + merge)" >&2
    exit 1
fi

echo "==> merged == unsharded, byte for byte"
diff -r "$work/unsharded" "$work/sharded/merged"
(cd "$work/unsharded" && find . -type f | sort | while read -r f; do cmp "$f" "$work/sharded/merged/$f"; done)
echo "identical: $(cd "$work/unsharded" && find . -type f | wc -l) files"
echo "==> ok: Slurm sweep test passed in $((SECONDS - t0))s"
