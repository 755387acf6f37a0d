#!/usr/bin/env bash
# Proves `batch --shard auto` on a real scheduler: brings up a single-node Slurm on this machine
# from Debian's packages (slurm-wlm, munge; installed if missing), builds a tiny model and a
# folder of images, submits deploy/slurm/batch-array.sbatch as an array job (TASKS tasks) running
# the built CLI, then deploy/slurm/merge.sbatch after it (--dependency=afterok), waits, checks
# that results.csv holds every image exactly once and that each task ran its own shard, and
# tears everything down (daemons stopped, temporary state removed).
#
#   sudo scripts/slurm-check.sh            # after `npm run build`; TASKS=4 IMAGES=40 by default
#
# Needs root (it installs packages and runs slurmctld/slurmd as root). No systemd: the daemons
# are started directly, with their state in a temporary folder, on ports 16817/16818.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TASKS=${TASKS:-4}
IMAGES=${IMAGES:-40}
say() { printf '[slurm-check %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}

[[ $(id -u) == 0 ]] || fail "run as root (it installs slurm-wlm and munge and starts their daemons)"
[[ -f $ROOT/out/main/cli.js ]] || fail "the CLI is not built: run npm run build first"
NODE=$(command -v node) || fail "node is not on PATH"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V), $(munged -V 2>&1 | awk '{print $1; exit}')"

WORK=$(mktemp -d /tmp/owb-slurm-check.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local rc=$?
  set +e
  if [[ -n ${SLURM_CONF:-} ]] && command -v scancel >/dev/null; then scancel --quiet --full -u root 2>/dev/null; fi
  # Only the daemons this script started, by their pids; the newest first.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
  say "torn down (daemons stopped, $WORK removed)"
  exit $rc
}
trap cleanup EXIT INT TERM

# ---- munge: a key of our own and a socket in the work folder --------------------------------
mkdir -p "$WORK/munge"
chmod 755 "$WORK/munge"
mungekey --create --keyfile="$WORK/munge/munge.key"
chmod 400 "$WORK/munge/munge.key"
munged --foreground --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.sock" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed" \
  >"$WORK/munge/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [[ -S $WORK/munge/munge.sock ]] && break; sleep 0.1; done
[[ -S $WORK/munge/munge.sock ]] || fail "munged did not start: $(cat "$WORK/munge/munged.log")"

# ---- slurm: one node (this machine), one partition ---------------------------------------------
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
mkdir -p "$WORK/slurm/state" "$WORK/slurm/spool" "$WORK/run"
export SLURM_CONF=$WORK/slurm/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=owbcheck
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.sock
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$WORK/slurm/state
SlurmdSpoolDir=$WORK/slurm/spool
SlurmctldPidFile=$WORK/slurm/slurmctld.pid
SlurmdPidFile=$WORK/slurm/slurmd.pid
SlurmctldLogFile=$WORK/slurm/slurmctld.log
SlurmdLogFile=$WORK/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=check Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -f "$SLURM_CONF" >"$WORK/slurm/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >"$WORK/slurm/slurmd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 60); do
  [[ $(sinfo -h -o '%T' 2>/dev/null) == idle ]] && break
  sleep 1
done
[[ $(sinfo -h -o '%T' 2>/dev/null) == idle ]] || fail "the Slurm node did not come up: $(tail -5 "$WORK/slurm/slurmctld.log" "$WORK/slurm/slurmd.log")"
say "Slurm is up: $(sinfo -h -o 'partition %P, node %N (%c CPUs), %T')"

# ---- a tiny model (built in code) and IMAGES images ----------------------------------------------
DATA=$WORK/data
mkdir -p "$DATA"
cat >"$WORK/make-data.mts" <<EOF
import { writeFile } from 'node:fs/promises';
import { classifierModel, classifierRecipeFile, imageFolder } from '$ROOT/test/node/batch-fixtures.ts';
await writeFile('$DATA/model.onnx', classifierModel());
const files = [
  ...(await imageFolder('$DATA/photos', Math.ceil($IMAGES / 2), 'day1/')),
  ...(await imageFolder('$DATA/photos', Math.floor($IMAGES / 2), 'day2/')),
];
await classifierRecipeFile('$DATA/recipe.json', 1);
await writeFile('$DATA/expected.txt', files.sort().join('\n') + '\n');
EOF
(cd "$ROOT" && "$NODE" --import tsx "$WORK/make-data.mts")
say "made $(wc -l <"$DATA/expected.txt") images and a model in $DATA"

