#!/usr/bin/env bash
# Installs the containerd that the end-to-end tests drive, without touching any system containerd:
# containerd 2.1 from Debian unstable unpacked into /var/cache/jvmm/containerd (it runs on bookworm),
# runc from bookworm as the reference runtime, and bookworm's containerd 1.6 (also private) as the old
# peer; the CNI plugins (bookworm's containernetworking-plugins, /usr/lib/cni) containerd's CRI runs for
# pods. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/debian.sh"
[[ $(id -u) -eq 0 ]] || { echo "run as root (apt-get and dpkg -x are used)" >&2; exit 1; }
apt_install runc containernetworking-plugins
PREFIX=/var/cache/jvmm/containerd
if [[ ! -x $PREFIX/usr/bin/containerd ]]; then
  unstable_unpack "$PREFIX" containerd
fi
# containerd 1.6 from bookworm, the old-version peer the same shim must also serve: unpacked privately
# too, so installing it never starts or replaces a system containerd.
OLD_PREFIX=/var/cache/jvmm/containerd-1.6
if [[ ! -x $OLD_PREFIX/usr/bin/containerd ]]; then
  work=$(mktemp -d)
  (cd "$work" && { apt-get download -qq containerd 2>/dev/null || { apt-get update -qq && apt-get download -qq containerd; }; })
  mkdir -p "$OLD_PREFIX"
  dpkg -x "$work"/containerd_*.deb "$OLD_PREFIX"
  rm -rf "$work"
fi
"$PREFIX/usr/bin/containerd" --version
"$OLD_PREFIX/usr/bin/containerd" --version
