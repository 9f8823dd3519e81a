#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs the whole suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-test-deps.sh"
cd "$root"
exec "$root/scripts/mvn" -B verify "$@"
