"""The recurrent generators: one :class:`~lab.neural.network.RNNLanguageModel` with its
tokenizer and vocabulary, on :class:`~lab.models.base.GeneratorBase`.

The word and character LSTMs are the same class with different registry
defaults (unit, sizes, batch shape). :class:`NetworkGenerator` is everything
but the network, so another network on this package's loops (the transformer
of :mod:`lab.transformer`) is a small subclass. A run directory holds ``config.json``,
``vocab.json``, ``weights.safetensors`` (best epoch) and, while training,
``trainer_state.pt`` (tensors and numbers only, read back with
``torch.load(weights_only=True)``) for ``--resume``.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import torch
from safetensors.torch import load_model, save_model

from lab.cpu_share import configure_cpu_threads
from lab.errors import CheckpointError, CorpusError
from lab.models.base import GeneratorBase
from lab.models.checkpoint import restore_generator, save_generator
from lab.models.config import VocabConfig
from lab.models.protocol import FitRequest, FitResult, GenerationRequest, Sample
from lab.models.scoring import ScoreResult
from lab.neural.config import NeuralConfig, TrainConfig, process_context, resolve_device
from lab.neural.epoch import evaluate_nll, token_nlls
from lab.neural.generation import decode_requests, next_token_weights
from lab.neural.network import LanguageModel, build_model, count_parameters, saved_cutoffs
from lab.neural.training import LossFn, TrainerState, train_model
from lab.storage.files import write_with_atomic

__all__ = ["CharLSTMGenerator", "NetworkGenerator", "RNNGenerator", "WordLSTMGenerator"]

WEIGHTS_FILE = "weights.safetensors"
TRAINER_FILE = "trainer_state.pt"


class TrainedConfig(Protocol):
    """A network kind's configuration: a ``train`` section (and its network's shape)."""

    @property
    def train(self) -> TrainConfig: ...


C = TypeVar("C", bound=TrainedConfig)
N = TypeVar("N", bound="NetworkGenerator[Any]")


class NetworkGenerator(GeneratorBase[C]):
    """A network of this package's loops with its tokenizer and vocabulary: trained,
    scored, sampled, saved and resumed the same way whatever the network; a kind
    supplies :meth:`_new_model` (and, if it trains differently, :meth:`_training_loss`)."""

    state_files: ClassVar[tuple[str, ...]] = (WEIGHTS_FILE,)
    carried_files: ClassVar[tuple[str, ...]] = (TRAINER_FILE,)

    def __init__(self, config: C | None = None, vocab_config: VocabConfig | None = None) -> None:
        super().__init__(config, vocab_config)
        self.model: LanguageModel | None = None
        self.device = resolve_device(self.config.train.device)

    def _model(self) -> LanguageModel:
        return self._fitted(self.model)

    def _new_model(self, cutoffs: list[int] | None = None) -> LanguageModel:
        """A fresh network of this configuration on this generator's device (``cutoffs``:
        an adaptive output layer's, read back from saved weights)."""
        raise NotImplementedError

    def _training_loss(self) -> LossFn | None:
        """:func:`~lab.neural.training.train_step`'s loss hook (``None``: the model's own)."""
        return None

    def _upgrade_config(self, manifest: dict[str, Any]) -> None:
        """Adapt the configuration of a run saved by an older version (before loading)."""

    def encode(self, text: str) -> list[int]:
        """``<eos>`` (the start context) followed by the ids of ``text``'s tokens."""
        return [self.vocab.eos_id, *self.vocab.encode(self.tokenizer.tokenize(text))]

    # -- training ---------------------------------------------------------------
    def _fit(self, request: FitRequest) -> FitResult:
        """Train on the training text, selecting the epoch by validation perplexity;
        with a checkpoint directory the best weights are saved there whenever
        validation improves, and ``resume`` continues the run saved there."""
        cfg = self.config.train
        threads = configure_cpu_threads(cfg.num_threads).threads
        checkpoint_dir = request.checkpoint_dir
        state = None
        if request.resume and checkpoint_dir is not None:
            state = self._load_for_resume(Path(checkpoint_dir))
            train_ids = self.encode(request.train_text)
        else:
            tokens = self.tokenizer.tokenize(request.train_text)  # once: vocabulary and ids
            self._adopt_vocab(tokens, request.vocab)
            train_ids = [self.vocab.eos_id, *self.vocab.encode(tokens)]
        valid_text = request.valid_text
        valid_ids = self.encode(valid_text) if valid_text else None
        streams = cfg.batch_size * process_context().world_size
        if len(train_ids) < 2 * streams:  # batchify needs two rows: checked here, in words
            raise CorpusError(
                f"the training text has {len(train_ids):,} tokens, too few for {streams} "
                f"parallel streams (--batch-size {cfg.batch_size}); use a smaller --batch-size "
                "or a longer text"
            )
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        ctx = process_context()
        # One writer under torchrun: rank 0.
        run_dir = Path(checkpoint_dir) if checkpoint_dir is not None and ctx.is_main else None

        # Whether run_dir holds this run yet (and not an old one that --force replaces).
        published = request.resume

        def save_epoch(st: TrainerState, improved: bool) -> None:
            """One checkpoint, the run and its trainer state published together; an epoch
            that did not improve links the best weights and ``config.json`` unchanged."""
            nonlocal published
            if run_dir is None:
                return
            payload = st.to_dict() | {"last_weights": self._model().state_dict()}
            trainer = {TRAINER_FILE: lambda p: torch.save(payload, p)}
            save_generator(self, run_dir, rewrite=improved or not published, extra=trainer)
            published = True

        with torch.random.fork_rng(devices=devices):
            # Each process draws its own dropout noise; DDP copies rank 0's initial weights.
            torch.manual_seed(cfg.seed + ctx.rank)
            if state is None:
                self.model = self._new_model()
            outcome = train_model(
                self._model(),
                train_ids,
                valid_ids,
                cfg,
                device=self.device,
                state=state,
                progress=request.progress and ctx.is_main,
                on_epoch_end=save_epoch,
                loss_fn=self._training_loss(),
            )
        st = outcome.state
        scored = valid_ids or train_ids
        # The epochs were ranked on parallel streams; the figure reported is exact.
        nll, count = evaluate_nll(self._model(), scored, device=self.device)
        best = ScoreResult(
            nll_nats=nll,
            num_tokens=count,
            num_chars=len(valid_text or request.train_text),
            num_oov=sum(1 for i in scored[1:] if i == self.vocab.unk_id),
        )
        return FitResult(
            seconds=st.elapsed_seconds,
            epochs=st.epoch,
            best_valid=best,
            history=st.history,
            stopped_early=outcome.stopped_early,
            best_epoch=st.best_epoch,
            stop_reason=st.stop_reason,
            still_improving=outcome.still_improving,
            train_tokens=st.tokens,
            threads=threads,
        )

    def _writes_runs(self) -> bool:
        return process_context().is_main

    def _load_for_resume(self, directory: Path) -> TrainerState:
        path = directory / TRAINER_FILE
        if not path.exists():
            raise CheckpointError(f"nothing to resume: {path} does not exist")
        loaded = type(self).load(directory)
        self._vocab, self.model = loaded._vocab, loaded.model
        try:  # weights_only: tensors and numbers, never code from the file
            data = torch.load(path, map_location=self.device, weights_only=True)
            self._model().load_state_dict(data.pop("last_weights"))
            return TrainerState.from_dict(data)
        except Exception as exc:  # truncated, garbage, pickled code, missing keys
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(exc, pickle.UnpicklingError):  # not torch's advice to load it anyway
                reason = "it holds pickled objects, not only tensors; refused (they could run code)"
            raise CheckpointError(f"cannot resume from {path}: {reason[:200]}") from None

    # -- scoring ---------------------------------------------------------------
    def score(self, text: str) -> ScoreResult:
        """Exact NLL of ``text`` after a ``<eos>`` start context, every token
        (``<eos>`` included) predicted once, state carried across the text."""
        ids = self.encode(text)
        total, count = evaluate_nll(self._model(), ids, device=self.device)
        oov = sum(1 for i in ids[1:] if i == self.vocab.unk_id)
        return ScoreResult(nll_nats=total, num_tokens=count, num_chars=len(text), num_oov=oov)

    # -- per-token views (lab.models.probabilities) ------------------------------------
    def _token_logprob_values(self, tokens: list[str]) -> list[float]:
        ids = [self.vocab.eos_id, *self.vocab.encode(tokens)]
        return [-nll for nll in token_nlls(self._model(), ids, device=self.device)]

    def _next_token_weights(
        self, prompt_tokens: list[str]
    ) -> tuple[Sequence[str], Sequence[float]]:
        """``exp(logits)`` ``generate`` samples its first token from, in id order."""
        ids = [self.vocab.eos_id, *self.vocab.encode(prompt_tokens)]
        return self.vocab.itos, next_token_weights(self._model(), ids, device=self.device)

    # -- generation ------------------------------------------------------------
    def _generate(self, request: GenerationRequest) -> list[Sample]:
        """Prime the state with the prompt once, then emit one token at a time per
        sample, carrying the state (never re-reading the text): the batch of one."""
        return self._generate_batch([request])[0]

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[list[Sample]]:
        """Every request's rows in one batch (a setting and a seed per request); see
        :func:`lab.neural.generation.decode_requests`."""
        return decode_requests(self._model(), self.tokenizer, self.vocab, requests, self.device)

    # -- persistence -----------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        # save_model (not save_file) copes with the tied embedding/decoder matrix.
        write_with_atomic(directory / WEIGHTS_FILE, lambda p: save_model(self._model(), str(p)))

    def _manifest_extra(self) -> dict[str, Any]:
        return {"parameters": count_parameters(self._model())}

    @classmethod
    def load(cls: type[N], directory: Path, *, device: str | None = None) -> N:
        """Rebuild a generator from a run directory; ``device`` overrides the saved one."""

        def on_device(config: Any) -> Any:
            return replace(config, train=replace(config.train, device=device))

        return restore_generator(cls, Path(directory), adjust=None if device is None else on_device)

    def _load_state(self, directory: Path, manifest: dict[str, Any]) -> None:
        self._upgrade_config(manifest)
        weights = directory / WEIGHTS_FILE
        if not weights.exists():
            raise CheckpointError(f"{directory} has no {WEIGHTS_FILE}")
        self.model = self._new_model(saved_cutoffs(weights, len(self.vocab)))
        try:
            load_model(self.model, str(weights), device=str(self.device))
        except Exception as exc:  # safetensors raises several types for corrupt files
            reason = " ".join(str(exc).split())  # torch lists every mismatch on its own line
            raise CheckpointError(f"cannot load {weights}: {reason[:300]}") from None
        broken = [n for n, t in self.model.state_dict().items() if not torch.isfinite(t).all()]
        if broken:  # NaN weights would only produce NaN scores and garbage samples
            raise CheckpointError(f"{weights} holds NaN or infinite weights ({broken[0]})")
        self.model.eval()

    def _describe_state(self) -> dict[str, Any]:
        return {"parameters": count_parameters(self.model) if self.model is not None else None}


class RNNGenerator(NetworkGenerator[NeuralConfig]):
    """A recurrent language model with its tokenizer and vocabulary."""

    def _new_model(self, cutoffs: list[int] | None = None) -> LanguageModel:
        """A fresh network of this configuration on this generator's device (an
        adaptive output layer split at ``cutoffs``, by default the rule's)."""
        return build_model(len(self.vocab), self.config.model, self.device, cutoffs)

    def _upgrade_config(self, manifest: dict[str, Any]) -> None:
        if "adaptive_softmax" not in manifest.get("config", {}).get("model", {}):
            # Runs saved before the option existed all have the full softmax.
            model = replace(self.config.model, adaptive_softmax="off")
            self.config = replace(self.config, model=model)


class WordLSTMGenerator(RNNGenerator):
    """Word-level LSTM: NLTK word tokens, ``<eos>`` after each sentence, tied 2x200."""


class CharLSTMGenerator(RNNGenerator):
    """Character-level LSTM: every character a token, newlines included."""
