#!/usr/bin/env bash
# Builds an OCI image archive of busybox from Debian's busybox-static package, offline and reproducibly,
# for `ctr images import`. Its name is localhost/jvmm/busybox:latest. Prints the archive's path.
#   build-busybox-image.sh [cache-dir]    (default /var/cache/jvmm/images)
set -euo pipefail
cache=${1:-/var/cache/jvmm/images}
mkdir -p "$cache/debs"
version=$(apt-cache policy busybox-static | awk '/Candidate:/ { print $2 }')
[[ -n $version && $version != "(none)" ]] || { apt-get update -qq; version=$(apt-cache policy busybox-static | awk '/Candidate:/ { print $2 }'); }
hash=$( { echo "$version"; cat "$0"; } | sha256sum | cut -c1-16)
out=$cache/busybox-$hash.oci.tar
if [[ -f $out ]]; then
  echo "$out"
  exit 0
fi
(cd "$cache/debs" && { ls busybox-static_*.deb >/dev/null 2>&1 || apt-get download -o APT::Sandbox::User=root busybox-static >/dev/null; })
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg -x "$(ls "$cache"/debs/busybox-static_*.deb | head -1)" "$work/pkg"
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/root"
cp "$work/pkg/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"

blobs=$work/oci/blobs/sha256
mkdir -p "$blobs"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
layer_digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar")
mv "$work/layer.tar" "$blobs/$layer_digest"

printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$layer_digest" >"$work/config.json"
config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$blobs/$config_digest"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
manifest_digest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$blobs/$manifest_digest"

printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"localhost/jvmm/busybox:latest","org.opencontainers.image.ref.name":"latest"}}]}' \
  "$manifest_digest" "$manifest_size" >"$work/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
echo "$out"
