"""A tiny GPT-2 and byte-level BPE tokenizer made here, saved as a local "pretrained" folder:
the gpt2 kind's tests run offline with it (no download)."""

from __future__ import annotations

from pathlib import Path

EOT = "<|endoftext|>"


def tiny_pretrained(folder: Path, text: str, *, seed: int = 0) -> Path:
    """Train a 300-token byte-level BPE on ``text`` and build a 2-layer, 32-wide GPT-2
    with a 64-token context over it, saved with ``save_pretrained`` in ``folder``."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([text], vocab_size=300, min_frequency=2, special_tokens=[EOT])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, eos_token=EOT, bos_token=EOT
    )
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
