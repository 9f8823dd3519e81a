#!/usr/bin/env bash
# Fresh machine to a container in a VM: installs QEMU and its helpers, containerd 2.1 and runc, builds
# jvmm, installs the runtime (guest image, shim launcher on PATH, /usr/local/etc/jvmm/config.json), then starts a
# containerd of its own (its own root, state and socket; any system containerd is left alone) and runs
#   ctr run --rm --runtime io.containerd.jvmm.v2 localhost/jvmm/busybox:latest hello echo ...
# KVM is used when it works on this host; otherwise the guest runs under TCG (slower, same result).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run as root: containerd, mounts and VMs need it" >&2; exit 1; }

echo "==> installing QEMU, virtiofsd, vhost-device-vsock, containerd 2.1, runc"
bash "$root/scripts/install-vm-deps.sh" >/dev/null
bash "$root/scripts/install-containerd.sh" >/dev/null
containerd_bin=/var/cache/jvmm/containerd/usr/bin

echo "==> building jvmm"
"$root/scripts/mvn" -q -B -DskipTests package

echo "==> installing the jvmm runtime (containerd-shim-jvmm-v2 on PATH, guest image, /usr/local/etc/jvmm/config.json)"
bash "$root/packaging/shim/install.sh" --prefix /usr/local --accel auto --vcpus 2 --memory-mib 1024
image=$(bash "$root/packaging/images/build-busybox-image.sh" | tail -1)

work=$(mktemp -d /tmp/jvmm-quickstart.XXXXXX)
cat >"$work/config.toml" <<TOML
version = 3
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
TOML
PATH=/usr/local/bin:$containerd_bin:$PATH "$containerd_bin/containerd" --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
containerd_pid=$!
ctr() { "$containerd_bin/ctr" -a "$work/containerd.sock" "$@"; }
cleanup() {
  ctr task kill -s SIGKILL hello >/dev/null 2>&1 || true
  ctr task delete hello >/dev/null 2>&1 || true
  ctr containers delete hello >/dev/null 2>&1 || true
  kill "$containerd_pid" 2>/dev/null || true
  wait "$containerd_pid" 2>/dev/null || true
  grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do [[ -S $work/containerd.sock ]] && break; sleep 0.1; done
ctr images import --local --snapshotter native "$image" >/dev/null

echo "==> ctr run --rm --runtime io.containerd.jvmm.v2 (the first run also probes KVM)"
ctr run --rm --snapshotter native --runtime io.containerd.jvmm.v2 localhost/jvmm/busybox:latest hello \
  sh -c 'echo "Hello from jvmm: a container in its own VM (kernel $(uname -r))"' </dev/null
