"""Argument checks derived from an op's definition.

``bind(op, args)`` checks the arguments of one call of an op against its opdef
(attr types, choices and ranges; required tensors; dtypes against the supported
combinations; every shape against its layout; every constraint) and returns the
resolved symbolic dims. It is used by ``dsaops.golden.*`` and ``dsaops.ops.*``;
the generated C++ tiling checks are emitted from the same constraint declarations.
Violations raise ``ConstraintError`` with messages of the form
``lightning_indexer: query N1 must be 64, got 32 (shape [1, 1, 32, 128])``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import dtypes as dt
from .errors import ConstraintError
from .opdef import REQUIRED, OpDef, Variant, load_opdefs
from .opdef.expr import value_tensor_args
from .opdef.model import Constraint


@functools.lru_cache(maxsize=1)
def _bundled():
    return load_opdefs()


def bundled_op(name: str) -> OpDef:
    return _bundled()[name]


@dataclass(frozen=True)
class Binding:
    """A checked call: resolved dims, attrs with defaults, the tensors, the matching variant."""

    op: OpDef
    dims: Mapping[str, int]
    attrs: Mapping[str, object]
    tensors: Mapping[str, object]  # input name -> array or None
    variant: Variant
    dim_source: Mapping[str, tuple[str, int]]  # dim -> (tensor, axis) that bound it

    def output_shape(self, name: str) -> tuple[int, ...]:
        t = self.op.tensor(name)
        if t.aliases is not None:
            return tuple(np.shape(self.tensors[t.aliases]))
        layout = self.attrs[t.layout_attr] if t.layout_attr else None
        shape = []
        for d in t.shape_for(layout):
            if isinstance(d, int):
                shape.append(d)
            elif d in self.attrs:
                shape.append(int(self.attrs[d]))
            elif d in self.dims:
                shape.append(self.dims[d])
            else:
                raise ConstraintError(f"{self.op.name}: output {name} dim {d} is not determined by the inputs")
        return tuple(shape)

    def output_dtype(self, name: str) -> np.dtype:
        return self.variant.dtypes[name].numpy


class _Unbound(Exception):
    """A constraint refers to a dim or tensor this call does not have: it does not apply."""


def _fmt_shape(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _type_name(value) -> str:
    return type(value).__name__


def _check_attr_value(op: OpDef, attr, value, problems: list[str]) -> object:
    name = f"{op.name}: {attr.name}"
    t = attr.type
    if t == "int":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            problems.append(f"{name} must be an int, got {value!r} ({_type_name(value)})")
            return None
        value = int(value)
    elif t == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            problems.append(f"{name} must be a float, got {value!r} ({_type_name(value)})")
            return None
        value = float(value)
    elif t == "str":
        if not isinstance(value, str):
            problems.append(f"{name} must be a str, got {value!r} ({_type_name(value)})")
            return None
    elif t == "bool":
        if not isinstance(value, (bool, np.bool_)):
            problems.append(f"{name} must be a bool, got {value!r} ({_type_name(value)})")
            return None
        value = bool(value)
    elif t == "list_int":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, (int, np.integer)) for v in value):
            problems.append(f"{name} must be a list of ints, got {value!r}")
            return None
        value = [int(v) for v in value]
    if attr.choices is not None and value not in attr.choices:
        problems.append(f"{name} must be one of {list(attr.choices)}, got {value!r}")
        return None
    if attr.range is not None and not (attr.range[0] <= value <= attr.range[1]):
        problems.append(f"{name} must be in [{attr.range[0]}, {attr.range[1]}], got {value!r}")
        return None
    return value


def _as_array(op: OpDef, name: str, value, problems: list[str]):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    if isinstance(value, (list, tuple)):
        dtypes = {v.dtypes[name] for v in op.variants}
        if len(dtypes) == 1:
            return np.asarray(value, dtype=next(iter(dtypes)).numpy)
    problems.append(f"{op.name}: {name} must be an array, got {_type_name(value)}")
    return None


def bind(op: str | OpDef, args: Mapping[str, object]) -> Binding:
    """Check one call's arguments (by parameter name) against the op's definition.

    Names in ``args`` that are not parameters of the op are ignored, so a golden can
    pass ``locals()``. Raises ``ConstraintError`` listing every violation of the
    first failing stage (attrs and presence, then shapes and dtypes, then constraints).
    """
    op = bundled_op(op) if isinstance(op, str) else op
    problems: list[str] = []

    attrs: dict[str, object] = {}
    for attr in op.attrs:
        value = args.get(attr.name, attr.default)
        if value is REQUIRED or value is None:
            if attr.required:
                problems.append(f"{op.name}: {attr.name} is required, got None")
                continue
            value = attr.default
        checked = _check_attr_value(op, attr, value, problems)
        if checked is not None:
            attrs[attr.name] = checked

    tensors: dict[str, object] = {}
    for t in op.inputs:
        value = args.get(t.name)
        if value is None:
            if not t.optional:
                problems.append(f"{op.name}: {t.name} is required, got None")
            tensors[t.name] = None
            continue
        tensors[t.name] = _as_array(op, t.name, value, problems)
    if problems:
        raise ConstraintError("\n".join(problems))

    # ---- shapes ---------------------------------------------------------------
    dims: dict[str, int] = {}
    source: dict[str, tuple[str, int]] = {}
    for t in op.inputs:
        arr = tensors[t.name]
        if arr is None:
            continue
        layout = attrs[t.layout_attr] if t.layout_attr else None
        expected = t.shape_for(layout)
        shape = tuple(int(s) for s in arr.shape)
        where = f" for {t.layout_attr}={layout!r}" if t.layout_attr else ""
        if len(shape) != len(expected):
            sym = "[" + ", ".join(str(d) for d in expected) + "]"
            problems.append(f"{op.name}: {t.name} must have {len(expected)} dims {sym}{where}, "
                            f"got {len(shape)} (shape {_fmt_shape(shape)})")
            continue
        for axis, (d, size) in enumerate(zip(expected, shape)):
            if isinstance(d, int):
                if size != d:
                    problems.append(f"{op.name}: {t.name} dim {axis} must be {d}, got {size} (shape {_fmt_shape(shape)})")
            elif d in attrs:
                if size != attrs[d]:
                    problems.append(f"{op.name}: {t.name} dim {axis} must equal {d} ({attrs[d]}), "
                                    f"got {size} (shape {_fmt_shape(shape)})")
            elif d in dims:
                if size != dims[d]:
                    src, _ = source[d]
                    problems.append(f"{op.name}: {t.name} {d} must equal {src} {d} ({dims[d]}), "
                                    f"got {size} (shape {_fmt_shape(shape)})")
            else:
                dims[d] = size
                source[d] = (t.name, axis)

    if not problems:
        env = lambda n: dims[n] if n in dims else attrs[n]  # noqa: E731
        for sym, e in op.derived_dims.items():
            try:
                dims[sym] = int(e.evaluate(env, {"ceil_div": lambda a, b: -(-a // b)}))
            except (KeyError, ZeroDivisionError):
                continue  # an optional input that binds its operands is absent

    # ---- dtypes -----------------------------------------------------------------
    given: dict[str, dt.DType] = {}
    for t in op.inputs:
        arr = tensors[t.name]
        if arr is None:
            continue
        kind = dt.of_numpy(arr.dtype)
        allowed = sorted({v.dtypes[t.name].name for v in op.variants})
        if kind is None or kind.name not in allowed:
            shown = kind.name if kind else str(arr.dtype)
            problems.append(f"{op.name}: {t.name} dtype must be {' or '.join(allowed)}, got {shown}")
            continue
        given[t.name] = kind
    if problems:
        raise ConstraintError("\n".join(problems))
    matching = [v for v in op.variants if all(v.dtypes[n] == k for n, k in given.items())]
    if not matching:
        got = ", ".join(f"{n}={k.name}" for n, k in given.items())
        supported = "; ".join(
            f"{v.id} (" + ", ".join(f"{n}={v.dtypes[n].name}" for n in given) + ")" for v in op.variants)
        raise ConstraintError(f"{op.name}: dtypes {got} match no supported combination; supported: {supported}")

    binding = Binding(op, dims, attrs, tensors, matching[0], source)

    # ---- constraints ---------------------------------------------------------------
    for c in op.constraints:
        message = _check_constraint(binding, c)
        if message:
            problems.append(message)
    if problems:
        raise ConstraintError("\n".join(problems))
    return binding


def _tensor_values(binding: Binding, name: str) -> np.ndarray:
    arr = binding.tensors.get(name)
    if arr is None:
        raise _Unbound(name)
    return np.asarray(arr)


def _functions(binding: Binding) -> dict:
    def present(name):
        return binding.tensors.get(name) is not None

    def last(name):
        values = _tensor_values(binding, name).reshape(-1)
        if values.size == 0:
            raise _Unbound(name)
        return int(values[-1])

    def min_value(name):
        values = _tensor_values(binding, name)
        if values.size == 0:
            raise _Unbound(name)
        return values.astype(np.float64).min().item() if values.dtype.kind == "f" else int(values.min())

    def max_value(name):
        values = _tensor_values(binding, name)
        if values.size == 0:
            raise _Unbound(name)
        return values.astype(np.float64).max().item() if values.dtype.kind == "f" else int(values.max())

    def nondecreasing(name):
        values = _tensor_values(binding, name).reshape(-1).astype(np.int64)
        return bool(np.all(np.diff(values) >= 0))

    def distinct(name):
        values = _tensor_values(binding, name).reshape(-1)
        return bool(np.unique(values).size == values.size)

    def is_pow2(v):
        return isinstance(v, (int, np.integer)) and v >= 1 and (v & (v - 1)) == 0

    def ceil_div(a, b):
        return -(-a // b)

    return {"present": present, "last": last, "min_value": min_value, "max_value": max_value,
            "nondecreasing": nondecreasing, "distinct": distinct, "is_pow2": is_pow2, "ceil_div": ceil_div}


def _env(binding: Binding):
    def lookup(name: str):
        if name in binding.attrs:
            return binding.attrs[name]
        if name in binding.dims:
            return binding.dims[name]
        raise _Unbound(name)
    return lookup


def _show_values(values) -> str:
    flat = np.asarray(values).reshape(-1)
    if flat.size <= 8:
        return "[" + ", ".join(str(v) for v in flat.tolist()) + "]"
    return "[" + ", ".join(str(v) for v in flat[:8].tolist()) + f", ... ({flat.size} values)]"


def _check_constraint(binding: Binding, c: Constraint) -> str | None:
    env, funcs = _env(binding), _functions(binding)
    try:
        if c.when is not None and not c.when.evaluate(env, funcs):
            return None
        if c.check.evaluate(env, funcs):
            return None
    except _Unbound:
        return None
    op = binding.op
    cond = f" when {c.when.source}" if c.when is not None else ""
    presence = c.check.presence()
    if presence is not None:
        name, must = presence
        if must:
            return f"{op.name}: {name} is required{cond}, got None"
        shape = _fmt_shape(np.shape(binding.tensors[name]))
        return f"{op.name}: {name} must be None{cond}, got a tensor of shape {shape}"
    simple = c.check.simple_comparison()
    names = [n for n in c.check.names() if n in binding.dims or n in binding.attrs]
    dim_names = [n for n in names if n in binding.dims]
    if c.message is None and simple is not None and simple[0] in (binding.dims.keys() | binding.attrs.keys()):
        subject = simple[0]
        if subject in binding.dim_source:
            tensor, _ = binding.dim_source[subject]
            subject = f"{tensor} {subject}"
        value = binding.dims.get(simple[0], binding.attrs.get(simple[0]))
        text = f"{op.name}: {subject} {c.check.phrase()}{cond}, got {value!r}"
    else:
        what = c.message or f"{c.check.source} must hold"
        shown = [f"{n}={binding.dims[n] if n in binding.dims else binding.attrs[n]!r}" for n in names]
        for t in dict.fromkeys(value_tensor_args(c.check)):
            if binding.tensors.get(t) is not None:
                shown.append(f"{t}={_show_values(binding.tensors[t])}")
        text = f"{op.name}: {what}{cond}" + (f", got {', '.join(shown)}" if shown else "")
    if len(dim_names) == 1 and dim_names[0] in binding.dim_source:  # derived dims have no source tensor
        tensor, _ = binding.dim_source[dim_names[0]]
        text += f" (shape {_fmt_shape(np.shape(binding.tensors[tensor]))})"
    return text
