#!/usr/bin/env bash
# Install (if needed) and run the whole test suite: the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
python -m pytest -q "$@"
