#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs the whole suite
# (unit, property and fuzz tests, real QEMU guests, the jvmm shim under a real containerd 2.1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-test-deps.sh"
cd "$root"
exec "$root/scripts/mvn" -B verify "$@"
