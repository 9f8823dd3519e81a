#!/usr/bin/env bash
# Measures what one jvmm pod costs its node beside its containers (host PSS of its shim and VM processes,
# and their CPU while the pod idles), through a private containerd's CRI, and prints the RuntimeClass
# overhead.podFixed that packaging/kubernetes/runtimeclass.yaml should carry for this machine's nodes.
#   scripts/runtimeclass-overhead.sh [runs]   (default 3)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib/e2e-main.sh"
run_e2e_main io.jvmm.e2e.cri.OverheadProbe "${1:-3}"
