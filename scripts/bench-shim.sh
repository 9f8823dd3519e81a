#!/usr/bin/env bash
# Shim benchmark, side by side in one run: `ctr run --rm` busybox `true` with runc and with jvmm, a bare
# QEMU boot of the same guest, each shim's `start` action, and the jvmm shim's RSS serving a running
# container. Runs jvmm under TCG here. Prints one RESULT line with ratios (targets: docs/benchmarks.md).
#   scripts/bench-shim.sh [runs]   (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/jdk.sh"
JAVA_HOME=$(find_jdk25)
# One reactor run, so sibling modules resolve to this build's jars; the e2e module writes its file last.
"$root/scripts/mvn" -q -B -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$root/e2e/target/test-classpath.txt"
cp="$root/e2e/target/test-classes:$root/e2e/target/classes:$(cat "$root/e2e/target/test-classpath.txt")"
cd "$root/e2e"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Djvmm.repo.root="$root" -Dlog4j2.level=warn -cp "$cp" \
  io.jvmm.e2e.containerd.ShimBench "${1:-3}"
