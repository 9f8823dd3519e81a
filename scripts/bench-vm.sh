#!/usr/bin/env bash
# VM start-up benchmark, side by side in one run: bare QEMU boot of the guest kernel+initrd to a console
# marker, jvmm's VM start to agent-ready, and to a container's exit status; plus the host RSS of QEMU
# and its helpers. Runs under TCG here. Prints one RESULT line with ratios.
#   scripts/bench-vm.sh [runs]   (default 3)
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
  io.jvmm.e2e.vm.BootBench "${1:-3}"
