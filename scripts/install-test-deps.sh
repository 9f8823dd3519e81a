#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian bookworm machine. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/debian.sh"

[[ $(id -u) -eq 0 ]] || { echo "run as root (apt-get and dpkg -x are used)" >&2; exit 1; }

# Go toolchain and the Go libraries the reference ttrpc peer is built with (GOPATH mode, offline).
apt_install golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-google-genproto-dev \
  golang-github-sirupsen-logrus-dev golang-github-pkg-errors-dev golang-golang-x-sys-dev

# ttrpc 1.2.x (with streaming) and containerd/log exist only in Debian unstable: unpack them privately.
GO_PEER_PREFIX=/var/cache/jvmm/go-unstable
if [[ ! -d $GO_PEER_PREFIX/usr/share/gocode/src/github.com/containerd/ttrpc ]]; then
  unstable_unpack "$GO_PEER_PREFIX" golang-github-containerd-ttrpc-dev golang-github-containerd-log-dev
fi
# Prometheus and promtool (bookworm's), unpacked privately: the metrics test scrapes the monitor with a real
# Prometheus it starts itself; installing the package would start a system service.
PROMETHEUS_PREFIX=/var/cache/jvmm/prometheus
if [[ ! -x $PROMETHEUS_PREFIX/usr/bin/prometheus ]]; then
  work=$(mktemp -d)
  [[ -f $APT_UPDATED_MARK ]] || { apt-get update -qq && touch "$APT_UPDATED_MARK"; }
  (cd "$work" && apt-get download -qq prometheus >/dev/null)
  mkdir -p "$PROMETHEUS_PREFIX"
  dpkg -x "$work"/prometheus_*.deb "$PROMETHEUS_PREFIX"
  rm -rf "$work"
fi
# QEMU's user-mode emulator: runs the installed shim's JVM on an older CPU model (ShimPortabilityTest).
apt_install qemu-user
# QEMU, virtiofsd, vhost-device-vsock, squashfs-tools: the VM tests boot real guests.
bash "$here/install-vm-deps.sh"
# containerd 2.1 (private, from unstable) and runc: the real containerd the end-to-end tests drive.
bash "$here/install-containerd.sh"
echo "test dependencies installed (Go peer sources in $GO_PEER_PREFIX)"
