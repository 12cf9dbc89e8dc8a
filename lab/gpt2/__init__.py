"""A pretrained causal language model (GPT-2) fine-tuned on the book: the optional extra.

:mod:`~lab.gpt2.config` holds its options (no torch, no ``transformers`` at
import, so the command line lists them without the extra installed);
:mod:`~lab.gpt2.loading` is the one module that imports HuggingFace
``transformers``, lazily, and says in one line how to get it or a missing model;
:mod:`~lab.gpt2.network` puts the HF model and its byte-level BPE tokenizer
behind the package's network and tokenizer contracts; :mod:`~lab.gpt2.generator`
is the kind, trained, scored, sampled, saved and resumed by the LSTMs' loops.
This package's ``__init__`` imports nothing.
"""
