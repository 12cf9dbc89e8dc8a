"""Data on the wire between the trusted process and the sandbox child: JSON values, with
tensors as ``{"__tensor__": dtype, "shape", "data"}`` (never pickles)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

_DTYPES = ("float32", "float64", "int64", "int32", "bool")

# -- data on the wire ---------------------------------------------------------------------------


def tensor(data: Any) -> Any:
    """A tensor from its wire form (or from a plain nested list of numbers)."""
    import torch

    if isinstance(data, dict) and "__tensor__" in data:
        dtype = str(data["__tensor__"])
        if dtype not in _DTYPES:
            raise ValueError(f"unknown tensor dtype {dtype}")
        return torch.tensor(data["data"], dtype=getattr(torch, dtype)).reshape(data["shape"])
    return torch.tensor(data)


def to_data(value: Any) -> Any:
    """``value`` as JSON-able data; tensors become their wire form."""
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        dtype = str(value.dtype).removeprefix("torch.")
        if dtype not in _DTYPES:
            value, dtype = value.double(), "float64"
        return {"__tensor__": dtype, "shape": list(value.shape), "data": value.tolist()}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"the submission returned a {type(value).__name__}, not data")


def submission(module: str) -> Any:
    """The submission's ``module`` (in the child: the student's code)."""
    return importlib.import_module(module)


def run(drivers: Mapping[str, Callable[..., Any]], name: str, kwargs: dict[str, Any]) -> Any:
    """Run driver ``name`` of ``drivers`` (the child's only entry point); its result as data."""
    if name not in drivers:
        raise KeyError(f"no driver {name!r} in this child (its tests call no such driver)")
    return to_data(drivers[name](**kwargs))
