#!/usr/bin/env bash
# The pam CLI end to end on a GPU machine (no JDK, no Maven there): info, matte (alpha, cutout,
# composite) and eval with --backend cuda and --untrained paper-network weights, on synthetic
# samples drawn there (no data files travel).
#   examples/gpu-cli-check.sh prepare   here: jars without OpenCV + a jlink'd runtime with
#                                       java.desktop (image I/O) in examples/target/gpu (~60 MiB)
#   examples/gpu-cli-check.sh run       there, from the repository root, carrying examples/target/gpu;
#                                       writes alphas, cutout, composite and eval/ under $OUT
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
gpu=examples/target/gpu

prepare() {
  set -e
  rm -rf "$gpu"
  mkdir -p "$gpu/lib"
  scripts/with-jdk mvn -B -q -DskipTests -Djavacpp.platform=linux-x86_64 -pl examples -am package \
    dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.bytedeco,io.pam -DoutputDirectory="$root/$gpu/lib"
  cp pam-api/target/pam-api-*.jar pam-cuda/target/pam-cuda-*.jar pam-train/target/pam-train-*.jar examples/target/pam-examples.jar "$gpu/lib/"
  rm -f "$gpu"/lib/*-sources.jar "$gpu"/lib/*-tests.jar
  jdk="$(scripts/with-jdk bash -c 'echo "$JAVA_HOME"')"
  "$jdk/bin/jlink" --add-modules java.base,java.desktop,java.logging,jdk.incubator.vector --strip-java-debug-attributes \
    --no-man-pages --no-header-files --compress zip-9 --output "$gpu/jre" 2> >(grep -v 'incubator modules' >&2)
  chmod -R u+w "$gpu/jre"
  find "$gpu/jre" -name '*.so' -exec strip --strip-unneeded {} \; # libjvm.so alone: 29 -> 24 MB
  bytes=$(du -sb "$gpu" | cut -f1)
  echo "ready: $gpu ($((bytes / 1048576)) MiB)"
  [ "$bytes" -lt $((62 * 1048576)) ] || { echo "error: over 62 MiB" >&2; exit 1; }
}

pam() {
  "$gpu/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m -Xmx24g \
    -cp "$gpu/lib/*" io.pam.examples.PamCli "$@" 2>&1 | grep -v 'incubator modules'
  return "${PIPESTATUS[0]}"
}

run() {
  : "${OUT:?set OUT to a folder for the results}"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  echo "== info"; pam info | tail -4
  in=/tmp/pam-cli-in; mkdir -p $in/images $in/trimaps $in/alphas
  cp examples/sample/sample.png $in/images/s07.png; cp examples/sample/trimap.png $in/trimaps/s07.png
  cp examples/sample/alpha.png $in/alphas/s07.png
  for s in 11 13; do
    pam sample --out /tmp/pam-s$s --seed $s --width 1024 --height 768
    for f in images:sample trimaps:trimap alphas:alpha; do cp /tmp/pam-s$s/${f#*:}.png $in/${f%%:*}/s$s.png; done
  done
  echo "== matte"
  pam matte --image $in/images --trimap $in/trimaps --out "$OUT/alpha" --backend cuda --untrained --flops moderate --report "$OUT/matte.json"; echo "rc=$?"
  pam matte --image $in/images/s11.png --trimap $in/trimaps/s11.png --out "$OUT/cutout.png" --backend cuda --untrained --cutout; echo "rc=$?"
  pam matte --image $in/images/s11.png --trimap $in/trimaps/s11.png --out "$OUT/composite.png" --backend cuda --untrained --background $in/images/s13.png; echo "rc=$?"
  echo "== eval"; pam eval --images $in/images --trimaps $in/trimaps --alphas $in/alphas --out "$OUT/eval" --backend cuda --untrained --contact 3; echo "rc=$?"
  echo "== budget below the cheapest path"; pam matte --image $in/images/s07.png --trimap $in/trimaps/s07.png --out "$OUT/x.png" --backend cuda --untrained --flops 50; echo "rc=$?"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
