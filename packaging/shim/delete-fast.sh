# Sourced by containerd-shim-jvmm-v2 (packaging/shim/install.sh) for containerd's `delete`, which containerd
# runs each time its connection to a shim closes, even after a clean Shutdown, and kills after 5 s. A JVM
# start takes 0.3 s of CPU; with ten TCG VMs starting on two cores that was more than 5 s, and containerd
# killed the delete (its warning, and for a shim that had died, its sandbox left behind). When the server
# that holds this bundle's sandbox still runs, it removes that sandbox itself: delete has nothing to do
# and answers at once, as the JVM's delete does then (exit status 137, now). Otherwise (the server gone,
# or no server named here: a container of a group) this returns and the JVM's delete does the work.
# POSIX sh: the launcher runs under /bin/sh.

# The octal escapes (\ooo, four characters a byte) of $1 as a protobuf varint.
jvmm_varint() {
  jvmm_n=$1
  while [ "$jvmm_n" -ge 128 ]; do
    printf '\\%03o' $(( (jvmm_n & 127) | 128 ))
    jvmm_n=$(( jvmm_n >> 7 ))
  done
  printf '\\%03o' "$jvmm_n"
}

# Answers and exits when the bundle's shim server still runs; returns 1 otherwise.
jvmm_delete_fast() {
  jvmm_id='' jvmm_ns='' jvmm_bundle=$PWD
  while [ $# -gt 1 ]; do
    case $1 in
      -id) jvmm_id=$2; shift ;;
      -namespace) jvmm_ns=$2; shift ;;
      -bundle) jvmm_bundle=$2; shift ;;
    esac
    shift
  done
  [ -n "$jvmm_id" ] && [ -n "$jvmm_ns" ] || return 1
  # The server's pid, which it writes into the bundle it was started in (not a group's other bundles).
  # (It ends without a newline, where read answers false having read it all.)
  jvmm_pid=''
  { read -r jvmm_pid || [ -n "$jvmm_pid" ]; } 2>/dev/null < "$jvmm_bundle/shim.pid" || return 1
  case $jvmm_pid in '' | *[!0-9]*) return 1 ;; esac
  # That pid is this bundle's server only if its arguments say so (a pid is reused once its process ends):
  # one argument a line, framed by newlines so that only whole arguments match.
  jvmm_args=$(tr '\0' '\n' 2>/dev/null < "/proc/$jvmm_pid/cmdline") || return 1
  jvmm_args="
$jvmm_args
"
  case $jvmm_args in *"
io.jvmm.shim.ShimMain
"*) ;; *) return 1 ;; esac
  case $jvmm_args in *"
-namespace
$jvmm_ns
"*) ;; *) return 1 ;; esac
  case $jvmm_args in *"
-id
$jvmm_id
"*) ;; *) return 1 ;; esac
  jvmm_now=$(date +%s) || return 1
  # DeleteResponse: exit_status (2) 137, exited_at (3) a Timestamp with its seconds (1).
  jvmm_ts="\\010$(jvmm_varint "$jvmm_now")"
  printf "\\020\\211\\001\\032$(printf '\\%03o' $(( ${#jvmm_ts} / 4 )))$jvmm_ts"
  echo "delete $jvmm_id: shim server $jvmm_pid still runs and removes its sandbox itself" >&2
  exit 0
}
