#!/usr/bin/env bash
# Helpers for installing Debian packages. The mirror is always derived from the machine's own apt
# sources, never written into a file of this project.
set -euo pipefail

# Prints the URI of the first Debian (non-security) archive configured on this machine.
debian_mirror() {
  local uri=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  if [[ -z "$uri" ]]; then
    echo "cannot find a Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
    return 1
  fi
  echo "${uri%/}"
}

APT_UPDATED_MARK=/var/tmp/jvmm-apt-updated

# Installs bookworm packages that are missing; runs 'apt-get update' at most once a day.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ ! -f $APT_UPDATED_MARK ]] || [[ -n $(find "$APT_UPDATED_MARK" -mmin +1440) ]]; then
    apt-get update -qq && touch "$APT_UPDATED_MARK"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A private apt configuration that adds Debian unstable at the machine's own mirror. Packages are only
# downloaded and unpacked with dpkg -x into a private prefix: the system's package database is untouched.
UNSTABLE_APT_DIR=/var/cache/jvmm/apt-unstable

unstable_apt() {
  local dir=$UNSTABLE_APT_DIR
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc/preferences.d"
  if [[ ! -f $dir/etc/sources.list ]]; then
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) unstable main" \
      >"$dir/etc/sources.list"
  fi
  apt-get -qq \
    -o Dir::Etc::sourcelist="$dir/etc/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::Etc::preferencesparts="$dir/etc/preferences.d" \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache::Archives="$dir/archives" \
    -o Dir::State::status=/dev/null -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root "$@"
}

# Downloads packages from unstable and unpacks them into PREFIX (first argument).
unstable_unpack() {
  local prefix=$1; shift
  local dir=$UNSTABLE_APT_DIR
  if [[ ! -d $dir/lists ]] || [[ -z $(ls "$dir/lists" 2>/dev/null | grep -v partial) ]] \
     || [[ -n $(find "$dir/lists" -maxdepth 0 -mmin +1440) ]]; then
    unstable_apt update
  fi
  mkdir -p "$prefix" "$dir/debs"
  for pkg in "$@"; do
    local deb
    deb=$(ls "$dir/debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)
    if [[ -z $deb ]]; then
      (cd "$dir/debs" && unstable_apt download "$pkg" >/dev/null)
      deb=$(ls "$dir/debs/${pkg}_"*.deb | head -1)
    fi
    dpkg -x "$deb" "$prefix"
  done
}
