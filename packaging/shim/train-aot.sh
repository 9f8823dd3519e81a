#!/bin/sh
# Trains the shim's AOT caches through its launcher, at the paths they are used from: what start, delete
# and a serving shim load and link (ShimTraining), one cache each. Run by packaging/shim/install.sh and by
# the Debian package's postinst. A failed training leaves that cache out: the shim still works, only slower.
#   train-aot.sh LAUNCHER AOT_DIR
set -u
launcher=$1
aot=$2
mkdir -p "$aot"
status=0
for what in start delete serve; do
  cache=$aot/$([ "$what" = serve ] && echo shim || echo "$what").aot
  rm -f "$cache"
  if ! "$launcher" "aot-training-$what" >"$aot/training-$what.log" 2>&1; then
    echo "shim AOT training ($what) failed (the shim still works, only slower):" >&2
    cat "$aot/training-$what.log" >&2
    rm -f "$cache"
    status=1
  fi
  # The launcher's umask keeps what it makes to root; the caches hold only the JDK's and jvmm's classes,
  # and any user's `containerd-shim-jvmm-v2 -v` may map them.
  [ -f "$cache" ] && chmod 0644 "$cache"
done
exit $status
