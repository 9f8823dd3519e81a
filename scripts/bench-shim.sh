#!/usr/bin/env bash
# Shim benchmark, side by side in one run: `ctr run --rm` busybox `true` with runc and with jvmm, a bare
# QEMU boot of the same guest, each shim's `start` action, and the jvmm shim's RSS serving a running
# container. Runs jvmm under TCG here. Prints one RESULT line with ratios (targets: docs/benchmarks.md).
#   scripts/bench-shim.sh [runs]   (default 3)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.containerd.ShimBench "${1:-3}"
