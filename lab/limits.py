"""Every cap on what one request may ask of the machine, in one place.

A typo (``--num-layers 10000000``, ``--num-samples 1000 --max-tokens 20000``, a
``train.txt`` that is ``/dev/zero``) should cost one line, not an hour or all
the memory. Each cap has a default sized for a laptop lab and an environment
variable to raise it when you mean it; ``--help`` states them. The command
line and the playground check their numbers with the same functions (here and in
:mod:`lab.settings`), so the same mistake gets the same sentence wherever it is made.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lab.errors import OptionError


@dataclass(frozen=True)
class Cap:
    """One limit: its default and the environment variable that raises it."""

    name: str
    default: int
    env: str
    unit: str
    flag: str = ""  # a command-line flag that raises it for one call, if there is one


#: Bytes of one corpus file (or one part of a pre-split folder): Penn Treebank is 5 MB,
#: WikiText-103 about 540 MB.
CORPUS_BYTES = Cap("corpus file size", 1 << 30, "TEXTGEN_LAB_MAX_CORPUS_BYTES", "bytes")
#: Parameters of a network, estimated before it is built (a 200x2 word LSTM on
#: 10k words has ~4.4 million; memory for training is ~16 bytes per parameter).
PARAMETERS = Cap("network size", 300_000_000, "TEXTGEN_LAB_MAX_PARAMETERS", "parameters")
#: Tokens per sample, samples per request, and their product (the work of one request).
MAX_TOKENS = Cap("max_tokens", 20_000, "TEXTGEN_LAB_MAX_TOKENS", "tokens")
NUM_SAMPLES = Cap("num_samples", 1_000, "TEXTGEN_LAB_MAX_SAMPLES", "samples")
TOTAL_TOKENS = Cap(
    "num_samples x max_tokens",
    1_000_000,
    "TEXTGEN_LAB_MAX_TOTAL_TOKENS",
    "tokens",
    flag="--max-total-tokens",
)
#: Below this, ``exp(logit / T)`` overflows float32; use greedy decoding instead.
MIN_TEMPERATURE = 1e-3
#: Seeds torch and numpy both accept.
MAX_SEED = 2**63 - 1

_raised: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "lab_limits_raised", default=None
)


def limit(cap: Cap) -> int:
    """The cap in force: raised by :func:`raised`, else the environment's, else the default."""
    override = (_raised.get() or {}).get(cap.env)
    if override is not None:
        return override
    raw = os.environ.get(cap.env, "").strip()
    if not raw:
        return cap.default
    try:
        value = int(raw)
    except ValueError:
        raise OptionError(f"{cap.env} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise OptionError(f"{cap.env} must be >= 1, not {value}")
    return value


@contextlib.contextmanager
def raised(cap: Cap, value: int | None) -> Iterator[None]:
    """Raise ``cap`` to ``value`` for the code inside (a command-line flag); ``None``: unchanged."""
    if value is None:
        yield
        return
    token = _raised.set({**(_raised.get() or {}), cap.env: value})
    try:
        yield
    finally:
        _raised.reset(token)


def over(cap: Cap, value: int, what: str = "") -> OptionError:
    """The one sentence for a value over ``cap``."""
    how = f"pass {cap.flag} or set {cap.env}" if cap.flag else f"set {cap.env}"
    return OptionError(
        f"{what or cap.name} {value:,} is over the limit of {limit(cap):,} {cap.unit} "
        f"({how} to raise it)"
    )


def stated(*caps: Cap) -> str:
    """The caps as a sentence for ``--help``."""
    return "; ".join(f"{c.name} at most {c.default:,} {c.unit} (${c.env})" for c in caps)


def check_generation_args(max_tokens: int, num_samples: int) -> None:
    """Reject nonsensical or runaway generation lengths early, with one clear message.

    Every generator calls this before generating, and the CLI and the playground
    call it before loading a model, so the same mistake gets the same
    :class:`OptionError`. The product is capped too: 1,000 samples of 20,000
    tokens are each allowed but would run for most of an hour.
    """
    for name, value in (("max_tokens", max_tokens), ("num_samples", num_samples)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise OptionError(f"{name} must be a whole number, not {value!r}")
    if max_tokens < 0:
        raise OptionError(f"max_tokens must be >= 0, not {max_tokens}")
    if num_samples < 1:
        raise OptionError(f"num_samples must be >= 1, not {num_samples}")
    if max_tokens > limit(MAX_TOKENS):
        raise over(MAX_TOKENS, max_tokens)
    if num_samples > limit(NUM_SAMPLES):
        raise over(NUM_SAMPLES, num_samples)
    if max_tokens * num_samples > limit(TOTAL_TOKENS):
        raise over(TOTAL_TOKENS, max_tokens * num_samples, f"{num_samples:,} x {max_tokens:,} =")


def network_parameters(
    vocab_size: int, embedding_dim: int, hidden_dim: int, num_layers: int, *, tied: bool
) -> int:
    """An upper estimate of a recurrent network's parameters: embedding, the
    layers (an LSTM's four gates, the most of any cell) and the output layer."""
    first = 4 * hidden_dim * (embedding_dim + hidden_dim + 2)
    others = 4 * hidden_dim * (2 * hidden_dim + 2) * max(num_layers - 1, 0)
    output = 0 if tied else hidden_dim * vocab_size + vocab_size
    return vocab_size * embedding_dim + first + others + output


def check_network_size(
    vocab_size: int, embedding_dim: int, hidden_dim: int, num_layers: int, *, tied: bool
) -> None:
    """Refuse, before anything is allocated, a network over :data:`PARAMETERS`."""
    count = network_parameters(vocab_size, embedding_dim, hidden_dim, num_layers, tied=tied)
    if count > limit(PARAMETERS):
        raise OptionError(
            f"a network with embedding_dim {embedding_dim:,}, hidden_dim {hidden_dim:,}, "
            f"num_layers {num_layers:,} and {vocab_size:,} tokens has about {count:,} "
            f"parameters, over the limit of {limit(PARAMETERS):,} (set {PARAMETERS.env} to raise it)"
        )


@contextlib.contextmanager
def built_in_memory(what: str, device: object) -> Iterator[None]:
    """Building ``what`` on ``device``: running out of memory there (a ``MemoryError``, or
    torch's allocation error) becomes one :class:`OptionError` line, not a crash log."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        if not isinstance(exc, MemoryError) and not re.search("alloc|overflow", str(exc)):
            raise
        raise OptionError(f"{what} does not fit in the memory of {device or 'cpu'}") from None
