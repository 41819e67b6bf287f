#!/usr/bin/env bash
# Builds what the GPU check needs on a machine without a JDK or Maven: the pam-api and pam-cuda
# jars with their runtime dependencies (no OpenCV) in OUTDIR/lib, and a small jlink'd Java
# runtime in OUTDIR/jre. Carry OUTDIR (default .gpu, git-ignored) to the GPU machine and run
# scripts/gpu-check.sh there.
# Usage: scripts/prepare-gpu.sh [OUTDIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.gpu}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$root"

echo "building pam-api and pam-cuda ..."
rm -rf "$out"
mkdir -p "$out/lib"
scripts/with-jdk mvn -B -q -DskipTests -Djavacpp.platform=linux-x86_64 -pl pam-cuda -am package \
  dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.bytedeco -DoutputDirectory="$out/lib"
cp pam-api/target/pam-api-*.jar pam-cuda/target/pam-cuda-*.jar "$out/lib/"
rm -f "$out"/lib/*-sources.jar "$out"/lib/*-tests.jar
if ls "$out"/lib | grep -qi opencv; then echo "error: OpenCV ended up in $out/lib" >&2; exit 1; fi

# the JDK that with-jdk picks, for jdeps and jlink
jdk="$(scripts/with-jdk bash -c 'echo "$JAVA_HOME"')"
# Modules that pam-cuda (GpuCheck, the engine) uses. Left out on purpose, to stay far below the
# 64 MiB a GPU call may carry: java.desktop (about 20 MiB; needed only by pam-api's image files
# and Matter, which the GPU check does not touch) and Jackson's optional java.beans/java.sql uses.
# Override with PAM_GPU_MODULES=mod1,mod2,... if a later check needs more.
mods="${PAM_GPU_MODULES:-$("$jdk/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
  "$out"/lib/pam-cuda-*.jar)}"
mods="$mods,jdk.incubator.vector"
echo "linking a runtime with: $mods"
"$jdk/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress zip-9 \
  --output "$out/jre" 2> >(grep -v 'incubator modules' >&2)

# smoke test of the linked runtime: GpuCheck must start (here it may only report "unavailable")
set +e
"$out/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$out/lib/*" \
  io.pam.cuda.tools.GpuCheck --quick > "$out/smoke.log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then cat "$out/smoke.log" >&2; echo "error: the linked runtime cannot run GpuCheck (exit $rc)" >&2; exit 1; fi
echo "smoke test: $(grep RESULT "$out/smoke.log")"
rm -f "$out/smoke.log"

size_kb=$(du -sk "$out" | cut -f1)
echo "ready: $out ($((size_kb / 1024)) MiB: $(ls "$out/lib" | tr '\n' ' '))"
if [ "$size_kb" -gt $((60 * 1024)) ]; then echo "error: $out is over 60 MiB" >&2; exit 1; fi
