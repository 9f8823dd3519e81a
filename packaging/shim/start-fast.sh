# Sourced by containerd-shim-jvmm-v2 (packaging/shim/install.sh) for containerd's `start`. A JVM's start
# alone (56 ms for `-v`) is 4-5 times runc's whole `start` (11-14 ms, docs/benchmarks.md), so the common
# case, a lone container (`ctr run`: no grouping annotation, no options on stdin, a containerd version
# already recorded), is answered here without one: the socket's name, the bundle's address file and the
# answer are worked out exactly as the JVM's start does (StartAction), and the socket is bound, made
# owner-only and handed to the server as its standard input as StartAction does, by perl's built-ins
# (perl-base is essential in Debian; no module is loaded). containerd dials the address once start returns
# and does not retry a missing name, so the socket must listen by then. Anything else, or anything this
# cannot decide for certain, returns 1 and the JVM's start does the work.
# POSIX sh: the launcher runs under /bin/sh.

# Binds and listens on $1 (AF_UNIX, non-blocking as Netty's accept loop needs it; mode 0600), moves the
# listener to descriptor 0 and execs the rest of the arguments. Exit status 3: nothing bound.
jvmm_bind_and_exec='
  my $path = shift @ARGV;
  socket(my $s, 1, 1 | 0x800, 0) or exit 3;
  bind($s, pack("S Z108", 1, $path)) or exit 3;
  unless (chmod(0600, $path) && listen($s, 128) && open(STDIN, "<&", $s) && fileno(STDIN) == 0) {
    unlink $path;
    exit 3;
  }
  close $s;
  exec { $ARGV[0] } @ARGV;
  unlink $path;
  exit 4;
'

# Whether $1 is certainly a valid containerd identifier ([A-Za-z0-9]+([._-][A-Za-z0-9]+)*, at most 76
# characters; the JVM checks the same with Identifiers).
jvmm_identifier() {
  case $1 in '' | *[!A-Za-z0-9._-]* | [._-]* | *[._-] | *[._-][._-]*) return 1 ;; esac
  [ ${#1} -le 76 ]
}

# Answers and exits for a lone container's start; returns 1 (nothing changed) when the JVM must decide.
jvmm_start_fast() {
  jvmm_self=$1
  shift
  jvmm_ns='' jvmm_id='' jvmm_address='' jvmm_binary='' jvmm_bundle=$PWD jvmm_debug=''
  while [ $# -gt 1 ]; do
    case $1 in
      -namespace) jvmm_ns=$2; shift ;;
      -id) jvmm_id=$2; shift ;;
      -address) jvmm_address=$2; shift ;;
      -publish-binary) jvmm_binary=$2; shift ;;
      -bundle) jvmm_bundle=$2; shift ;;
      -debug) jvmm_debug=-debug ;;
      *) return 1 ;;
    esac
    [ $# -gt 1 ] || return 1
    shift
  done
  [ "$1" = start ] || return 1
  jvmm_identifier "$jvmm_ns" && jvmm_identifier "$jvmm_id" || return 1
  # Options or bootstrap parameters on stdin (a pipe, not /dev/null) may name a configuration or a socket
  # directory: the JVM reads them.
  [ /dev/stdin -ef /dev/null ] || return 1
  # Path.of(address, namespace, id).normalize(), as the JVM hashes it, is the plain join only for a clean
  # absolute address.
  case $jvmm_address in /*) ;; *) return 1 ;; esac
  case $jvmm_address in *//* | */./* | */../* | */. | */.. | */) return 1 ;; esac
  # A grouping annotation (GroupAnnotations), or any JSON escape that could spell one, makes it a group's.
  if [ -e "$jvmm_bundle/config.json" ]; then
    grep -q -F -e io.containerd.jvmm.v2.group -e io.containerd.runc.v2.group -e io.kubernetes.cri.sandbox-id \
      -e '\u' "$jvmm_bundle/config.json" 2>/dev/null && return 1
    [ -r "$jvmm_bundle/config.json" ] || return 1
  fi
  jvmm_dir=/run/containerd/s
  # The answer's format by containerd's version, as recorded by the JVM's start (VersionCache).
  jvmm_stat=$(stat -L -c '%d|%i|%s|%.9Y' -- "$jvmm_binary" 2>/dev/null) || return 1
  jvmm_identity=$(printf '%s' "$jvmm_binary" | tr '\t\n' '  ')"|$jvmm_stat"
  jvmm_version=''
  while IFS= read -r jvmm_line; do
    if [ "${jvmm_line%	*}" = "$jvmm_identity" ]; then
      jvmm_version=${jvmm_line##*	}
      break
    fi
  done < "$jvmm_dir/jvmm-containerd-versions" 2>/dev/null
  case $jvmm_version in [0-9]*.[0-9]*) ;; *) return 1 ;; esac
  jvmm_hash=$(printf '%s' "$jvmm_address/$jvmm_ns/$jvmm_id" | sha256sum) || return 1
  jvmm_socket=$jvmm_dir/${jvmm_hash%% *}
  case ${jvmm_hash%% *} in *[!0-9a-f]*) return 1 ;; esac
  [ ${#jvmm_socket} -eq 82 ] || return 1
  # A socket already there (a live or a stale server) or a start lock: the JVM looks and decides.
  if [ -e "$jvmm_socket" ] || [ -L "$jvmm_socket" ] || [ -e "$jvmm_socket.lock" ]; then
    return 1
  fi
  jvmm_uri=unix://$jvmm_socket
  cd "$jvmm_bundle" || return 1
  # The server (this launcher again) runs detached: a session of its own (setsid -f returns at once), its
  # output discarded, its errors in the bundle, the listener on its standard input.
  JVMM_LISTENER_FD=0 JVMM_STARTED_BY=launcher perl -e "$jvmm_bind_and_exec" "$jvmm_socket" \
    setsid -f "$jvmm_self" -namespace "$jvmm_ns" -id "$jvmm_id" -address "$jvmm_address" \
    -publish-binary "$jvmm_binary" -socket "$jvmm_socket" $jvmm_debug > /dev/null 2> shim.err
  case $? in
    0) ;;
    3 | 126 | 127) return 1 ;; # nothing bound (someone else's socket appeared, or no perl): the JVM looks
    *)
      rm -f "$jvmm_socket"
      echo "setsid could not start the server: $(tail -c 2000 shim.err)" >&2
      exit 1
      ;;
  esac
  printf '%s' "$jvmm_uri" > address || exit 1
  case $jvmm_version in
    [2-9].* | [1-9][0-9]*.*) printf '{"version":3,"address":"%s","protocol":"ttrpc"}' "$jvmm_uri" ;;
    1.[7-9] | 1.[1-9][0-9]*) printf '{"version":2,"address":"%s","protocol":"ttrpc"}' "$jvmm_uri" ;;
    *) printf '%s' "$jvmm_uri" ;;
  esac
  exit 0
}
