#!/usr/bin/env bash
# VM start-up benchmark, side by side in one run: bare QEMU boot of the guest kernel+initrd to a console
# marker, jvmm's VM start to agent-ready, and to a container's exit status; plus the host RSS of QEMU
# and its helpers. Runs under TCG here. Prints one RESULT line with ratios.
#   scripts/bench-vm.sh [runs]   (default 3)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.vm.BootBench "${1:-3}"
