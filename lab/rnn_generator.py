"""The recurrent generator behind the :class:`~lab.protocol.Generator` protocol.

:class:`RNNGenerator` wraps one :class:`~lab.model.RNNLanguageModel` with its
tokenizer and vocabulary; the word and character LSTMs in :mod:`lab.neural`
differ only in tokenizer and default configuration. A run directory
holds ``config.json``, ``vocab.json``, ``weights.safetensors`` (best epoch) and,
while training, ``trainer_state.pt`` (tensors and numbers only, read back
with ``torch.load(weights_only=True)``) for ``--resume``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import torch
from safetensors.torch import load_model, save_model

from lab import distributed
from lab.checkpoint import read_manifest, read_tokenizer_and_vocab, write_manifest
from lab.config import ModelConfig, NeuralConfig, TrainConfig, VocabConfig, apply_options
from lab.device import configure_cpu_threads, resolve_device, step_decoding
from lab.errors import CheckpointError, LabError
from lab.fileio import write_with_atomic
from lab.model import RNNLanguageModel, count_parameters
from lab.protocol import (
    GREEDY,
    FitResult,
    Sample,
    SamplingConfig,
    ScoreResult,
    make_sample,
    warn_unknown_prompt_tokens,
)
from lab.sampling import next_token
from lab.tokenization import AnyTokenizer, Vocabulary
from lab.training import TrainerState, evaluate_nll, train_model

WEIGHTS_FILE = "weights.safetensors"
TRAINER_FILE = "trainer_state.pt"


class RNNGenerator:
    """A recurrent language model with its tokenizer and vocabulary."""

    kind: ClassVar[str] = ""
    default_config: ClassVar[NeuralConfig] = NeuralConfig()

    def __init__(self, config: NeuralConfig | None = None) -> None:
        self.config = config or self.default_config
        self._tokenizer = self.make_tokenizer(self.config.vocab)
        self._vocab: Vocabulary | None = None
        self.model: RNNLanguageModel | None = None
        self.device = resolve_device(self.config.train.device)
        self.metrics: dict[str, Any] = {}

    @classmethod
    def option_classes(cls) -> tuple[type, ...]:
        """Dataclasses whose fields are this model's CLI options."""
        return (ModelConfig, TrainConfig, VocabConfig)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RNNGenerator:
        """A generator with the default config except for ``options`` (field -> value)."""
        base = cls.default_config
        model, train, vocab = apply_options(
            (base.model, base.train, base.vocab), options, kind=cls.kind
        )
        return cls(NeuralConfig(model=model, train=train, vocab=vocab))

    @classmethod
    def make_tokenizer(cls, vocab_config: VocabConfig) -> AnyTokenizer:
        raise NotImplementedError

    @property
    def tokenizer(self) -> AnyTokenizer:
        return self._tokenizer

    @property
    def vocab(self) -> Vocabulary:
        if self._vocab is None:
            raise LabError(f"this {self.kind} generator has not been trained or loaded yet")
        return self._vocab

    def _model(self) -> RNNLanguageModel:
        if self.model is None:
            raise LabError(f"this {self.kind} generator has not been trained or loaded yet")
        return self.model

    def encode(self, text: str) -> list[int]:
        """``<eos>`` (the start context) followed by the ids of ``text``'s tokens."""
        return [self.vocab.eos_id, *self.vocab.encode(self.tokenizer.tokenize(text))]

    # -- training ---------------------------------------------------------------
    def fit(
        self,
        train_text: str,
        valid_text: str | None = None,
        *,
        vocab: Vocabulary | None = None,
        progress: bool = False,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
    ) -> FitResult:
        """Train on ``train_text``, selecting the epoch by ``valid_text`` perplexity.

        With ``checkpoint_dir`` the best weights are saved there whenever
        validation improves, and ``resume=True`` continues a run saved there.
        """
        cfg = self.config.train
        configure_cpu_threads(cfg.num_threads)
        state = None
        if resume:
            state = self._load_for_resume(_require(checkpoint_dir))
        else:
            self._vocab = vocab or Vocabulary.build(
                self.tokenizer.tokenize(train_text),
                min_freq=self.config.vocab.min_freq,
                max_size=self.config.vocab.max_size,
            )
        train_ids = self.encode(train_text)
        valid_ids = self.encode(valid_text) if valid_text else None
        devices = [self.device.index or 0] if self.device.type == "cuda" else []

        ctx = distributed.current()
        # One writer under torchrun: rank 0.
        run_dir = Path(checkpoint_dir) if checkpoint_dir is not None and ctx.is_main else None

        def save_epoch(st: TrainerState, improved: bool) -> None:
            if run_dir is None:
                return
            if improved:
                self.save(run_dir)
            payload = st.to_dict() | {"last_weights": self._model().state_dict()}
            write_with_atomic(run_dir / TRAINER_FILE, lambda p: torch.save(payload, p))

        with torch.random.fork_rng(devices=devices):
            # Each process draws its own dropout noise; DDP copies rank 0's initial weights.
            torch.manual_seed(cfg.seed + ctx.rank)
            if state is None:
                self.model = RNNLanguageModel(len(self.vocab), self.config.model).to(self.device)
            outcome = train_model(
                self._model(),
                train_ids,
                valid_ids,
                cfg,
                device=self.device,
                state=state,
                progress=progress and ctx.is_main,
                on_epoch_end=save_epoch,
            )
        st = outcome.state
        best = ScoreResult(
            nll_nats=st.best_valid_nll * max(len(valid_ids or train_ids) - 1, 1),
            num_tokens=max(len(valid_ids or train_ids) - 1, 1),
            num_chars=len(valid_text or train_text),
            num_oov=sum(1 for i in (valid_ids or train_ids)[1:] if i == self.vocab.unk_id),
        )
        self.metrics = {
            "best_epoch": st.best_epoch,
            "epochs": st.epoch,
            "train_seconds": st.elapsed_seconds,
            "valid": best.to_dict(),
            "history": st.history,
        }
        if run_dir is not None:
            self.save(run_dir)
        return FitResult(outcome.seconds, st.epoch, best, st.history, outcome.stopped_early)

    def _load_for_resume(self, directory: Path) -> TrainerState:
        path = Path(directory) / TRAINER_FILE
        if not path.exists():
            raise CheckpointError(f"nothing to resume: {path} does not exist")
        loaded = type(self).load(directory)
        self._vocab, self.model = loaded._vocab, loaded.model
        data = torch.load(path, map_location=self.device, weights_only=True)
        self._model().load_state_dict(data.pop("last_weights"))
        return TrainerState.from_dict(data)

    # -- scoring ---------------------------------------------------------------
    def score(self, text: str) -> ScoreResult:
        """Exact NLL of ``text`` after a ``<eos>`` start context, every token
        (``<eos>`` included) predicted once, state carried across the text."""
        ids = self.encode(text)
        total, count = evaluate_nll(self._model(), ids, device=self.device)
        oov = sum(1 for i in ids[1:] if i == self.vocab.unk_id)
        return ScoreResult(nll_nats=total, num_tokens=count, num_chars=len(text), num_oov=oov)

    # -- generation ------------------------------------------------------------
    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 50,
        sampling: SamplingConfig = GREEDY,
        num_samples: int = 1,
        seed: int = 0,
        stop_at_eos: bool = False,
    ) -> list[Sample]:
        """Prime the state with ``prompt`` once, then emit one token at a time
        per sample, carrying the state (never re-reading the text). All
        ``num_samples`` continuations are one batch."""
        if max_tokens < 0 or num_samples < 1:
            raise LabError("max_tokens must be >= 0 and num_samples >= 1")
        model, vocab = self._model(), self.vocab
        prompt_tokens = self.tokenizer.tokenize_prompt(prompt)
        warn_unknown_prompt_tokens(prompt_tokens, vocab)
        context = torch.tensor([vocab.eos_id, *vocab.encode(prompt_tokens)], device=self.device)
        rng = torch.Generator(device=self.device).manual_seed(seed)
        out = torch.empty((num_samples, max_tokens), dtype=torch.long)
        done = torch.zeros(num_samples, dtype=torch.bool)
        length = 0
        model.eval()
        # oneDNN's LSTM is ~4x slower for step-by-step decoding (perf-notes).
        with torch.inference_mode(), step_decoding():
            logits, hidden = model(context.view(-1, 1).expand(-1, num_samples))
            last = logits[-1]
            for step in range(max_tokens):
                token = next_token(last, sampling, generator=rng, banned_ids=vocab.never_emit_ids)
                out[:, step] = token.cpu()
                length = step + 1
                if stop_at_eos:
                    done |= token.cpu() == vocab.eos_id
                    if bool(done.all()):
                        break
                logits, hidden = model(token.view(1, -1), hidden)
                last = logits[-1]
        return [
            self._sample(prompt_tokens, out[i, :length].tolist(), stop_at_eos)
            for i in range(num_samples)
        ]

    def _sample(self, prompt_tokens: list[str], ids: list[int], stop_at_eos: bool) -> Sample:
        if stop_at_eos and self.vocab.eos_id in ids:
            ids = ids[: ids.index(self.vocab.eos_id) + 1]
        return make_sample(self.tokenizer, prompt_tokens, self.vocab.decode(ids))

    # -- persistence -----------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the run directory: JSON config and vocabulary, safetensors weights."""
        directory = Path(directory)
        write_manifest(
            directory,
            kind=self.kind,
            config=self.config.to_dict(),
            tokenizer=self.tokenizer,
            vocab=self.vocab,
            extra={"metrics": self.metrics, "parameters": count_parameters(self._model())},
        )
        # save_model (not save_file) copes with the tied embedding/decoder matrix.
        write_with_atomic(directory / WEIGHTS_FILE, lambda p: save_model(self._model(), str(p)))

    @classmethod
    def load(cls, directory: Path, *, device: str | None = None) -> RNNGenerator:
        """Rebuild a generator from a run directory written by :meth:`save`."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest["kind"] != cls.kind:
            raise CheckpointError(f"{directory} holds a {manifest['kind']} model, not {cls.kind}")
        config = NeuralConfig.from_dict(manifest.get("config", {}))
        if device is not None:
            config = replace(config, train=replace(config.train, device=device))
        gen = cls(config)
        gen._tokenizer, gen._vocab = read_tokenizer_and_vocab(directory, manifest)
        gen.model = RNNLanguageModel(len(gen.vocab), config.model).to(gen.device)
        weights = directory / WEIGHTS_FILE
        if not weights.exists():
            raise CheckpointError(f"{directory} has no {WEIGHTS_FILE}")
        try:
            load_model(gen.model, str(weights), device=str(gen.device))
        except Exception as exc:  # safetensors raises several types for corrupt files
            raise CheckpointError(f"cannot load {weights}: {exc}") from None
        gen.model.eval()
        gen.metrics = manifest.get("metrics", {})
        return gen

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "config": self.config.to_dict(),
            "vocab_size": len(self.vocab) if self._vocab is not None else None,
            "parameters": count_parameters(self.model) if self.model is not None else None,
        }


def _require(directory: Path | None) -> Path:
    if directory is None:
        raise LabError("resume needs the run directory to resume from")
    return Path(directory)