# ---- the array job, and the merge after it ---------------------------------------------------
export OWB_MODEL=$DATA/model.onnx OWB_INPUT=$DATA/photos OWB_OUT=$DATA/results OWB_RECIPE=$DATA/recipe.json
export OWB_CLI="$NODE $ROOT/bin/onnx-workbench.js"
cd "$WORK/run"
JOB=$(sbatch --parsable --array=0-$((TASKS - 1)) --cpus-per-task=1 --mem=1G --output="$WORK/run/batch-%A_%a.out" \
  "$ROOT/deploy/slurm/batch-array.sbatch")
MERGE=$(sbatch --parsable --dependency=afterok:"$JOB" --kill-on-invalid-dep=yes --output="$WORK/run/merge-%j.out" \
  "$ROOT/deploy/slurm/merge.sbatch")
say "submitted array job $JOB (tasks 0-$((TASKS - 1))) and merge job $MERGE (afterok:$JOB)"

deadline=$((SECONDS + 600))
while [[ -n $(squeue -h -j "$JOB,$MERGE" -o %i 2>/dev/null) ]]; do
  ((SECONDS < deadline)) || fail "the jobs did not finish in 10 minutes: $(squeue)"
  sleep 2
done

# ---- what Slurm says, what each task printed, and the merged result ---------------------------
states=$(scontrol -o show job "$JOB" | grep -o 'ArrayTaskId=[0-9]* .*JobState=[A-Z]*' | sed -E 's/ArrayTaskId=([0-9]+).*JobState=([A-Z]+)/\1:\2/' | sort -n | tr '\n' ' ')
merge_state=$(scontrol -o show job "$MERGE" | grep -o 'JobState=[A-Z]*')
say "array job $JOB tasks: $states; merge job $MERGE: $merge_state"
for ((i = 0; i < TASKS; i++)); do
  log=$WORK/run/batch-${JOB}_$i.out
  [[ -f $log ]] || fail "task $i left no log"
  say "task $i: $(grep -h '^Shard:' "$log") | $(grep -h 'files to process' "$log") | $(tail -n 1 "$log")"
  grep -q "^Shard: $i/$TASKS (from SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN)" "$log" || fail "task $i did not run shard $i/$TASKS: $(cat "$log")"
done
say "merge: $(cat "$WORK"/run/merge-*.out)"
[[ $merge_state == JobState=COMPLETED ]] || fail "the merge did not complete"
for ((i = 0; i < TASKS; i++)); do [[ $states == *"$i:COMPLETED"* ]] || fail "task $i did not complete: $states"; done

CSV=$OWB_OUT/results.csv
[[ -f $CSV ]] || fail "no $CSV"
tail -n +2 "$CSV" | cut -d, -f1 | sort >"$WORK/got.txt"
rows=$(wc -l <"$WORK/got.txt")
unique=$(sort -u "$WORK/got.txt" | wc -l)
ok=$(tail -n +2 "$CSV" | cut -d, -f2 | grep -c '^ok$' || true)
say "results.csv: $rows rows, $unique distinct files, $ok ok; shard folders: $(ls "$OWB_OUT/.onnx-workbench/shards" | tr '\n' ' ')"
for ((i = 0; i < TASKS; i++)); do
  say "  shard $i of $TASKS: $(($(wc -l <"$OWB_OUT/.onnx-workbench/shards/$i-of-$TASKS/results.csv") - 1)) files"
done
diff -u "$DATA/expected.txt" "$WORK/got.txt" >"$WORK/diff.txt" || fail "results.csv differs from the images: $(cat "$WORK/diff.txt")"
[[ $rows == "$unique" ]] || fail "some file is in results.csv more than once"
say "PASS: $TASKS Slurm array tasks (--shard auto), merged by a dependent job: every one of $rows images exactly once"
