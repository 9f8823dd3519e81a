# Runs a main class from the e2e module's test classes (the benchmarks) with this build's class path.
#   source scripts/lib/e2e-main.sh; run_e2e_main <class> [args...]
run_e2e_main() {
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  source "$root/scripts/lib/jdk.sh"
  local java_home; java_home=$(find_jdk25)
  # One reactor run, so sibling modules resolve to this build's jars; the e2e module writes its file last.
  "$root/scripts/mvn" -q -B -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$root/e2e/target/test-classpath.txt"
  local cp="$root/e2e/target/test-classes:$root/e2e/target/classes:$(cat "$root/e2e/target/test-classpath.txt")"
  (cd "$root/e2e" && "$java_home/bin/java" --enable-native-access=ALL-UNNAMED -Djvmm.repo.root="$root" \
    -Dlog4j2.level=warn -cp "$cp" "$@")
}
