#!/usr/bin/env bash
# Density: as many idle busybox pods (1 vCPU, 512 MiB) as fit on this machine, restored from one template
# through containerd's CRI, each answering an exec at the end; beside it the cold cost per pod and the
# counts it and Kata's published overheads would allow. Prints one RESULT line (docs/benchmarks.md).
#   scripts/bench-density.sh [max pods]   (default 100)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.cri.DensityBench "${1:-100}"
