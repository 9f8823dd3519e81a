#!/usr/bin/env bash
# Builds the guest kernel and initramfs from Debian packages only: the cloud kernel and its modules,
# busybox-static, crun and the libraries crun needs. Reproducible for a given set of package versions
# and cached by content hash. Prints the directory holding vmlinuz and initrd.img.
#   build-initrd.sh [cache-dir]     (default /var/cache/jvmm/guest)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib/debian.sh"
source "$here/../../scripts/lib/cache.sh"
cache=${1:-/var/cache/jvmm/guest}
mkdir -p "$cache/debs"

kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [[ -z $kernel_pkg ]]; then
  apt-get update -qq
  kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
packages=("$kernel_pkg" busybox-static crun libc6 libcap2 libseccomp2 libsystemd0 libyajl2 libgcrypt20 libgpg-error0
  liblz4-1 liblzma5 libzstd1)
versions=$(for p in "${packages[@]}"; do echo "$p=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')"; done)
hash=$( { echo "$versions"; cat "$here/init" "$here/modules" "$0"; } | sha256sum | cut -c1-16)
out=$cache/initrd-$hash
if [[ -f $out/initrd.img && -f $out/vmlinuz ]]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$cache/debs" && for pv in $versions; do
  p=${pv%%=*}; v=${pv#*=}
  ls "${p}_"*.deb >/dev/null 2>&1 || apt-get download -o APT::Sandbox::User=root "$p=$v" >/dev/null
done)
mkdir -p "$work/pkgs"
for pv in $versions; do
  p=${pv%%=*}
  dpkg -x "$(ls "$cache/debs/${p}_"*.deb | head -1)" "$work/pkgs"
done
kver=${kernel_pkg#linux-image-}
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc/jvmm,dev,proc,sys,tmp,run,opt,lib/modules}

# busybox and its applets
cp "$work/pkgs/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done

# crun and the shared libraries it loads
cp "$work/pkgs/usr/bin/crun" "$root/usr/bin/crun"
mkdir -p "$root/lib/x86_64-linux-gnu"
for dir in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
  [[ -d $work/pkgs/$dir ]] && find "$work/pkgs/$dir" -maxdepth 1 -name '*.so*' -exec cp -a {} "$root/lib/x86_64-linux-gnu/" \;
done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
mkdir -p "$root/usr/lib" && ln -s ../../lib/x86_64-linux-gnu "$root/usr/lib/x86_64-linux-gnu"

# kernel modules, flat, in load order
while read -r module; do
  ko=$(find "$work/pkgs/lib/modules/$kver" -name "$module.ko" | head -1)
  [[ -n $ko ]] || { echo "module $module not found in $kernel_pkg" >&2; exit 1; }
  cp "$ko" "$root/lib/modules/$module.ko"
done <"$here/modules"
cp "$here/modules" "$root/etc/jvmm/modules"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

# A reproducible cpio: fixed order, fixed times, numeric owners.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner 0:0 --reproducible --quiet) \
  | gzip -1 -n >"$work/initrd.img"
cp "$work/pkgs/boot/vmlinuz-$kver" "$work/vmlinuz"
echo "$versions" >"$work/packages.txt"
mkdir -p "$out.tmp" && mv "$work/initrd.img" "$work/vmlinuz" "$work/packages.txt" "$out.tmp/"
rm -rf "$out" && mv "$out.tmp" "$out"
cache_prune "$cache" 'initrd-????????????????' 4
echo "$out"
