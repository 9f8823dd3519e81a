#!/usr/bin/env bash
# Pod start benchmark, side by side in one run through containerd's CRI: a pod with one container with
# the runc handler and with jvmm's, and a bare QEMU boot of the same guest; plus the host memory of a jvmm
# pod's shim and VM. Runs jvmm under TCG here. Prints one RESULT line (targets: docs/benchmarks.md).
#   scripts/bench-pod.sh [runs]   (default 3)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.cri.PodBench "${1:-3}"
