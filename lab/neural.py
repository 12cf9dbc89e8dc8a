"""Word- and character-level LSTM generators: one :class:`~lab.rnn_generator.RNNGenerator`
each, differing only in tokenizer and default configuration."""

from __future__ import annotations

from typing import ClassVar

from lab.config import ModelConfig, NeuralConfig, TrainConfig, VocabConfig
from lab.rnn_generator import RNNGenerator
from lab.tokenization import AnyTokenizer, CharTokenizer, WordTokenizer

__all__ = ["CharLSTMGenerator", "RNNGenerator", "WordLSTMGenerator"]


class WordLSTMGenerator(RNNGenerator):
    """Word-level LSTM: NLTK word tokens, ``<eos>`` after each sentence, tied 2x200."""

    kind: ClassVar[str] = "word-lstm"
    default_config: ClassVar[NeuralConfig] = NeuralConfig(
        model=ModelConfig(embedding_dim=200, hidden_dim=200, num_layers=2, dropout=0.4),
        train=TrainConfig(epochs=20, batch_size=20, bptt=35, lr=3e-3),
        vocab=VocabConfig(min_freq=2),
    )

    @classmethod
    def make_tokenizer(cls, vocab_config: VocabConfig) -> AnyTokenizer:
        return WordTokenizer(lowercase=vocab_config.lowercase, eos=vocab_config.eos)


class CharLSTMGenerator(RNNGenerator):
    """Character-level LSTM: every character a token, newlines included."""

    kind: ClassVar[str] = "char-lstm"
    default_config: ClassVar[NeuralConfig] = NeuralConfig(
        model=ModelConfig(
            embedding_dim=64, hidden_dim=256, num_layers=2, dropout=0.1, tie_weights=False
        ),
        train=TrainConfig(epochs=20, batch_size=32, bptt=100, lr=3e-3),
        vocab=VocabConfig(min_freq=1),
    )

    @classmethod
    def make_tokenizer(cls, vocab_config: VocabConfig) -> AnyTokenizer:
        return CharTokenizer(lowercase=vocab_config.lowercase)
