"""The exercise table: what students write, where, and what it is worth.

One row per exercise, in the order a student meets them. Each names the
functions whose bodies are solution regions (``# BEGIN SOLUTION`` …
``# END SOLUTION`` in the reference) and the test module that grades it;
the handout, the student README and the grader all read this table, and
``tests/test_grading.py`` checks it against the markers, the docstrings
(each region's function says ``Exercise N:``) and the tests' points.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    ``functions`` are qualified names (``Class.method``) in ``file`` whose
    bodies are solution regions; ``points`` is the sum of the points of the
    tests in ``tests/exercises/<test_module>``. An ``integration`` exercise has
    no code of its own: its tests run the student's other pieces together, so
    a bug in any exercise may cost its points too (every other exercise is
    graded apart, with stand-ins).
    """

    number: int
    title: str
    file: str
    functions: tuple[str, ...]
    task: str
    points: int
    test_module: str
    integration: bool = False

    def __post_init__(self) -> None:
        if self.number < 1 or self.points < 1 or not (self.functions or self.integration):
            raise ValueError(f"exercise {self.number}: bad number, points or functions")
        if not self.test_module.startswith(f"test_ex{self.number}_"):
            raise ValueError(f"exercise {self.number}: test module must be test_ex{self.number}_*")

    @property
    def label(self) -> str:
        return f"Exercise {self.number}: {self.title}"


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        1,
        "Vocabulary",
        "lab/text/vocabulary.py",
        ("Vocabulary.build", "Vocabulary.encode", "Vocabulary.decode"),
        "Build a frequency-ranked vocabulary (specials first, then tokens by descending "
        "count, ties alphabetical, honouring `min_freq` and `max_size`) and map tokens to ids "
        "and back, with unknown tokens encoded as `<unk>`; specials in the stream are not counted.",
        7,
        "test_ex1_vocabulary.py",
    ),
    Exercise(
        2,
        "Batching for truncated BPTT",
        "lab/neural/batching.py",
        ("batchify", "get_batch"),
        "Cut one token stream into `batch_size` contiguous columns (dropping the ragged tail) "
        "and slice `bptt`-long input windows with targets shifted by one token.",
        5,
        "test_ex2_batching.py",
    ),
    Exercise(
        3,
        "The LSTM language model",
        "lab/neural/network.py",
        ("RNNLanguageModel.__init__", "RNNLanguageModel.forward", "RNNLanguageModel.init_hidden"),
        "Build the network (embedding, an LSTM/GRU/RNN as configured, a linear decoder, "
        "optionally tied to the embedding), its forward pass (embed, dropout, recurrent "
        "layers from the given state, dropout, logits) and its zero initial state.",
        10,
        "test_ex3_model.py",
    ),
    Exercise(
        4,
        "One training step",
        "lab/neural/training.py",
        ("next_token_loss", "train_step"),
        "One truncated-BPTT update: detach the carried state, clear old gradients, compute "
        "the mean cross-entropy of the next-token predictions (`next_token_loss`, the "
        "default `loss_fn`), backpropagate, clip the gradient norm and step the optimizer.",
        6,
        "test_ex4_train_step.py",
    ),
    Exercise(
        5,
        "The training loop",
        "lab/neural/epoch.py",
        ("train_epoch",),
        "One epoch of truncated BPTT: walk the batched stream window by window, carrying the "
        "state each step returns into the next window, and return the token-weighted loss; "
        "stop when the per-batch callback says so.",
        5,
        "test_ex5_training_loop.py",
    ),
    Exercise(
        6,
        "Greedy and temperature sampling",
        "lab/neural/decoding.py",
        ("apply_temperature", "next_token"),
        "Scale logits by 1/temperature, and choose the next token of every row: the arg-max "
        "for greedy decoding, else one seeded draw from the filtered softmax; banned ids "
        "(`<pad>`, `<unk>`) are never chosen; `top_k`/`top_p` cut through Exercise 7's filters.",
        5,
        "test_ex6_sampling.py",
    ),
    Exercise(
        7,
        "Top-k and top-p filtering (extension)",
        "lab/neural/decoding.py",
        ("top_k_filter", "top_p_filter"),
        "Cut each row of logits to exactly its `k` largest (ties to the lower id) or to the "
        "smallest nucleus whose probability reaches `p` (the most likely token always kept), "
        "setting the rest to -inf without modifying the input.",
        7,
        "test_ex7_filtering.py",
    ),
    Exercise(
        8,
        "Prompt priming and the decoding loop",
        "lab/neural/generation.py",
        ("generate_ids",),
        "Read the prompt once to prime the hidden state, then emit one token at a time, "
        "feeding back only the chosen token with the carried state, until `max_tokens` or "
        "every row has emitted the stop token.",
        6,
        "test_ex8_decoding_loop.py",
    ),
    Exercise(
        9,
        "Perplexity",
        "lab/models/scoring.py",
        ("perplexity",),
        "Token-weighted perplexity exp(total NLL / predicted tokens) from a total "
        "negative log-likelihood in nats; reject a count of zero tokens.",
        4,
        "test_ex9_perplexity.py",
    ),
    Exercise(
        10,
        "Distinct-n",
        "lab/evaluation/metrics.py",
        ("distinct_n",),
        "Count the unique n-grams across all samples and divide by the total number of "
        "generated tokens (Li et al. 2016) or, as a variant, by the number of n-grams.",
        4,
        "test_ex10_distinct.py",
    ),
    Exercise(
        11,
        "Detecting greedy cycles",
        "lab/evaluation/metrics.py",
        ("detect_loop",),
        "Find whether a sample ends in a repeating loop (the tail has period p and covers "
        "enough tokens), the smallest such period and where the loop starts: the repetition "
        "rate of Holtzman et al. 2020 that shows greedy decoding cycling.",
        6,
        "test_ex11_repetition.py",
    ),
    Exercise(
        12,
        "The Markov chain baseline",
        "baselines/markov.py",
        ("MarkovGenerator._fit_ids", "MarkovGenerator.followers"),
        "Count word transitions sentence by sentence (one markovify chain per state size) "
        "and sample the next word from the followers of the longest known state, backing "
        "off to shorter states and never emitting `<unk>` or `<pad>` (`followers`, which "
        "generation and the playground's next-token view read).",
        8,
        "test_ex12_markov.py",
    ),
    Exercise(
        13,
        "End to end",
        "",
        (),
        "Nothing new to write: your own pieces together on tiny data, as the notebook uses "
        "them (vocabulary with `<eos>`, one epoch of training, scoring, generation from a "
        "prompt that primes the state, a Markov chain past `<unk>`-only followers).",
        3,
        "test_ex13_end_to_end.py",
        integration=True,
    ),
)


def exercise(number: int) -> Exercise:
    """The exercise numbered ``number`` (``KeyError`` if there is none)."""
    for ex in EXERCISES:
        if ex.number == number:
            return ex
    raise KeyError(number)


def exercise_for_function(file: str, qualname: str) -> Exercise | None:
    """The exercise whose solution region is the body of ``qualname`` in ``file``."""
    for ex in EXERCISES:
        if ex.file == file and qualname in ex.functions:
            return ex
    return None


def total_points() -> int:
    return sum(ex.points for ex in EXERCISES)
