#!/usr/bin/env bash
# ttrpc benchmark, side by side in one run: Java and Go servers, each driven by Java and Go clients,
# for unary echo latency (1 and 64 callers) and throughput (1 KiB and 1 MiB payloads); then JMH
# microbenchmarks of the codec and an in-process round trip. Prints a table with Java/Go ratios
# and writes it under bench-results/.
#   scripts/bench-ttrpc.sh [seconds-per-run]   (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/jdk.sh"
JAVA_HOME=$(find_jdk25)
secs=${1:-5}

"$root/scripts/mvn" -q -B -DskipTests -pl ttrpc -am package
"$root/scripts/mvn" -q -B -pl ttrpc dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$root/ttrpc/target/test-classpath.txt"
gopeer=$("$root/scripts/build-go-peer.sh")
cp="$root/ttrpc/target/test-classes:$root/ttrpc/target/classes:$(cat "$root/ttrpc/target/test-classpath.txt")"
java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Dlog4j2.level=warn -cp "$cp")

work=$(mktemp -d /tmp/jvmm-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"${java[@]}" io.jvmm.ttrpc.bench.EchoBenchServer "$work/java.sock" >"$work/java-server.log" 2>&1 &
pids+=($!)
# The same server with Echo declared non-blocking (Dispatch.EVENT_LOOP): no thread hand-off per call.
"${java[@]}" -Djvmm.bench.nonBlockingEcho=true io.jvmm.ttrpc.bench.EchoBenchServer "$work/java-nb.sock" \
  >"$work/java-nb-server.log" 2>&1 &
pids+=($!)
"$gopeer" server "$work/go.sock" >"$work/go-server.log" 2>&1 &
pids+=($!)
for s in java java-nb go; do
  for _ in $(seq 100); do [[ -S $work/$s.sock ]] && break; sleep 0.1; done
  [[ -S $work/$s.sock ]] || { echo "$s server did not start" >&2; exit 1; }
done

run() { # client server callers size -> RESULT line
  local client=$1 server=$2 callers=$3 size=$4
  if [[ $client == go ]]; then
    "$gopeer" bench "$work/$server.sock" "$callers" "$size" "$secs"
  else
    "${java[@]}" io.jvmm.ttrpc.bench.EchoLoad "$work/$server.sock" "$callers" "$size" "$secs"
  fi | grep '^RESULT'
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Warm both servers up the same way (the JVM's JIT needs it; Go's server gets the same treatment).
for server in go java java-nb; do
  "$gopeer" bench "$work/$server.sock" 16 1024 5 >/dev/null
  "$gopeer" bench "$work/$server.sock" 1 64 3 >/dev/null
done

out=$root/bench-results/ttrpc-$(date -u +%Y%m%dT%H%M%SZ).md
mkdir -p "$root/bench-results"
{
  echo "ttrpc echo, ${secs}s per run, $(nproc) cores, $(uname -r), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1), $(go version | cut -d' ' -f3)"
  echo
  echo "| workload | client | server | calls/s | MiB/s | p50 µs | p99 µs |"
  echo "|---|---|---|---:|---:|---:|---:|"
} | tee "$out"
declare -A R
for w in "lat1:1:64" "lat64:64:64" "thr1k:16:1024" "thr1m:4:1048576"; do
  IFS=: read -r name callers size <<<"$w"
  for client in go java; do
    for server in go java java-nb; do
      line=$(run "$client" "$server" "$callers" "$size")
      R[$name.$client.$server]=$line
      printf '| %s (%s callers, %s B) | %s | %s | %s | %s | %s | %s |\n' "$name" "$callers" "$size" "$client" "$server" \
        "$(field calls_per_s "$line")" "$(field mib_per_s "$line")" "$(field p50_us "$line")" "$(field p99_us "$line")" | tee -a "$out"
    done
  done
done
{
  echo
  echo "Java server / Go server, same client (throughput: >= 1.00 meets the target; p99: <= 1.50 meets it)."
  echo "java = Echo on handler threads (the default); java-nb = Echo declared non-blocking (runs on the I/O thread)."
  echo
  echo "| workload | client | java throughput | java p99 | java-nb throughput | java-nb p99 |"
  echo "|---|---|---:|---:|---:|---:|"
  for name in lat1 lat64 thr1k thr1m; do
    for client in go java; do
      g=${R[$name.$client.go]}; j=${R[$name.$client.java]}; n=${R[$name.$client.java-nb]}
      echo "| $name | $client | $(ratio "$(field calls_per_s "$j")" "$(field calls_per_s "$g")") | $(ratio "$(field p99_us "$j")" "$(field p99_us "$g")") | $(ratio "$(field calls_per_s "$n")" "$(field calls_per_s "$g")") | $(ratio "$(field p99_us "$n")" "$(field p99_us "$g")") |"
    done
  done
} | tee -a "$out"

echo | tee -a "$out"
echo "JMH (1 fork, 2x1s warm-up, 3x2s measurement):" | tee -a "$out"
"${java[@]}" org.openjdk.jmh.Main -f 1 -wi 2 -w 1s -i 3 -r 2s 'io.jvmm.ttrpc.bench.*' 2>/dev/null \
  | sed -n '/^Benchmark/,$p' | tee -a "$out"
echo "results written to $out"
