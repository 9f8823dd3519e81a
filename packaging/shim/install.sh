#!/usr/bin/env bash
# Installs the jvmm runtime for containerd: the guest image (built from Debian packages, cached, and
# installed under <prefix>/lib/jvmm/guest), the shim's jars, the containerd-shim-jvmm-v2 launcher on
# PATH and the runtime configuration. Expects `scripts/mvn package` to have built shim/ and guest-agent/.
#   install.sh [--prefix /usr/local] [--config /etc/jvmm/config.json] [--accel auto|kvm|tcg]
#              [--state-root /run/jvmm] [--vcpus N] [--memory-mib N] [--boot-timeout SECONDS] [--templates]
#              [--huge-pages]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib/jdk.sh"

prefix=/usr/local
config=/etc/jvmm/config.json
accel=auto
state_root=/run/jvmm
vcpus=1
memory=512
boot_timeout=120
templates=false
huge_pages=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --prefix) prefix=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --accel) accel=$2; shift 2 ;;
    --state-root) state_root=$2; shift 2 ;;
    --vcpus) vcpus=$2; shift 2 ;;
    --memory-mib) memory=$2; shift 2 ;;
    --boot-timeout) boot_timeout=$2; shift 2 ;;
    --templates) templates=true; shift ;;
    --huge-pages) huge_pages=true; shift ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case $accel in auto|kvm|tcg) ;; *) echo "install.sh: --accel must be auto, kvm or tcg" >&2; exit 2 ;; esac

jdk=$(find_jdk25)
shim_jar=$(ls "$root"/shim/target/jvmm-shim-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -1 || true)
[[ -n $shim_jar && -d $root/shim/target/lib ]] || { echo "shim not built: run scripts/mvn -DskipTests package" >&2; exit 1; }

initrd_dir=$(bash "$root/packaging/guest/build-initrd.sh" | tail -1)
runtime_disk=$(bash "$root/packaging/guest/build-runtime.sh" "$root/guest-agent/target" | tail -1)

