#!/usr/bin/env bash
# Soak, through a private containerd 2.1: SERIAL `ctr run --rm` of busybox `true` with jvmm in a row, then
# BATCHES times BATCH_SIZE at once, RUNC in a row with runc beside them, then EXECS execs in one long-lived
# jvmm container; containerd's and the shim's open descriptors and memory sampled; a census of what is left
# at the end (processes, shim sockets, mounts, state, bundles, snapshots, cgroups, links). One RESULT line.
#   scripts/soak.sh [serial] [batches] [batch_size] [runc] [execs]   (default 200 10 10 50 200)
# Exits non-zero when a run failed or anything was left. Results: docs/reliability.md.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.containerd.Soak "$@"
