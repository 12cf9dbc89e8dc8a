#!/usr/bin/env bash
# The main job: install (if needed), then the quick comparison on Alice (trains the word LSTM,
# char LSTM, Markov and n-gram models, writes reports/alice/report.md), then sample the word
# LSTM it trained greedily and at two temperatures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
OUT=${OUT:-reports/alice}
textgen-lab compare --corpus alice --quick --out "$OUT"
RUN="$OUT/runs/word-lstm"
echo "--- greedy"
textgen-lab generate "$RUN" --prompt "Alice was" --max-tokens 40 --greedy
for t in 0.5 1.0; do
  echo "--- temperature $t"
  textgen-lab generate "$RUN" --prompt "Alice was" --max-tokens 40 --temperature "$t" --num-samples 2 --seed 1
done
echo "--- report: $OUT/report.md"
