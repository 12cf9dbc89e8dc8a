"""What a sandbox call can end in besides a value: the submission's errors, and the reply
decoded (plain JSON data; tensors are the one type rebuilt)."""

from __future__ import annotations

from typing import Any


class SubmissionError(Exception):
    """The submission did not answer a call: it raised, crashed, hung or replied nonsense."""


class SubmissionRaised(SubmissionError):
    """The submission's code raised; ``types`` are the qualified names of the exception's
    class and its bases (``builtins.ValueError``, ...), most derived first."""

    def __init__(self, error: str, types: list[str], trace: str) -> None:
        super().__init__(f"{error}\n--- in the submission ---\n{trace}".rstrip())
        self.error, self.types = error, types

    def is_a(self, name: str) -> bool:
        """Whether the exception's class is exactly ``name`` (a builtin's bare name, or a
        qualified one): a class that also subclasses ValueError, TypeError and KeyError to
        satisfy every check at once is none of them."""
        wanted = name if "." in name else f"builtins.{name}"
        return bool(self.types) and self.types[0] == wanted


def decode(value: Any) -> Any:
    """A reply's value with its tensors rebuilt (the only non-JSON type on the wire)."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            from lab.grading.drivers import tensor

            try:
                return tensor(value)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise SubmissionError(f"the submission sent a malformed tensor: {exc}") from None
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
