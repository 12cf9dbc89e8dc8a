"""Property tests (hypothesis): arbitrary text, weights and run files never break the rules."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baselines.markov import MarkovGenerator
from lab.errors import LabError
from lab.models.checkpoint import load_generator
from lab.models.sampling import SamplingConfig, sampling_distribution
from lab.text.tokenizers import WordTokenizer

WORD_CHARS = re.compile(r"\w")
#: Training sets torch.set_flush_denormal(True) (process-wide), after which hypothesis
#: refuses to draw subnormal floats: the strategies leave them out.
#: The same examples on every run (CI must not be flaky) and no timing checks (the
#: machines are shared and slow under load).
STEADY = {
    "derandomize": True,
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}


@settings(max_examples=150, **STEADY)
@given(st.text(max_size=300))
def test_word_round_trip_never_crashes_and_keeps_every_word_character(text: str) -> None:
    tokenizer = WordTokenizer()
    back = tokenizer.detokenize(tokenizer.tokenize(text))
    assert WORD_CHARS.findall(back) == WORD_CHARS.findall(text)


@settings(max_examples=300, **STEADY)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_subnormal=False),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
    st.floats(min_value=0.05, max_value=5, allow_subnormal=False),
    st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
    st.one_of(st.none(), st.floats(min_value=1e-3, max_value=1.0, allow_subnormal=False)),
)
def test_sampling_filters_give_valid_distributions(weights, greedy, temperature, top_k, top_p):
    if sum(weights) <= 0:
        weights = [*weights[:-1], 1.0]
    sampling = SamplingConfig(greedy=greedy, temperature=temperature, top_k=top_k, top_p=top_p)
    probs = sampling_distribution(weights, sampling)
    assert math.isclose(sum(probs), 1.0, rel_tol=1e-9)
    assert all(p >= 0 for p in probs) and any(p > 0 for p in probs)
    assert all(p == 0 for p, w in zip(probs, weights, strict=True) if w == 0)  # never banned
    if top_k is not None and not greedy:
        assert sum(p > 0 for p in probs) <= top_k


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_subnormal=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def markov_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("props") / "markov"
    gen = MarkovGenerator.from_options({"min_freq": 1})
    gen.fit("The cat sat. The dog ran. The cat ran.", checkpoint_dir=run)
    return run


@settings(max_examples=60, **STEADY)
@given(
    section=st.sampled_from(["config", "tokenizer", "kind", "format_version", "model"]), value=JSON
)
def test_random_json_in_a_run_is_a_clear_error_or_a_working_model(markov_run: Path, section, value):
    config = markov_run / "config.json"
    model = markov_run / "model.json"
    original_config, original_model = config.read_text(), model.read_text()
    try:
        if section == "model":
            model.write_text(json.dumps(value))
        else:
            data = json.loads(original_config)
            data[section] = value
            config.write_text(json.dumps(data))
        try:
            gen = load_generator(markov_run)
        except LabError:
            return  # one clear line on the command line
        gen.generate("The", max_tokens=3)  # a model that loads must work
    finally:
        config.write_text(original_config)
        model.write_text(original_model)
