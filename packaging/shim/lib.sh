#!/usr/bin/env bash
# What packaging/shim/install.sh and the Debian package's build (packaging/deb/build-deb.sh) lay out the
# same way: the shim's library directory, its launcher and the runtime configuration. Sourced.
jvmm_shim_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The built shim's jar (shim/target, from `scripts/mvn package`); fails when it was not built.
jvmm_built_shim_jar() {
  local root=$1 jar
  jar=$(ls "$root"/shim/target/jvmm-shim-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -1 || true)
  [[ -n $jar && -d $root/shim/target/lib ]] || { echo "shim not built: run scripts/mvn -DskipTests package" >&2; return 1; }
  echo "$jar"
}

# Fills DIR with the shim's jars, delete-fast.sh, start-fast.sh, train-aot.sh, host-setup.sh and classpath.args naming the jars where they
# will be used from, FINAL (DIR itself for an installation in place; the package's path for its staging).
#   jvmm_lay_out_shim_lib ROOT DIR FINAL
jvmm_lay_out_shim_lib() {
  local root=$1 dir=$2 final=$3 jar
  jar=$(jvmm_built_shim_jar "$root") || return 1
  mkdir -p "$dir"
  # The shim's runtime dependencies are exactly what it loads (its POMs declare only the Netty modules used).
  cp "$jar" "$root"/shim/target/lib/*.jar "$dir/"
  install -m 0644 "$jvmm_shim_dir/delete-fast.sh" "$dir/delete-fast.sh"
  install -m 0644 "$jvmm_shim_dir/start-fast.sh" "$dir/start-fast.sh"
  install -m 0755 "$jvmm_shim_dir/train-aot.sh" "$dir/train-aot.sh"
  install -m 0755 "$jvmm_shim_dir/host-setup.sh" "$dir/host-setup.sh"
  # The AOT cache is only valid for the class path it was trained with: listed explicitly, in order.
  local classpath
  classpath=$(cd "$dir" && ls ./*.jar | LC_ALL=C sort | sed "s|^\./|$final/|" | paste -sd:)
  printf -- '-cp\n"%s"\n' "$classpath" > "$dir/classpath.args"
}

# Writes the launcher to OUT: JAVA its java, LIB the shim's library directory, AOT where its caches are
# trained, CONFIG the configuration it names unless $JVMM_CONFIG does.
#   jvmm_write_launcher OUT JAVA LIB AOT CONFIG
jvmm_write_launcher() {
  local out=$1 java=$2 lib=$3 aot=$4 config=$5
  sed -e "s|@JAVA@|$java|g" -e "s|@LIB@|$lib|g" -e "s|@AOT@|$aot|g" -e "s|@CONFIG@|$config|g" \
    "$jvmm_shim_dir/containerd-shim-jvmm-v2.in" > "$out.tmp"
  if grep -q '@[A-Z]*@' "$out.tmp"; then
    echo "launcher template has a placeholder left: $(grep -o '@[A-Z]*@' "$out.tmp" | head -1)" >&2
    rm -f "$out.tmp"
    return 1
  fi
  chmod 0755 "$out.tmp"
  mv "$out.tmp" "$out"
}

# Writes the runtime configuration (docs/install.md has every key) to OUT.
#   jvmm_write_config OUT KERNEL INITRD RUNTIME_DISK VCPUS MEMORY_MIB ACCEL STATE_ROOT BOOT_TIMEOUT TEMPLATES HUGE_PAGES VMM_USER
jvmm_write_config() {
  cat > "$1.tmp" <<CONFIG
{
  "vmm": "qemu",
  "kernel": "$2",
  "initrd": "$3",
  "runtimeDisk": "$4",
  "vcpus": $5,
  "memoryMib": $6,
  "accel": "$7",
  "stateRoot": "$8",
  "bootTimeoutSeconds": $9,
  "templates": ${10},
  "hugePages": ${11},
  "vmmUser": "${12}"
}
CONFIG
  mv "$1.tmp" "$1"
}
