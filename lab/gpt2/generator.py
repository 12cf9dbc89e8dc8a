"""The pretrained causal LM as a kind: :class:`~lab.neural.generators.NetworkGenerator` with a
HuggingFace model (:class:`~lab.gpt2.network.CausalLMNetwork`) as its network.

Fine-tuning is the LSTMs' and the transformer's training: token budgets,
early stopping, curves, checkpoints and ``--resume`` through
:func:`lab.neural.training.train_model`, each step Exercise 4's ``train_step``
with the transformer's :func:`~lab.transformer.generator.window_loss` as its loss
hook. Scores and per-token probabilities come from Exercise 5's loop over the
model's own BPE tokens after an end-of-text start; byte-level BPE spells every
character, so the total NLL is that of the text itself, and bits per character
(over the same characters as every other kind's) are open-vocabulary. Samples
come from Exercise 8's loop with Exercise 6's ``next_token``.

What differs: the vocabulary is the model's, not built from the book; the
weights and tokenizer are saved with ``save_pretrained`` (safetensors, see
:mod:`lab.gpt2.loading`), not as ``weights.safetensors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import torch

from lab.errors import CheckpointError, OptionError
from lab.gpt2.config import FineTuneConfig
from lab.gpt2.loading import RUN_FILES, load_pretrained, load_run_files, save_run_files
from lab.gpt2.network import CausalLMNetwork, SubwordTokenizer, vocabulary_of
from lab.models.config import VocabConfig
from lab.models.protocol import FitRequest, FitResult, GenerationRequest, Sample
from lab.neural.generators import TRAINER_FILE, NetworkGenerator
from lab.neural.network import LanguageModel
from lab.neural.training import LossFn
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary
from lab.transformer.generator import decode_by_prompt, window_loss

__all__ = ["PretrainedGenerator"]

P = TypeVar("P", bound="PretrainedGenerator")


class PretrainedGenerator(NetworkGenerator[FineTuneConfig]):
    """A pretrained causal LM (``--pretrained``: hub name or folder) fine-tuned on the book."""

    state_files: ClassVar[tuple[str, ...]] = RUN_FILES
    carried_files: ClassVar[tuple[str, ...]] = (TRAINER_FILE,)

    def __init__(
        self, config: FineTuneConfig | None = None, vocab_config: VocabConfig | None = None
    ) -> None:
        super().__init__(config, vocab_config)
        # The model's own tokenizer replaces the base's word tokenizer; it is empty until
        # fit or load (so it never equals compare's shared word tokenizer).
        self._tokenizer = self._as_lab_tokenizer(SubwordTokenizer())
        self._to_hf: list[int] = []
        self._pending: Any | None = None  # the pretrained HF model, until fit wraps it

    @staticmethod
    def _as_lab_tokenizer(tokenizer: SubwordTokenizer) -> AnyTokenizer:
        # It meets the lab.text.tokenizers.Tokenizer protocol the rest of the package uses.
        return cast(AnyTokenizer, tokenizer)

    def _adopt(self, hf_model: Any, hf_tokenizer: Any) -> None:
        """Take the HF model and tokenizer: the lab tokenizer, vocabulary and id table."""
        self._tokenizer = self._as_lab_tokenizer(SubwordTokenizer(hf_tokenizer))
        self._vocab, self._to_hf = vocabulary_of(hf_tokenizer)
        self._pending = hf_model

    # -- training -------------------------------------------------------------------
    def _fit(self, request: FitRequest) -> FitResult:
        """Load the pretrained model (or, with ``resume``, the run's), check that its
        tokenizer spells the book exactly, then train as every network does."""
        if not (request.resume and request.checkpoint_dir is not None):
            self._adopt(*load_pretrained(self.config.model.pretrained))
            if self.tokenizer.detokenize(self.tokenizer.tokenize(request.train_text)) != (
                request.train_text
            ):
                raise OptionError(
                    f"{self.config.model.pretrained}'s tokenizer does not spell the book back "
                    "exactly, so its scores would not be bits per character of the text; use "
                    "a model with a byte-level BPE tokenizer (GPT-2's)"
                )
        return super()._fit(request)

    def _load_for_resume(self, directory: Path) -> Any:
        self._tokenizer = type(self).load(directory, device="cpu").tokenizer
        return super()._load_for_resume(directory)

    def _adopt_vocab(self, tokens: Iterable[str], vocab: Vocabulary | None) -> Vocabulary:
        """The model's vocabulary, whatever the book: a vocabulary offered by the caller
        (compare's shared word vocabulary) cannot replace it."""
        if vocab is not None and vocab != self.vocab:
            raise OptionError("a pretrained model keeps its own vocabulary")
        return self.vocab

    def _new_model(self, cutoffs: list[int] | None = None) -> LanguageModel:
        """The pretrained network over the lab's ids, on this generator's device."""
        hf_model = self._fitted(self._pending)
        network = CausalLMNetwork(hf_model, self._to_hf, self.config.model.block_size)
        return network.to(self.device)

    def _training_loss(self) -> LossFn:
        return window_loss

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[list[Sample]]:
        """Each prompt's requests as one batch, as the transformer's (its state is text)."""
        return decode_by_prompt(self._model(), self.tokenizer, self.vocab, requests, self.device)

    # -- persistence ----------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        network = self._model()
        assert isinstance(network, CausalLMNetwork)
        hf_tokenizer = cast(SubwordTokenizer, self.tokenizer).hf
        save_run_files(network.hf, hf_tokenizer, Path(directory))

    @classmethod
    def _saved_tokenizer(cls, data: dict[str, Any]) -> AnyTokenizer:
        """Empty until :meth:`_load_state` reads the model's own tokenizer files."""
        return cls._as_lab_tokenizer(SubwordTokenizer())

    def _load_state(self, directory: Path, manifest: dict[str, Any]) -> None:
        saved = self.vocab
        self._adopt(*load_run_files(directory))
        if self.vocab != saved:
            raise CheckpointError(f"{directory}: its saved vocabulary is not its tokenizer's")
        self.model = self._new_model()
        broken = [n for n, t in self.model.state_dict().items() if not torch.isfinite(t).all()]
        if broken:
            raise CheckpointError(f"{directory} holds NaN or infinite weights ({broken[0]})")
        self._pending = None
        self.model.eval()
