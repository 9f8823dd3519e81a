#!/usr/bin/env bash
# Builds the Go ttrpc reference peer (ttrpc/src/test/go/ttrpcpeer) offline, in GOPATH mode, against
# Debian's Go packages. Prints the binary's path. Rebuilds only when the sources change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/ttrpc/target/go}
src=$root/ttrpc/src/test/go/ttrpcpeer
unstable=/var/cache/jvmm/go-unstable/usr/share/gocode
if [[ ! -d $unstable/src/github.com/containerd/ttrpc ]]; then
  echo "Go ttrpc sources missing: run scripts/install-test-deps.sh first" >&2
  exit 1
fi
command -v go >/dev/null || { echo "go not installed: run scripts/install-test-deps.sh first" >&2; exit 1; }
hash=$(cat "$src"/*.go | sha256sum | cut -c1-16)
bin=$out/ttrpcpeer-$hash
if [[ ! -x $bin ]]; then
  mkdir -p "$out/gopath/src" "$out/cache"
  rm -rf "$out/gopath/src/ttrpcpeer"
  cp -r "$src" "$out/gopath/src/ttrpcpeer"
  (cd "$out/gopath/src/ttrpcpeer" && \
    GOPATH=$out/gopath:$unstable:/usr/share/gocode GO111MODULE=off GOCACHE=$out/cache \
    GOPROXY=off go build -o "$bin.tmp" . ) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
