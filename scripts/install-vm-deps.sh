#!/usr/bin/env bash
# Installs what jvmm needs to run VMs on a fresh Debian bookworm machine. Idempotent.
#  - QEMU (qemu-system-x86) and bookworm's virtiofsd (/usr/lib/qemu/virtiofsd)
#  - vhost-device-vsock from Debian unstable, unpacked privately (it runs on bookworm)
#  - e2fsprogs: mkfs.ext4 makes the root disks of containers in template clones
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/debian.sh"
[[ $(id -u) -eq 0 ]] || { echo "run as root (apt-get and dpkg -x are used)" >&2; exit 1; }

apt_install qemu-system-x86 qemu-utils cpio squashfs-tools util-linux e2fsprogs

VSOCK_PREFIX=/var/cache/jvmm/vhost-device-vsock
if [[ ! -x $VSOCK_PREFIX/usr/bin/vhost-device-vsock ]]; then
  unstable_unpack "$VSOCK_PREFIX" vhost-device-vsock
fi
"$VSOCK_PREFIX/usr/bin/vhost-device-vsock" --version >/dev/null
echo "VM dependencies installed (vhost-device-vsock in $VSOCK_PREFIX/usr/bin)"
