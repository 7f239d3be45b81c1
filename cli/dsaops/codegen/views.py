"""How the C++ / CANN side spells an op: plain data the templates only join.

Templates hold layout; everything computed (dtype columns, attr setters, index
constants, infer-shape sources, tiling members) is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import dtypes as dt
from ..opdef import REQUIRED, OpDef
from ..opdef.expr import Expr
from .kernel_view import KernelView, kernel_view

_TILING_CPP = {"uint8": "uint8_t", "int8": "int8_t", "uint16": "uint16_t", "int16": "int16_t",
               "uint32": "uint32_t", "int32": "int32_t", "uint64": "uint64_t", "int64": "int64_t",
               "float": "float"}
_TILING_SIZE = {"uint8": 1, "int8": 1, "uint16": 2, "int16": 2, "uint32": 4, "int32": 4,
                "uint64": 8, "int64": 8, "float": 4}


def cpp_literal(attr_type: str, value) -> str:
    if attr_type == "str":
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if attr_type == "bool":
        return "true" if value else "false"
    if attr_type == "float":
        return repr(float(value))
    if attr_type == "list_int":
        return "{" + ", ".join(str(v) for v in value) + "}"
    return str(value)


@dataclass(frozen=True)
class TensorView:
    name: str
    const: str  # index constant name, e.g. INPUT_QUERY
    index: int
    param_type: str
    dtypes: tuple[str, ...]  # ge::DT_* per variant (column of the dtype table)
    formats: tuple[str, ...]

    @property
    def dtype_list(self) -> str:
        return "{" + ", ".join(self.dtypes) + "}"

    @property
    def format_list(self) -> str:
        return "{" + ", ".join(self.formats) + "}"


@dataclass(frozen=True)
class AttrView:
    name: str
    const: str
    index: int
    attr_type: str  # OPTIONAL | REQUIRED
    setter: str  # e.g. Int(2048), String("BSND"), Float()


@dataclass(frozen=True)
class DimRule:
    axis: int
    expr: str  # C++ expression of the dim's size
    doc: str


@dataclass(frozen=True)
class ShapeCase:
    condition: str | None  # C++ condition on the layout attr (None: unconditional)
    opener: str  # "if" for the first layout, "} else if" after it
    layout: str | None
    dims: tuple[DimRule, ...]


@dataclass(frozen=True)
class OutputShapeView:
    name: str
    const: str
    index: int
    alias_input: str | None  # const of the aliased input
    cases: tuple[ShapeCase, ...]


@dataclass(frozen=True)
class OutputDtypeView:
    name: str
    const: str
    index: int
    fixed: str | None  # ge::DT_* when every variant agrees
    key_input: str | None  # input const whose dtype decides it otherwise
    mapping: tuple[tuple[str, str], ...]  # (input ge dtype, output ge dtype)


@dataclass(frozen=True)
class TilingMember:
    name: str
    cpp_type: str
    doc: str


@dataclass(frozen=True)
class OpView:
    name: str
    op_type: str
    torch: str
    socs: tuple[str, ...]
    inputs: tuple[TensorView, ...]
    outputs: tuple[TensorView, ...]
    attrs: tuple[AttrView, ...]
    output_shapes: tuple[OutputShapeView, ...]
    output_dtypes: tuple[OutputDtypeView, ...]
    tiling_struct: str
    tiling_members: tuple[TilingMember, ...]
    tiling_size: int
    task_type: str
    uses_layout_attrs: tuple[AttrView, ...]  # str attrs the infer-shape code reads
    kernel: KernelView | None = None  # set when the op's hand-written kernel folder exists


def _const(prefix: str, name: str) -> str:
    return f"{prefix}_{name.upper()}"


def op_view(op: OpDef, has_kernel: bool = False) -> OpView:
    inputs = tuple(_tensor_view(op, t, "INPUT") for t in op.inputs)
    outputs = tuple(_tensor_view(op, t, "OUTPUT") for t in op.outputs)
    attrs = tuple(_attr_view(a) for a in op.attrs)
    attr_by_name = {a.name: a for a in attrs}
    shapes = tuple(_output_shape(op, t, attr_by_name) for t in op.outputs)
    layout_attrs = []
    for t in op.tensors:
        if t.layout_attr and attr_by_name[t.layout_attr] not in layout_attrs:
            layout_attrs.append(attr_by_name[t.layout_attr])
    members = tuple(TilingMember(f.name, _TILING_CPP[f.type], f.doc) for f in op.tiling.fields)
    size = _struct_size([f.type for f in op.tiling.fields])
    return OpView(
        name=op.name, op_type=op.op_type, torch=op.torch, socs=op.socs,
        inputs=inputs, outputs=outputs, attrs=attrs,
        output_shapes=shapes, output_dtypes=tuple(_output_dtype(op, t) for t in op.outputs),
        tiling_struct=op.tiling.struct, tiling_members=members, tiling_size=size,
        task_type=op.kernel.task_type,
        uses_layout_attrs=tuple(a for a in layout_attrs),
        kernel=kernel_view(op) if has_kernel else None,
    )


def _struct_size(types: list[str]) -> int:
    offset, align = 0, 1
    for t in types:
        size = _TILING_SIZE[t]
        offset = -(-offset // size) * size + size
        align = max(align, size)
    return -(-offset // align) * align


def _tensor_view(op: OpDef, t, prefix: str) -> TensorView:
    dtypes = tuple(v.dtypes[t.name].ge for v in op.variants)
    formats = tuple(dt.FORMATS[t.format] for _ in op.variants)
    return TensorView(t.name, _const(prefix, t.name), t.index, t.param_type, dtypes, formats)


def _attr_view(a) -> AttrView:
    kind = {"int": "Int", "float": "Float", "str": "String", "bool": "Bool", "list_int": "ListInt"}[a.type]
    if a.default is REQUIRED:
        return AttrView(a.name, _const("ATTR", a.name), a.index, "REQUIRED", f"{kind}()")
    return AttrView(a.name, _const("ATTR", a.name), a.index, "OPTIONAL", f"{kind}({cpp_literal(a.type, a.default)})")


def _dim_sources(op: OpDef, sym: str, want_attr: str | None, want_layout: str | None):
    """Where an input shape gives ``sym``: list of (condition attr, layout, input const, axis)."""
    out = []
    for t in op.inputs:
        for layout, shape in t.shapes.items():
            if sym not in shape:
                continue
            axis = shape.index(sym)
            if t.layout_attr is None:
                out.append((None, None, t, axis))
            elif t.layout_attr == want_attr:
                if layout == want_layout:
                    out.append((None, None, t, axis))
            else:
                out.append((t.layout_attr, layout, t, axis))
    # required inputs first: an optional one may be absent at run time
    out.sort(key=lambda s: (s[2].optional, s[0] is not None))
    return out


def _dim_expr(op: OpDef, sym, want_attr, want_layout, attrs) -> str:
    if isinstance(sym, int):
        return str(sym)
    if sym in attrs:
        return f"static_cast<int64_t>(*attrs->GetInt({attrs[sym].const}))"
    if sym in op.derived_dims:
        e: Expr = op.derived_dims[sym]
        return e.to_cpp(lambda n: _dim_expr(op, n, want_attr, want_layout, attrs))
    sources = _dim_sources(op, sym, want_attr, want_layout)
    if not sources:
        raise ValueError(f"{op.name}: no input gives dim {sym}")
    unconditional = [s for s in sources if s[0] is None]
    if unconditional:
        _, _, t, axis = unconditional[0]
        return f"context->GetInputShape({_const('INPUT', t.name)})->GetDim({axis})"
    # chain over the layouts of another tensor's layout attr
    by_layout = []
    for attr_name, layout, t, axis in sources:
        if t.name == sources[0][2].name:
            by_layout.append((attr_name, layout, f"context->GetInputShape({_const('INPUT', t.name)})->GetDim({axis})"))
    text = by_layout[-1][2]
    for attr_name, layout, expr in reversed(by_layout[:-1]):
        text = f"(std::strcmp({attr_name}, \"{layout}\") == 0 ? {expr} : {text})"
    return text


def _output_shape(op: OpDef, t, attrs) -> OutputShapeView:
    if t.aliases is not None:
        return OutputShapeView(t.name, _const("OUTPUT", t.name), t.index, _const("INPUT", t.aliases), ())
    cases = []
    for layout, shape in t.shapes.items():
        cond = f'std::strcmp({t.layout_attr}, "{layout}") == 0' if t.layout_attr else None
        dims = tuple(DimRule(i, _dim_expr(op, d, t.layout_attr, layout, attrs), str(d)) for i, d in enumerate(shape))
        cases.append(ShapeCase(cond, "if" if not cases else "} else if", layout, dims))
    return OutputShapeView(t.name, _const("OUTPUT", t.name), t.index, None, tuple(cases))


def _output_dtype(op: OpDef, t) -> OutputDtypeView:
    outs = {v.dtypes[t.name].ge for v in op.variants}
    if len(outs) == 1:
        return OutputDtypeView(t.name, _const("OUTPUT", t.name), t.index, outs.pop(), None, ())
    for i in op.inputs:
        pairs = {(v.dtypes[i.name].ge, v.dtypes[t.name].ge) for v in op.variants}
        keys = [k for k, _ in pairs]
        if len(keys) == len(set(keys)):
            return OutputDtypeView(t.name, _const("OUTPUT", t.name), t.index, None, _const("INPUT", i.name),
                                   tuple(sorted(pairs)))
    raise ValueError(f"{op.name}: no single input decides the dtype of {t.name}")
