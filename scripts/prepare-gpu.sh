#!/usr/bin/env bash
# Builds what the GPU check needs on a machine without a JDK or Maven, into OUTDIR (default .gpu,
# git-ignored):
#   lib/      pam-api, pam-cuda and pam-train jars with their runtime dependencies (no OpenCV)
#   test/     pam-cuda's compiled tests, the JUnit console launcher and AssertJ, so that the
#             GPU-only JUnit tests (which skip everywhere else) run on the GPU machine
#   jre/      a small jlink'd Java runtime
# Carry OUTDIR to the GPU machine and run scripts/gpu-check.sh there.
# Usage: scripts/prepare-gpu.sh [OUTDIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.gpu}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$root"

junit_console=1.14.1   # the JUnit platform release that goes with junit-jupiter 5.14.1 (parent pom)
assertj=3.27.6

echo "building pam-api, pam-cuda and pam-train ..."
rm -rf "$out"
mkdir -p "$out/lib" "$out/test"
mvn_q() { scripts/with-jdk mvn -B -q -Djavacpp.platform=linux-x86_64 "$@"; }
# -DskipTests still compiles the tests (the GPU machine runs pam-cuda's)
mvn_q -DskipTests -pl pam-cuda,pam-train -am package \
  dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.bytedeco,io.pam -DoutputDirectory="$out/lib"
cp pam-api/target/pam-api-*.jar pam-cuda/target/pam-cuda-*.jar pam-train/target/pam-train-*.jar "$out/lib/"
rm -f "$out"/lib/*-sources.jar "$out"/lib/*-tests.jar
if ls "$out"/lib | grep -qi opencv; then echo "error: OpenCV ended up in $out/lib" >&2; exit 1; fi
cp -r pam-cuda/target/test-classes "$out/test/classes"
mvn_q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_console -DoutputDirectory="$out/test"
mvn_q dependency:copy -Dartifact=org.assertj:assertj-core:$assertj -DoutputDirectory="$out/test"

# the JDK that with-jdk picks, for jdeps and jlink
jdk="$(scripts/with-jdk bash -c 'echo "$JAVA_HOME"')"
# Modules that the checks use. Left out on purpose, to stay below the 64 MiB a GPU call may carry:
# java.desktop (about 20 MiB; used by pam-api's image files, Matter and the training curves, which
# the checks do not touch) and Jackson's optional java.beans/java.sql uses. The JUnit launcher needs
# java.logging, jdk.unsupported and jdk.zipfs (to scan the jars for test classes; the dependency scan
# cannot see into its shaded jar reliably).
# Override with PAM_GPU_MODULES=mod1,mod2,... if a later check needs more.
mods="${PAM_GPU_MODULES:-$("$jdk/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
  "$out"/lib/pam-cuda-*.jar "$out"/lib/pam-train-*.jar | tr ',' '\n' | grep -v '^java.desktop$' | paste -sd, -)}"
mods="$mods,jdk.incubator.vector,java.logging,jdk.unsupported,jdk.zipfs"
echo "linking a runtime with: $mods"
"$jdk/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress zip-9 \
  --output "$out/jre" 2> >(grep -v 'incubator modules' >&2)
# the JVM library's symbol tables are a sixth of its size and nothing here needs them
if command -v strip >/dev/null 2>&1; then strip --strip-unneeded "$out/jre/lib/server/libjvm.so"; fi

# smoke tests of the linked runtime: both checks must start (here they may only report "unavailable"),
# and the training check runs its tiny parity and trainer steps on the reference backend
set +e
java="$out/jre/bin/java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector"
$java -cp "$out/lib/*" io.pam.cuda.tools.GpuCheck --quick > "$out/smoke.log" 2>&1
rc=$?
$java -cp "$out/lib/*" io.pam.train.TrainingCheck --backend reference --smoke > "$out/smoke-train.log" 2>&1
rc2=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then cat "$out/smoke.log" >&2; echo "error: the linked runtime cannot run GpuCheck (exit $rc)" >&2; exit 1; fi
if [ "$rc2" -ne 0 ]; then cat "$out/smoke-train.log" >&2; echo "error: the linked runtime cannot run TrainingCheck (exit $rc2)" >&2; exit 1; fi
echo "smoke test: $(grep RESULT "$out/smoke.log"); $(grep RESULT "$out/smoke-train.log")"
rm -f "$out/smoke.log" "$out/smoke-train.log"

size_kb=$(du -sk "$out" | cut -f1)
echo "ready: $out ($((size_kb / 1024)) MiB: $(ls "$out/lib" "$out/test" | tr '\n' ' '))"
if [ "$size_kb" -gt $((60 * 1024)) ]; then echo "error: $out is over 60 MiB" >&2; exit 1; fi
