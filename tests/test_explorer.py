"""The notebook's next-token explorer (lab.playground.explorer): the controls map to
sampling settings, the tables show each model's before/after probabilities, and a
sampled step extends every model's walk."""

from __future__ import annotations

import pytest

from baselines.markov import MarkovConfig, MarkovGenerator
from baselines.ngram import NGramConfig, NGramGenerator
from lab.models.config import VocabConfig
from lab.models.sampling import SamplingConfig
from lab.playground.explorer import render, settings


@pytest.fixture(scope="module")
def models(prose_text: str) -> dict[str, object]:
    vocab = VocabConfig(min_freq=1)
    ngram, markov = (
        NGramGenerator(NGramConfig(order=3), vocab),
        MarkovGenerator(MarkovConfig(), vocab),
    )
    ngram.fit(prose_text)
    markov.fit(prose_text)
    return {"n-gram": ngram, "Markov": markov}


def test_controls_map_to_sampling_settings() -> None:
    assert settings(True, 0.3, 5, 0.5) == SamplingConfig(greedy=True)
    assert settings(False, 0.7, 0, 1.0) == SamplingConfig(temperature=0.7)
    assert settings(False, 1.0, 3, 0.9) == SamplingConfig(temperature=1.0, top_k=3, top_p=0.9)


def test_tables_show_both_models_and_the_settings_change_the_after_column(models) -> None:
    walks = {name: ["The"] for name in models}
    cold = render(models, walks, settings(False, 0.2, 0, 1.0))  # type: ignore[arg-type]
    hot = render(models, walks, settings(False, 2.0, 0, 1.0))  # type: ignore[arg-type]
    greedy = render(models, walks, settings(True, 1.0, 0, 1.0))  # type: ignore[arg-type]
    assert "<b>n-gram</b>" in cold and "<b>Markov</b>" in cold
    assert cold != hot
    assert greedy.count("1 tokens can be drawn") == 2  # greedy keeps exactly one per model


def test_the_widget_samples_a_step_for_every_model(models) -> None:
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed (extra: notebook)")
    from lab.playground.explorer import explorer

    box = explorer(models, "The Queen")  # type: ignore[arg-type]
    view = box.children[-1]
    before = view.value
    step = box.children[3].children[0]
    step.click()
    assert view.value != before  # each walk grew by one drawn token
    temperature = box.children[1].children[1]
    shown = view.value
    temperature.value = 0.3
    assert view.value != shown
