#!/usr/bin/env bash
# Installs the jvmm runtime for containerd: the guest image (built from Debian packages, cached, and
# installed under <prefix>/lib/jvmm/guest), the shim's jars, the containerd-shim-jvmm-v2 launcher on
# PATH and the runtime configuration. Expects `scripts/mvn package` to have built shim/ and guest-agent/.
# The configuration goes to <prefix>/etc/jvmm/config.json (/etc/jvmm/config.json for prefix /usr): the
# Debian package (packaging/deb) owns /etc/jvmm/config.json, and both may be on one host.
#   install.sh [--prefix /usr/local] [--config FILE] [--accel auto|kvm|tcg]
#              [--state-root /run/jvmm] [--vcpus N] [--memory-mib N] [--boot-timeout SECONDS] [--templates]
#              [--huge-pages]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib/jdk.sh"
source "$here/lib.sh"

prefix=/usr/local
config=''
accel=auto
state_root=/run/jvmm
vcpus=1
memory=512
boot_timeout=120
templates=false
huge_pages=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --prefix) prefix=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --accel) accel=$2; shift 2 ;;
    --state-root) state_root=$2; shift 2 ;;
    --vcpus) vcpus=$2; shift 2 ;;
    --memory-mib) memory=$2; shift 2 ;;
    --boot-timeout) boot_timeout=$2; shift 2 ;;
    --templates) templates=true; shift ;;
    --huge-pages) huge_pages=true; shift ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z $config ]]; then
  config=$([[ $prefix == /usr ]] && echo /etc/jvmm/config.json || echo "$prefix/etc/jvmm/config.json")
fi
case $accel in auto|kvm|tcg) ;; *) echo "install.sh: --accel must be auto, kvm or tcg" >&2; exit 2 ;; esac

jdk=$(find_jdk25)
jvmm_built_shim_jar "$root" >/dev/null

initrd_dir=$(bash "$root/packaging/guest/build-initrd.sh" | tail -1)
runtime_disk=$(bash "$root/packaging/guest/build-runtime.sh" "$root/guest-agent/target" | tail -1)

# The guest image is installed, not referred to in the cache it was built in: that cache keeps only the
# last few builds (and /var/cache may be emptied at any time). Hard links when the cache is on the same
# file system, copies otherwise; the files keep their content-hashed names and times, so a VM template
# made from one image is never taken for another's. Images of earlier installations are removed: a VM
# that runs one holds it open, and a template made from one is remade.
guest=$prefix/lib/jvmm/guest
image_hash=${initrd_dir##*/initrd-}
kernel=$guest/vmlinuz-$image_hash
initrd=$guest/initrd-$image_hash.img
runtime=$guest/$(basename "$runtime_disk")
install_image_file() {
  ln -f "$1" "$2" 2>/dev/null || cp -p "$1" "$2"
}
mkdir -p "$guest"
install_image_file "$initrd_dir/vmlinuz" "$kernel"
install_image_file "$initrd_dir/initrd.img" "$initrd"
install_image_file "$runtime_disk" "$runtime"
for file in "$guest"/*; do
  case $file in "$kernel"|"$initrd"|"$runtime") ;; *) rm -rf -- "$file" ;; esac
done

lib=$prefix/lib/jvmm/shim
rm -rf "$lib"
mkdir -p "$prefix/bin" "$(dirname "$config")"
jvmm_lay_out_shim_lib "$root" "$lib" "$lib"
launcher=$prefix/bin/containerd-shim-jvmm-v2
jvmm_write_launcher "$launcher" "$jdk/bin/java" "$lib" "$lib" "$config"

# The VMM's user and /dev/net/tun's mode (host-setup.sh, which the Debian package's postinst runs too).
vmm_user=jvmm-vmm
sh "$lib/host-setup.sh"

# Earlier versions of this script wrote /etc/jvmm/config.json for every prefix: that file, when it names
# this prefix's guest image and no package owns it, is removed (it is the package's path now).
old=/etc/jvmm/config.json
if [[ $config != "$old" && -f $old ]] && grep -q "\"kernel\": \"$guest/" "$old" \
  && ! dpkg-query -S "$old" >/dev/null 2>&1; then
  rm -f "$old"
  rmdir /etc/jvmm 2>/dev/null || true
fi
jvmm_write_config "$config" "$kernel" "$initrd" "$runtime" "$vcpus" "$memory" "$accel" "$state_root" \
  "$boot_timeout" "$templates" "$huge_pages" "$vmm_user"

# AOT training runs: what start, delete and a serving shim load and link, recorded once per installation.
sh "$lib/train-aot.sh" "$launcher" "$lib" || true

# VM templates saved from an image this installation removed can never be restored again: deleted now, not
# when the next template is made (under /run each holds its memory in RAM). Pinned ones and ones a VM
# maps are kept.
JVMM_CONFIG=$config "$launcher" templates prune >&2 || echo "install.sh: could not prune VM templates" >&2
echo "$launcher"
