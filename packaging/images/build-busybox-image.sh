#!/usr/bin/env bash
# Builds an OCI image archive of busybox from Debian's busybox-static package, offline and reproducibly,
# for `ctr images import`. Its name is localhost/jvmm/busybox:latest; the same archive also holds
# localhost/jvmm/pause:latest (the same layer, whose command sleeps forever), the pod sandbox image CRI
# needs without a registry. Prints the archive's path.
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

# Writes one blob from stdin and prints "<digest> <size>".
blob() {
  cat >"$work/blob"
  local digest size
  digest=$(sha256sum "$work/blob" | cut -d' ' -f1)
  size=$(stat -c %s "$work/blob")
  mv "$work/blob" "$blobs/$digest"
  echo "$digest $size"
}

# Writes an image (config with the given Cmd, the busybox layer) and prints its index entry.
image() {
  local name=$1 cmd=$2 config manifest
  config=$(printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$cmd" "$layer_digest" | blob)
  manifest=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "${config% *}" "${config#* }" "$layer_digest" "$layer_size" | blob)
  printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}' \
    "${manifest% *}" "${manifest#* }" "$name"
}

busybox=$(image localhost/jvmm/busybox:latest '["sh"]')
pause=$(image localhost/jvmm/pause:latest '["sleep","2147483647"]')
printf '{"schemaVersion":2,"manifests":[%s,%s]}' "$busybox" "$pause" >"$work/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
echo "$out"
