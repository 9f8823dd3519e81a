#!/usr/bin/env bash
# Installs the containerd that the end-to-end tests drive, without touching any system containerd:
# containerd 2.1 from Debian unstable unpacked into /var/cache/jvmm/containerd (it runs on bookworm),
# and runc from bookworm as the reference runtime. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/debian.sh"
[[ $(id -u) -eq 0 ]] || { echo "run as root (apt-get and dpkg -x are used)" >&2; exit 1; }
apt_install runc
PREFIX=/var/cache/jvmm/containerd
if [[ ! -x $PREFIX/usr/bin/containerd ]]; then
  unstable_unpack "$PREFIX" containerd
fi
"$PREFIX/usr/bin/containerd" --version
