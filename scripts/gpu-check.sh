#!/usr/bin/env bash
# Runs the GPU checks on a GPU machine, from the repository root, with the runtime and jars that
# scripts/prepare-gpu.sh put in .gpu (or $PAM_GPU_DIR), in this order:
#   1. pam-cuda's JUnit tests (the GPU-only ones skip everywhere else): parity of inference and of
#      every training op with the reference, leak checks;
#   2. io.pam.cuda.tools.GpuCheck: inference parity over all routes, budget routing, latency at
#      1024^2 and 2048^2, leak check;
#   3. io.pam.train.TrainingCheck: whole-network gradient parity, optimiser steps, training
#      samples/s at 512^2 and a short training run.
# Output goes to stdout and, when $OUT is set, to $OUT/gpu-check.log. Exit status: 0 when all three
# pass, else the first failure's (JUnit 1, GpuCheck/TrainingCheck: 1 parity, 2 unavailable, 3 error;
# 124 or 137: a step ran past $PAM_GPU_STEP_LIMIT seconds, default 240; the JVM then first gets
# SIGQUIT and prints every thread's stack, so a hang shows where it waits).
# Environment: PAM_GPU_TEST_TIMEOUT (seconds per JUnit test, default 120), PAM_TRAINING_ARGS (more
# arguments for TrainingCheck, e.g. "--parts throughput").
# Usage: scripts/gpu-check.sh [--quick] [--only junit|inference|training]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
gpu="${PAM_GPU_DIR:-$root/.gpu}"
if [ ! -x "$gpu/jre/bin/java" ]; then
  echo "error: no runtime at $gpu/jre: run scripts/prepare-gpu.sh first and bring $gpu along" >&2
  exit 2
fi

# The Java side finds pip's CUDA packages by itself; as a fallback, put the folders of the
# 'nvidia' Python package of whatever python3 is here on LD_LIBRARY_PATH too.
if command -v python3 >/dev/null 2>&1; then
  extra="$(python3 - 2>/dev/null <<'PY'
import os
try:
    import nvidia
    for base in list(nvidia.__path__):
        for d in sorted(os.listdir(base)):
            for sub in ("lib", "lib64"):
                p = os.path.join(base, d, sub)
                if os.path.isdir(p):
                    print(p)
except Exception:
    pass
PY
)"
  for d in $extra; do LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"; done
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
fi

log=/dev/null
if [ -n "${OUT:-}" ]; then mkdir -p "$OUT"; log="$OUT/gpu-check.log"; fi
{
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
} 2>&1 | tee "$log"
quick=""
only=""
# each step ends after this many seconds (status 124), so one hang cannot eat the whole GPU budget
step_limit="${PAM_GPU_STEP_LIMIT:-240}"
test_timeout="${PAM_GPU_TEST_TIMEOUT:-120}"
# at the limit: SIGQUIT (the JVM prints its threads' stacks and goes on), 15 s later SIGKILL
limit() { timeout --signal=QUIT --kill-after=15 "$step_limit" "$@"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --only) only="$2"; shift ;;
    *) echo "usage: scripts/gpu-check.sh [--quick] [--only junit|inference|training]" >&2; exit 3 ;;
  esac
  shift
done
java=("$gpu/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m -Xmx24g)
filter() { grep --line-buffered -v 'Using incubator modules' | tee -a "$log"; }
status=0
results=()
record() { # name, exit status
  results+=("$1: exit $2")
  if [ "$status" -eq 0 ] && [ "$2" -ne 0 ]; then status=$2; fi
}

if [ -z "$only" ] || [ "$only" = junit ]; then
  echo "== 1. JUnit: pam-cuda tests on this GPU" | tee -a "$log"
  cp_list="$(ls "$gpu"/lib/*.jar "$gpu"/test/assertj-core-*.jar | paste -sd: -):$gpu/test/classes"
  # testfeed: one line per test as it ends, so a hang still shows how far it got; a test that
  # takes over $test_timeout s fails (its native call may keep running: the step's own limit then ends it)
  limit "${java[@]}" -jar "$gpu"/test/junit-platform-console-standalone-*.jar execute \
    --disable-banner --details=testfeed --include-engine=junit-jupiter \
    --config=junit.jupiter.execution.timeout.default=${test_timeout}s \
    --config=junit.jupiter.execution.timeout.thread.mode.default=SEPARATE_THREAD \
    --class-path "$cp_list" --select-package io.pam.cuda 2>&1 | filter
  record junit "${PIPESTATUS[0]}"
fi
if [ -z "$only" ] || [ "$only" = inference ]; then
  echo "== 2. GpuCheck: inference" | tee -a "$log"
  limit "${java[@]}" -cp "$gpu/lib/*" io.pam.cuda.tools.GpuCheck $quick 2>&1 | filter
  record inference "${PIPESTATUS[0]}"
fi
if [ -z "$only" ] || [ "$only" = training ]; then
  echo "== 3. TrainingCheck: training on cuda" | tee -a "$log"
  # shellcheck disable=SC2086 # PAM_TRAINING_ARGS is a list of words
  limit "${java[@]}" -cp "$gpu/lib/*" io.pam.train.TrainingCheck --backend cuda $quick ${PAM_TRAINING_ARGS:-} 2>&1 | filter
  record training "${PIPESTATUS[0]}"
fi
echo "== gpu-check: ${results[*]}" | tee -a "$log"
exit "$status"
