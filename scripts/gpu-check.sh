#!/usr/bin/env bash
# Runs the GPU check (io.pam.cuda.tools.GpuCheck) on a GPU machine, from the repository root,
# with the runtime and jars that scripts/prepare-gpu.sh put in .gpu (or $PAM_GPU_DIR).
# Output goes to stdout and, when $OUT is set, to $OUT/gpu-check.log. Exit status: GpuCheck's
# (0 pass, 1 FP32 parity failure, 2 backend unavailable, 3 error).
# Usage: scripts/gpu-check.sh [--quick]
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
"$gpu/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m -Xmx24g \
  -cp "$gpu/lib/*" io.pam.cuda.tools.GpuCheck "$@" 2>&1 | grep --line-buffered -v 'Using incubator modules' | tee -a "$log"
exit "${PIPESTATUS[0]}"
