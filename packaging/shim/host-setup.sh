#!/bin/sh
# What the host needs before a shim runs, made by packaging/shim/install.sh and by the Debian package's
# postinst alike. Idempotent.
#   host-setup.sh [MARKER]   (MARKER: a file touched when this run made the VMM's user)
set -eu
# QEMU and vhost-device-vsock run as this unprivileged system user (docs/security.md): it owns nothing but
# what the shim hands each VM. /dev/kvm is reached through the kvm group, which the shim adds at start.
if ! getent passwd jvmm-vmm >/dev/null; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin jvmm-vmm
  if [ -n "${1:-}" ]; then
    mkdir -p "$(dirname "$1")"
    : > "$1"
  fi
fi
# A pod's QEMU attaches to the tap the shim made for it (owned by that user) through /dev/net/tun, which
# Debian's udev rules make 0666; a host without udev (a container, a bare devtmpfs) leaves it 0600. Attaching
# to a tap still needs its ownership, and creating one CAP_NET_ADMIN, so 0666 opens nothing else.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  chmod 0666 /dev/net/tun
fi