# The guest image is installed, not referred to in the cache it was built in: that cache keeps only the
# last few builds (and /var/cache may be emptied at any time). Hard links when the cache is on the same
# file system, copies otherwise; the files keep their content-hashed names and times, so a VM template
# made from one image is never taken for another's. Images of earlier installations are removed: a VM
# that runs one holds it open, and a template made from one is remade.
guest=$prefix/lib/jvmm/guest
image_hash=${initrd_dir##*/initrd-}
kernel=$guest/vmlinuz-$image_hash
initrd=$guest/initrd-$image_hash.img
runtime=$guest/$(basename "$runtime_disk")
install_image_file() {
  ln -f "$1" "$2" 2>/dev/null || cp -p "$1" "$2"
}
mkdir -p "$guest"
install_image_file "$initrd_dir/vmlinuz" "$kernel"
install_image_file "$initrd_dir/initrd.img" "$initrd"
install_image_file "$runtime_disk" "$runtime"
for file in "$guest"/*; do
  case $file in "$kernel"|"$initrd"|"$runtime") ;; *) rm -rf -- "$file" ;; esac
done

lib=$prefix/lib/jvmm/shim
rm -rf "$lib"
mkdir -p "$lib" "$prefix/bin" "$(dirname "$config")"
# The shim's runtime dependencies are exactly what it loads (its POMs declare only the Netty modules used).
cp "$shim_jar" "$root"/shim/target/lib/*.jar "$lib/"
install -m 0644 "$root/packaging/shim/delete-fast.sh" "$lib/delete-fast.sh"

# One JVM per pod: small heap, serial GC, and an AOT cache (JDK 25, trained below) keep its start quick
# and its memory low; glibc's heap is trimmed every 2 s (what start-up's compilations freed stays
# resident otherwise: about 6 MiB of an idle shim).
launcher=$prefix/bin/containerd-shim-jvmm-v2
# -Xlog:disable: the JVM's own warnings would otherwise reach stdout, which containerd parses after start.
# --sun-misc-unsafe-memory-access=allow: Netty allocates direct buffers through sun.misc.Unsafe, as the guest
# agent does; without it Netty 4.2 on JDK 24+ links malloc and free through FFM at start-up, which loads
# some 850 classes (method handles, the class-file API) into every shim: 2.5 MiB of its RSS.
# -XX:-AOTAdapterCaching -XX:-AOTStubCaching: the AOT caches keep classes, not machine code. JDK 25 runs
# cached code without checking the CPU's features, so a cache trained here crashed the shim (SIGSEGV/SIGILL)
# on a CPU with fewer (a machine image installed on one host and started on another); generating that
# code at start instead cost about 2 ms of `-v` (56 against 54 ms). ShimPortabilityTest runs the shim on an older CPU.
# -Dio.netty.allocator.type=unpooled: a shim's ttrpc traffic is a few small messages; Netty 4.2's adaptive
# pool reserves chunks per thread for them (bench-shim: RSS serving a container 68.9 -> 64.8 MiB, idle
# 63.1 -> 59.5 MiB; the first answer as quick). Container output passes through Netty only for VMs made
# from templates (the stream mux on their serial port), where a buffer per read is the cost.
jvm_opts="-Xlog:disable -Xlog:all=error:stderr -XX:TrimNativeHeapInterval=2000 -XX:+UseSerialGC -Xms4m -Xmx64m -XX:MaxMetaspaceSize=64m -Xss512k -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
  -XX:+UnlockDiagnosticVMOptions -XX:-AOTAdapterCaching -XX:-AOTStubCaching \
  -XX:-UsePerfData --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Dio.netty.allocator.type=unpooled"
# The AOT cache is only valid for the class path it was trained with: list it explicitly, in order. It goes
# to java in an argument file: on the command line it made the server's longer than a page, and then
# /proc/<pid>/cmdline readers (ps, ProcessHandle.info(), the tests' leftover checks) lose its arguments.
classpath=$(ls "$lib"/*.jar | LC_ALL=C sort | paste -sd:)
printf -- '-cp\n"%s"\n' "$classpath" > "$lib/classpath.args"
cat > "$launcher.tmp" <<LAUNCHER
#!/bin/sh
# containerd-shim-jvmm-v2, installed by jvmm's packaging/shim/install.sh
# What the shim and its VM's processes create is theirs alone (the server checks, without a system call).
umask 077
JVMM_SHIM_BINARY="\$0"
JVMM_CONFIG="\${JVMM_CONFIG:-$config}"
export JVMM_SHIM_BINARY JVMM_CONFIG
# containerd puts the action last: start and delete get small caches trained on them alone (mapping the
# server's large one would cost them more than it saves), the server (and -v) the server's.
for action do :; done
case \${action:-} in delete) . "$lib/delete-fast.sh" && jvmm_delete_fast "\$@" ;; esac
case \${action:-} in start) cache="$lib/start.aot" ;; delete) cache="$lib/delete.aot" ;; *) cache="$lib/shim.aot" ;; esac
aot=""
[ -f "\$cache" ] && aot="-XX:AOTCache=\$cache"
# JVMM_JAVA_OPTS: more JVM options for a look inside (scripts/bench-shim.sh counts classes with it).
exec "$jdk/bin/java" $jvm_opts \$aot \${JVMM_JAVA_OPTS:-} "@$lib/classpath.args" io.jvmm.shim.ShimMain "\$@"
LAUNCHER
chmod 0755 "$launcher.tmp"
mv "$launcher.tmp" "$launcher"

# QEMU and vhost-device-vsock run as this unprivileged system user (docs/security.md): it owns nothing but
# what the shim hands each VM. /dev/kvm is reached through the kvm group, which the shim adds at start.
vmm_user=jvmm-vmm
if ! getent passwd "$vmm_user" >/dev/null; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$vmm_user"
fi
# A pod's QEMU attaches to the tap the shim made for it (owned by that user) through /dev/net/tun, which
# Debian's udev rules make 0666; a host without udev (a container, a bare devtmpfs) leaves it 0600. Attaching
# to a tap still needs its ownership, and creating one CAP_NET_ADMIN, so 0666 opens nothing else.
if [[ -c /dev/net/tun && $(stat -c %a /dev/net/tun) != 666 ]]; then
  chmod 0666 /dev/net/tun
fi

cat > "$config.tmp" <<CONFIG
{
  "vmm": "qemu",
  "kernel": "$kernel",
  "initrd": "$initrd",
  "runtimeDisk": "$runtime",
  "vcpus": $vcpus,
  "memoryMib": $memory,
  "accel": "$accel",
  "stateRoot": "$state_root",
  "bootTimeoutSeconds": $boot_timeout,
  "templates": $templates,
  "hugePages": $huge_pages,
  "vmmUser": "$vmm_user"
}
CONFIG
mv "$config.tmp" "$config"

# AOT training runs: what start, delete and a serving shim load and link, recorded once per installation.
for what in start delete serve; do
  cache=$lib/$([[ $what == serve ]] && echo shim || echo "$what").aot
  JVMM_CONFIG=$config "$jdk/bin/java" $jvm_opts -XX:AOTCacheOutput="$cache" @"$lib/classpath.args" \
    io.jvmm.shim.ShimMain "aot-training-$what" >"$lib/aot-training-$what.log" 2>&1 \
    || { echo "shim AOT training ($what) failed (the shim still works, only slower):" >&2; cat "$lib/aot-training-$what.log" >&2; rm -f "$cache"; }
done

# VM templates saved from an image this installation removed can never be restored again: deleted now, not
# when the next template is made (under /run each holds its memory in RAM). Pinned ones and ones a VM
# maps are kept.
JVMM_CONFIG=$config "$launcher" templates prune >&2 || echo "install.sh: could not prune VM templates" >&2
echo "$launcher"
