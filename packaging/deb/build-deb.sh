#!/usr/bin/env bash
# Builds jvmm's Debian package from this checkout's build (`scripts/mvn -DskipTests package`): the shim on
# a JRE of its own (jlink'd from the build's JDK 25: Debian has no JDK 25 to depend on), the guest image,
# the default configuration (/etc/jvmm/config.json, a conffile), the monitor's systemd unit (shipped
# disabled), the containerd snippets and the RuntimeClass. Reproducible: the same build gives the same
# bytes (every time stamp is the last commit's, owners root, entries sorted). Prints the .deb's path.
#   build-deb.sh [--output DIR]        (default: target/deb under the checkout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib/jdk.sh"
source "$root/packaging/shim/lib.sh"

out=$root/target/deb
while [[ $# -gt 0 ]]; do
  case $1 in
    --output) out=$2; shift 2 ;;
    *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb missing" >&2; exit 1; }
jdk=$(find_jdk25)
shim_jar=$(jvmm_built_shim_jar "$root")
version=$(basename "$shim_jar" .jar)
version=${version#jvmm-shim-}
# Debian orders 0.1.0~snapshot before 0.1.0: a snapshot of a release sorts below the release.
deb_version=$(echo "$version" | sed 's/-SNAPSHOT$/~snapshot/; s/-/./g')
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || stat -c %Y "$root/pom.xml")}

initrd_dir=$(bash "$root/packaging/guest/build-initrd.sh" | tail -1)
runtime_disk=$(bash "$root/packaging/guest/build-runtime.sh" "$root/guest-agent/target" | tail -1)

mkdir -p "$out"
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

# The JRE: every module a jar of the shim's names (jdeps -summary: direct uses, not --print-module-deps'
# reduced set, which leans on java.sql requiring java.logging transitively), less two that only
# micrometer-core's unused binders name (java.desktop for java.beans, java.sql for DataSource metrics):
# some 20 MiB of AWT and JDBC.
lib=$stage/usr/lib/jvmm
mkdir -p "$lib"
modules=$("$jdk/bin/jdeps" --multi-release 25 --ignore-missing-deps -summary \
  --class-path "$(ls "$root"/shim/target/lib/*.jar | paste -sd:)" "$shim_jar" "$root"/shim/target/lib/*.jar 2>/dev/null \
  | awk '$2 == "->" && $3 ~ /^(java|jdk)\./ { print $3 }' | LC_ALL=C sort -u | grep -vx -e java.desktop -e java.sql \
  | paste -sd,)
[[ $modules == *java.base* ]] || { echo "build-deb.sh: jdeps named no modules: $modules" >&2; exit 1; }
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$lib/jre"

jvmm_lay_out_shim_lib "$root" "$lib/shim" /usr/lib/jvmm/shim
mkdir -p "$stage/usr/bin"
jvmm_write_launcher "$stage/usr/bin/containerd-shim-jvmm-v2" /usr/lib/jvmm/jre/bin/java /usr/lib/jvmm/shim \
  /var/lib/jvmm/aot /etc/jvmm/config.json

guest=/usr/lib/jvmm/guest
image_hash=${initrd_dir##*/initrd-}
mkdir -p "$stage$guest"
cp "$initrd_dir/vmlinuz" "$stage$guest/vmlinuz-$image_hash"
cp "$initrd_dir/initrd.img" "$stage$guest/initrd-$image_hash.img"
cp "$runtime_disk" "$stage$guest/$(basename "$runtime_disk")"

# The shipped configuration: KVM where it works, TCG otherwise; the sizes install.sh defaults to.
mkdir -p "$stage/etc/jvmm"
jvmm_write_config "$stage/etc/jvmm/config.json" "$guest/vmlinuz-$image_hash" "$guest/initrd-$image_hash.img" \
  "$guest/$(basename "$runtime_disk")" 1 512 auto /run/jvmm 120 false false jvmm-vmm

mkdir -p "$stage/usr/lib/systemd/system" "$stage/usr/share/jvmm/containerd" "$stage/usr/share/jvmm/kubernetes" \
  "$stage/usr/share/doc/jvmm"
cp "$here/jvmm-monitor.service" "$stage/usr/lib/systemd/system/"
cp "$root/packaging/kubernetes/containerd-2.x.toml" "$root/packaging/kubernetes/containerd-1.7.toml" \
  "$stage/usr/share/jvmm/containerd/"
cp "$root/packaging/kubernetes/runtimeclass.yaml" "$stage/usr/share/jvmm/kubernetes/"
cp "$here/README.Debian" "$stage/usr/share/doc/jvmm/"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: jvmm"
  echo
  echo "Files: *"
  echo "License: Apache-2.0"
  echo " On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0."
  echo
  echo "Files: usr/lib/jvmm/jre/*"
  echo "License: GPL-2.0 with Classpath exception"
  echo " The OpenJDK runtime's own legal notices are in usr/lib/jvmm/jre/legal."
} > "$stage/usr/share/doc/jvmm/copyright"

mkdir -p "$stage/DEBIAN"
cp "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
echo /etc/jvmm/config.json > "$stage/DEBIAN/conffiles"
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: jvmm
Version: $deb_version
Architecture: amd64
Maintainer: jvmm developers <jvmm@localhost>
Installed-Size: $installed_size
Depends: qemu-system-x86, passwd
Recommends: containerd | containerd.io
Section: admin
Priority: optional
Description: containerd runtime that runs every pod in its own virtual machine
 jvmm is a containerd shim v2 (runtime io.containerd.jvmm.v2, RuntimeClass handler jvmm) that boots one
 lightweight QEMU virtual machine per pod or container, with a guest agent reached over vsock.
 Includes the guest image, a Java runtime for the shim, containerd configuration snippets, the
 RuntimeClass and the jvmm-monitor service (Prometheus metrics of every shim, disabled by default).
CONTROL
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | LC_ALL=C sort | sed 's|^\./||' \
  | xargs -d '\n' md5sum) > "$stage/DEBIAN/md5sums"

# Reproducible: modes fixed (nothing group- or world-writable), every time stamp the commit's.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -perm /111 -exec chmod 0755 {} +
find "$stage" -type f ! -perm /111 -exec chmod 0644 {} +
find "$stage" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
deb=$out/jvmm_${deb_version}_amd64.deb
dpkg-deb --root-owner-group -Zgzip -z6 --build "$stage" "$deb.tmp" >/dev/null
mv "$deb.tmp" "$deb"
echo "$deb"
