#!/usr/bin/env bash
# Refresh docs/playground.png (the README's picture) from the browser test, which drives the
# playground on four tiny models in headless Chromium (apt-get install chromium chromium-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. scripts/env.sh
TEXTGEN_LAB_SCREENSHOT="$PWD/docs/playground.png" \
  python -m pytest -q -p no:cacheprovider tests/test_playground_browser.py -k watch_the_models
ls -l docs/playground.png
