#!/usr/bin/env bash
# Checks the CUDA loss kernels (pam-cuda DeviceLosses) without a GPU: compiles their source as
# serial C++ (needs g++) and compares with pam-train's host losses on procedural batches.
# See pam-cuda/src/test/emulation/. Exit status 0 when the emulated kernels match.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v g++ >/dev/null 2>&1 || { echo "error: g++ is needed to compile the kernels as host C++" >&2; exit 2; }
scripts/with-jdk mvn -B -q -ntp -Djavacpp.platform=linux-x86_64 -DskipTests -pl pam-train -am package
cp="$(ls "$root"/pam-api/target/pam-api-*.jar "$root"/pam-train/target/pam-train-*.jar | grep -v -- '-sources' | paste -sd: -)"
exec scripts/with-jdk java -cp "$cp" pam-cuda/src/test/emulation/LossKernelsEmulation.java
