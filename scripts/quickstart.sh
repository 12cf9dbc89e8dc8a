#!/usr/bin/env bash
# Install (if needed), train the word LSTM on Alice with the quick settings,
# and sample from it greedily and at two temperatures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
RUN=${RUN:-runs/alice-word}
textgen-lab train --model word-lstm --corpus alice --out "$RUN" --quiet
for t in 0.5 1.0; do
  echo "--- temperature $t"
  textgen-lab generate "$RUN" --prompt "Alice was" --max-tokens 40 --temperature "$t" --num-samples 2 --seed 1
done
echo "--- greedy"
textgen-lab generate "$RUN" --prompt "Alice was" --max-tokens 40 --greedy
