#!/usr/bin/env bash
# Template start against cold boot, side by side in one run: a guest booted to its agent (time, host PSS),
# saved, then clones restored from it to agent-ready, all kept running (time each, mean PSS per clone).
# Runs under TCG here. Prints one RESULT line with ratios.
#   scripts/bench-snapshot.sh [clones]   (default 5)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.vm.SnapshotBench "${1:-5}"
