#!/usr/bin/env bash
# Create .venv (if needed) and install textgen-lab with its test, notebook and playground extras.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip
# TORCH_REQUIREMENTS=/dev/null keeps an already installed (e.g. CUDA) torch.
python -m pip install --quiet -r "${TORCH_REQUIREMENTS:-requirements/ci.txt}"
python -m pip install --quiet -e ".[test,notebook,playground]"
