#!/usr/bin/env bash
# Fresh machine to a working jvmm: installs what is needed, builds, and shows it working.
# Today that is the ttrpc layer: an echo server and client talking ttrpc over a unix socket.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/jdk.sh"
JAVA_HOME=$(find_jdk25)

echo "==> building jvmm"
"$root/scripts/mvn" -q -B -DskipTests -pl ttrpc -am package

work=$(mktemp -d /tmp/jvmm-quickstart.XXXXXX)
sock=$work/echo.sock
cp="$root/ttrpc/target/classes:$root/ttrpc/target/lib/*"
java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dlog4j2.configurationFile="$root/config/log4j2.xml" -cp "$cp" io.jvmm.ttrpc.demo.EchoDemo)

"${java[@]}" server "$sock" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || { echo "echo server did not start" >&2; exit 1; }

echo "==> ttrpc call through $sock"
"${java[@]}" client "$sock" "hello from jvmm"
