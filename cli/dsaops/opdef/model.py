"""The opdef model: frozen dataclasses, one per concept of an op definition.

Built only by ``build.py`` from a validated file; every object keeps the
``Location`` it came from so later stages can point back at the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from ..dtypes import DType
from ..errors import Location
from .expr import Expr

REQUIRED = object()  # default of an attr or parameter without one


def frozen_map(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Dim:
    name: str
    doc: str


@dataclass(frozen=True)
class Tensor:
    name: str
    doc: str
    is_output: bool
    index: int  # position among the op's inputs (or outputs)
    optional: bool
    format: str
    layout_attr: str | None
    # layout value -> shape; a tensor without layout_attr has the single key None
    shapes: Mapping[str | None, tuple[int | str, ...]]
    aliases: str | None
    location: Location

    def shape_for(self, layout: str | None) -> tuple[int | str, ...]:
        return self.shapes[layout if self.layout_attr else None]

    @property
    def param_type(self) -> str:
        return "OPTIONAL" if self.optional else "REQUIRED"


@dataclass(frozen=True)
class Attr:
    name: str
    doc: str
    type: str  # int | float | str | bool | list_int
    default: object  # REQUIRED when the attr has no default
    choices: tuple | None
    range: tuple | None
    index: int
    location: Location

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Param:
    """One parameter of the Python / torch signature."""

    name: str
    kind: str  # "tensor" | "attr"
    keyword_only: bool
    default: object  # REQUIRED, None for optional tensors, or the attr default


@dataclass(frozen=True)
class Variant:
    """One supported dtype combination (a row of the opdef's dtype table)."""

    id: str
    dtypes: Mapping[str, DType]  # tensor name -> dtype
    location: Location


@dataclass(frozen=True)
class Constraint:
    check: Expr
    when: Expr | None
    message: str | None
    location: Location


@dataclass(frozen=True)
class TilingField:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Tiling:
    struct: str
    fields: tuple[TilingField, ...]


@dataclass(frozen=True)
class Kernel:
    dir: str
    entry: str
    task_type: str


@dataclass(frozen=True)
class Case:
    op: str
    tier: str  # smoke | full
    id: str
    params: Mapping[str, object]
    doc: str
    location: Location

    @property
    def ident(self) -> str:
        return f"{self.op}/{self.id}"


@dataclass(frozen=True)
class OpDef:
    name: str
    op_type: str
    torch: str
    summary: str
    seed: str | None
    socs: tuple[str, ...]
    dims: Mapping[str, Dim]
    derived_dims: Mapping[str, Expr]  # dim -> expression over other dims and attrs, in evaluation order
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    attrs: tuple[Attr, ...]
    signature: tuple[Param, ...]
    variants: tuple[Variant, ...]
    constraints: tuple[Constraint, ...]
    tiling: Tiling
    kernel: Kernel
    golden: str | None
    cases: Mapping[str, tuple[Case, ...]]
    location: Location
    _index: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)
    #: line of each top-level key of the opdef file
    key_lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return self.inputs + self.outputs

    def tensor(self, name: str) -> Tensor:
        obj = self._index.get(name)
        if not isinstance(obj, Tensor):
            raise KeyError(f"{self.name} has no tensor {name!r}")
        return obj

    def attr(self, name: str) -> Attr:
        obj = self._index.get(name)
        if not isinstance(obj, Attr):
            raise KeyError(f"{self.name} has no attr {name!r}")
        return obj

    def has_tensor(self, name: str) -> bool:
        return isinstance(self._index.get(name), Tensor)

    def has_attr(self, name: str) -> bool:
        return isinstance(self._index.get(name), Attr)

    @property
    def torch_namespace(self) -> str:
        return self.torch.split(".", 1)[0]

    @property
    def torch_name(self) -> str:
        return self.torch.split(".", 1)[1]

    def all_cases(self) -> tuple[Case, ...]:
        return tuple(c for tier in ("smoke", "full") for c in self.cases.get(tier, ()))
