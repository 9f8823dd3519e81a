# The guest image caches (/var/cache/jvmm/guest) are content-addressed: every change of an input (the
# agent's jars, init, a package) adds an entry, a runtime disk is some 120 MiB, and none is ever replaced.
# So each build that adds one keeps the few built last and deletes the rest. Nothing installed refers to
# the cache (packaging/shim/install.sh links or copies the image it installs); a test run goes on using
# the entries it built at its start unless four newer builds of the same kind finish meanwhile.
#   source scripts/lib/cache.sh; cache_prune <dir> <glob> <keep>
# <glob> must not match a build in progress (those are named differently: hidden, or with a suffix).
cache_prune() {
  local dir=$1 glob=$2 keep=$3 entry
  [[ $keep =~ ^[1-9][0-9]*$ ]] || { echo "cache_prune: keep must be a positive number, not '$keep'" >&2; return 2; }
  local -a entries=()
  # Newest first by modification time: an entry is written once, when it is built.
  mapfile -t entries < <(cd "$dir" && shopt -s nullglob && files=($glob) && ((${#files[@]})) && ls -1dt -- "${files[@]}")
  for entry in "${entries[@]:keep}"; do
    rm -rf -- "${dir:?}/$entry"
  done
}
