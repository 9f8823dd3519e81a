#!/usr/bin/env bash
# Builds the guest's read-only runtime disk: a jlinked JRE and the agent's jars in an uncompressed,
# reproducible squashfs, mounted at /opt/jvmm in the guest. Cached by content hash; prints its path.
#   build-runtime.sh <guest-agent target dir> [cache-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/jdk.sh"
source "$here/../../scripts/lib/cache.sh"
target=${1:?usage: build-runtime.sh <guest-agent/target> [cache-dir]}
cache=${2:-/var/cache/jvmm/guest}
jdk=$(find_jdk25)
command -v mksquashfs >/dev/null || { echo "mksquashfs missing: run scripts/install-vm-deps.sh" >&2; exit 1; }

# The agent's jar and its runtime dependencies, which are exactly what it loads (no Netty: the agent
# serves on the plain ttrpc server; no log4j-core or JSON).
mapfile -t jars < <(ls "$target"/jvmm-guest-agent-*.jar "$target"/lib/*.jar | sort)
modules=java.base,java.logging,jdk.jfr,jdk.unsupported
hash=$( { "$jdk/bin/java" -version 2>&1; echo "$modules"; sha256sum "${jars[@]}" | cut -d' ' -f1; cat "$here/jvm.options" "$0"; } | sha256sum | cut -c1-16)
out=$cache/runtime-$hash.sqfs
if [[ -f $out ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/.runtime.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --generate-cds-archive --output "$work/root/jre" >/dev/null
mkdir -p "$work/root/agent/lib"
cp "${jars[@]}" "$work/root/agent/lib/"
cp "$here/jvm.options" "$work/root/agent/jvm.options"
# An explicit, sorted class path: the AOT cache is only used with the class path it was trained on.
(cd "$work/root/agent/lib" && ls -1 *.jar | LC_ALL=C sort) >"$work/root/agent/classpath"
# The squashfs stores every time as 0; the jars must look the same when training, or the JVM will
# consider them changed and ignore the cache.
find "$work/root" -exec touch -h -d @0 {} +

# AOT cache (JDK 25): a training run of the agent records the classes it loads and links, so the
# guest's JVM starts from them instead of loading and verifying everything under emulation. It runs on
# this host, whose CPU is not the guest's: jvm.options keeps generated code (adapters, stubs) out of the
# cache, because JDK 25 reuses it without checking the CPU's features (SIGILL on a guest CPU without
# AVX: VmLifecycleTest.aGuestOnAnOlderCpuModelThanTheBuildHostRunsContainers).
cp_host=$(sed "s|^|$work/root/agent/lib/|" "$work/root/agent/classpath" | paste -sd:)
port=$(( 40000 + RANDOM % 20000 ))
mapfile -t opts <"$here/jvm.options"
"$work/root/jre/bin/java" "${opts[@]}" -XX:AOTCacheOutput="$work/agent.aot" \
  -Djvmm.agent.training=true -Djvmm.agent.state="$work/state" -Djvmm.agent.port=$port -Djvmm.agent.stdioPort=$((port + 1)) \
  -cp "$cp_host" io.jvmm.guest.AgentMain >"$work/training.log" 2>&1 \
  || { echo "AOT training run failed:" >&2; cat "$work/training.log" >&2; exit 1; }
mv "$work/agent.aot" "$work/root/agent/agent.aot"
touch -h -d @0 "$work/root/agent/agent.aot"
mksquashfs "$work/root" "$work/runtime.sqfs" -noappend -all-root -noI -noId -noD -noF -noX \
  -mkfs-time 0 -all-time 0 -quiet >/dev/null
mv "$work/runtime.sqfs" "$out"
cache_prune "$cache" 'runtime-????????????????.sqfs' 4
echo "$out"
