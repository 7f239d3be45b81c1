"""The C++ an op with a hand-written kernel needs around it, computed from its opdef.

For such an op the project gets the kernel entry and its dtype variants (``op_kernel/``), the
CANN-free tiling problem with the generated parameter check (``op_host/<op>_tiling_problem.h``),
the CANN tiling adapter (``op_host/<op>_tiling.cpp``) and the CPU-twin glue (``twin/<op>_twin.cpp``).
This module turns the opdef into plain strings those templates only join; the interface is
KERNEL_CONTRACT section 1 (see the repository's coordination notes) and the README.

The generated check (``<OpType>CheckProblem``) reproduces the Python argument checks of
``dsaops.validate.bind`` for everything that needs no tensor data: attr choices and ranges, then
every constraint whose dims are bound by the chosen layouts, with the same message text. Constraints
reading tensor values (``last``, ``min_value``, ...) stay in Python; the header lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..opdef import OpDef
from ..opdef.expr import value_tensor_args

_MODES = {"AIV_ONLY": "AIV_ONLY", "AIC_ONLY": "AIC_ONLY", "MIX_AIC_1_1": "MIX_1_1", "MIX_AIC_1_2": "MIX_1_2"}
_ATTR_CPP = {"int": "int64_t", "float": "double", "str": "const char*", "bool": "bool"}


def _cstr(text: str) -> str:
    """A C++ string literal of ``text``."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out}"'


@dataclass(frozen=True)
class VariantView:
    id: str
    index: int
    struct: str  # e.g. LightningIndexerVariant_bf16
    aliases: tuple[tuple[str, str], ...]  # (column, C++ type)
    condition: str  # C++: the given input dtypes (dt_<name>, given_<name>) match this row
    doc: str  # "query=bf16, key=bf16, ..."


@dataclass(frozen=True)
class MemberView:
    name: str
    cpp_type: str
    doc: str


@dataclass(frozen=True)
class AttrCheck:
    condition: str  # C++ condition that is true when the value is wrong
    message: str  # C++ std::string expression


@dataclass(frozen=True)
class ConstraintCheck:
    source: str  # the opdef text, for the comment
    guard: str  # C++: every dim the constraint names is bound
    failed: str  # C++: the constraint applies and does not hold
    message: str  # C++ std::string expression


@dataclass(frozen=True)
class AdapterAttr:
    name: str
    const: str
    type: str
    getter: str  # C++ statement reading the attr into p.<name>


@dataclass(frozen=True)
class ShapeRule:
    condition: str | None  # C++ condition on the layout (None: the tensor has one shape)
    syms: str  # C++ braced list of dim names / integer literals
    shown: str  # "[B, S1, N1, D]"
    where: str  # " for layout_query='BSND'" or ""


@dataclass(frozen=True)
class AdapterInput:
    name: str
    const: str
    optional: bool
    rules: tuple[ShapeRule, ...]


@dataclass(frozen=True)
class KernelView:
    entry: str
    task_type: str  # KERNEL_TYPE_MIX_AIC_1_2
    twin_mode: str  # twin::Mode::MIX_1_2
    header: str  # <op>_kernel.h
    tiling_source: str  # <op>_tiling.cpp (hand-written, in ascendc/<dir>/)
    kernel_dir: str
    problem: str  # <OpType>TilingProblem
    check_fn: str
    compute_fn: str
    run_fn: str
    variants: tuple[VariantView, ...]
    dims: tuple[str, ...]
    attrs: tuple[MemberView, ...]
    optional_inputs: tuple[str, ...]
    attr_checks: tuple[AttrCheck, ...]
    constraint_checks: tuple[ConstraintCheck, ...]
    python_only: tuple[str, ...]  # constraint sources that need tensor data
    skipped_attrs: tuple[str, ...]  # attrs the problem cannot hold (list_int)
    entry_params: tuple[str, ...]  # GM_ADDR names: inputs, outputs
    adapter_attrs: tuple[AdapterAttr, ...]
    adapter_inputs: tuple[AdapterInput, ...]
    derived: tuple[tuple[str, str, str], ...]  # (dim, C++ bound condition on the binder, C++ value)
    attr_index: tuple[tuple[str, str], ...]  # (attr name, twin-ABI slot kind: int | float | str | bool)


def kernel_view(op: OpDef) -> KernelView:
    dims = tuple(op.dims)
    problem_attrs = [a for a in op.attrs if a.type in _ATTR_CPP]
    attr_types = {a.name: a.type for a in problem_attrs}
    optional = tuple(t.name for t in op.inputs if t.optional)

    def name_cpp(n: str) -> str:
        if n in attr_types:
            return f"std::string(dsaops::check::str(p.{n}))" if attr_types[n] == "str" else f"p.{n}"
        if n in op.dims:
            return f"p.{n}"
        if op.has_tensor(n):
            t = op.tensor(n)
            return f"p.has_{n}" if t.optional else "true"
        raise ValueError(f"{op.name}: constraint name {n!r} has no C++ form")

    bound = {d: _bound_expr(op, d) for d in dims}
    checks = []
    python_only = []
    for c in op.constraints:
        if value_tensor_args(c.check) or (c.when is not None and value_tensor_args(c.when)):
            python_only.append((f"when {c.when.source}: " if c.when else "") + c.check.source)
            continue
        names = [n for e in (c.when, c.check) if e is not None for n in e.names()]
        used_dims = list(dict.fromkeys(n for n in names if n in op.dims))
        guard = " && ".join(f"({bound[d]})" for d in used_dims if bound[d] != "true") or "true"
        check_cpp = c.check.to_cpp(name_cpp)
        failed = f"!{_paren(check_cpp)}"
        if c.when is not None:
            failed = f"{_paren(c.when.to_cpp(name_cpp))} && {failed}"
        checks.append(ConstraintCheck(_comment_text(c.check.source if c.when is None
                                                    else f"when {c.when.source}: {c.check.source}"),
                                      guard, failed, _constraint_message(op, c, attr_types, bound)))

    attr_checks = []
    for a in problem_attrs:
        value = _repr_cpp(a.type, f"p.{a.name}")
        if a.choices is not None:
            alts = " || ".join(f"{name_cpp(a.name)} == {_literal(a.type, v)}" for v in a.choices)
            shown = "[" + ", ".join(repr(v) for v in a.choices) + "]"
            attr_checks.append(AttrCheck(f"!({alts})", f"std::string({_cstr(f'{op.name}: {a.name} must be one of {shown}, got ')}) + {value}"))
        if a.range is not None:
            lo, hi = a.range
            attr_checks.append(AttrCheck(f"p.{a.name} < {_literal(a.type, lo)} || p.{a.name} > {_literal(a.type, hi)}",
                                         f"std::string({_cstr(f'{op.name}: {a.name} must be in [{lo}, {hi}], got ')}) + {value}"))

    variants = []
    for i, v in enumerate(op.variants):
        aliases = tuple((col, dtype.cpp) for col, dtype in v.dtypes.items())
        cond = " && ".join(f"(!given_{t.name} || dt_{t.name} == {v.dtypes[t.name].ge})" for t in op.inputs)
        doc = ", ".join(f"{t.name}={v.dtypes[t.name].name}" for t in op.inputs)
        variants.append(VariantView(v.id, i, f"{op.op_type}Variant_{v.id}", aliases, cond, doc))

    getters = {"int": "*attrs->GetInt({c})", "float": "static_cast<double>(*attrs->GetFloat({c}))",
               "bool": "*attrs->GetBool({c})", "str": "attrs->GetStr({c})"}
    adapter_attrs = []
    for a in problem_attrs:
        const = f"ATTR_{a.name.upper()}"
        read = getters[a.type].format(c=const)
        if a.type == "str":
            default = _cstr(str(a.default)) if not a.required else '""'
            stmt = f"p.{a.name} = {read} != nullptr ? {read} : {default};"
        else:
            ptr = {"int": "GetInt", "float": "GetFloat", "bool": "GetBool"}[a.type]
            default = _literal(a.type, a.default) if not a.required else "0"
            stmt = f"p.{a.name} = attrs->{ptr}({const}) != nullptr ? {read} : {default};"
        adapter_attrs.append(AdapterAttr(a.name, const, a.type, stmt))

    adapter_inputs = []
    for t in op.inputs:
        rules = []
        for layout, shape in t.shapes.items():
            syms = "{" + ", ".join(_cstr(str(d)) for d in shape) + "}"
            shown = "[" + ", ".join(str(d) for d in shape) + "]"
            if t.layout_attr:
                cond = f"std::strcmp(p.{t.layout_attr}, {_cstr(layout)}) == 0"
                where = f" for {t.layout_attr}={layout!r}"
            else:
                cond, where = None, ""
            rules.append(ShapeRule(cond, syms, shown, where))
        adapter_inputs.append(AdapterInput(t.name, f"INPUT_{t.name.upper()}", t.optional, tuple(rules)))

    derived = []
    for sym, e in op.derived_dims.items():
        operands = [n for n in e.names() if n in op.dims]
        cond = " && ".join(f"b.bound({_cstr(n)})" for n in operands) or "true"
        derived.append((sym, cond, e.to_cpp(lambda n: f"p.{n}" if n in op.dims else name_cpp(n))))

    return KernelView(
        entry=op.kernel.entry, task_type=f"KERNEL_TYPE_{op.kernel.task_type}",
        twin_mode=f"twin::Mode::{_MODES[op.kernel.task_type]}", header=f"{op.name}_kernel.h",
        tiling_source=f"{op.name}_tiling.cpp", kernel_dir=op.kernel.dir,
        problem=f"{op.op_type}TilingProblem", check_fn=f"{op.op_type}CheckProblem",
        compute_fn=f"{op.op_type}ComputeTiling", run_fn=f"{op.op_type}Run",
        variants=tuple(variants), dims=dims,
        attrs=tuple(MemberView(a.name, _ATTR_CPP[a.type], _comment_text(a.doc)) for a in problem_attrs),
        optional_inputs=optional, attr_checks=tuple(attr_checks), constraint_checks=tuple(checks),
        python_only=tuple(_comment_text(s) for s in python_only),
        skipped_attrs=tuple(a.name for a in op.attrs if a.type not in _ATTR_CPP),
        entry_params=tuple(t.name for t in op.inputs) + tuple(t.name for t in op.outputs),
        adapter_attrs=tuple(adapter_attrs), adapter_inputs=tuple(adapter_inputs), derived=tuple(derived),
        attr_index=tuple((a.name, a.type) for a in problem_attrs),
    )


def _paren(text: str) -> str:
    return text if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]) else f"({text})"


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _comment_text(text: str) -> str:
    return " ".join(text.split())


def _literal(attr_type: str, value) -> str:
    if attr_type == "str":
        return f"std::string({_cstr(str(value))})"
    if attr_type == "bool":
        return "true" if value else "false"
    if attr_type == "float":
        return repr(float(value))
    return f"{int(value)}LL"


def _repr_cpp(kind: str, expr: str) -> str:
    """C++ std::string of Python's repr() of a value."""
    return {"int": f"dsaops::check::repr_int({expr})", "float": f"dsaops::check::repr_float({expr})",
            "str": f"dsaops::check::repr_str({expr})", "bool": f"dsaops::check::repr_bool({expr})"}[kind]


def _sources(op: OpDef, dim: str):
    """(input, layout, axis) binding ``dim``, in opdef input order (as validate.bind binds).

    layout is None for a tensor with a single shape, or for a required tensor that has ``dim`` in
    every layout (after the attr checks, it is then bound whatever the layout).
    """
    out = []
    for t in op.inputs:
        having = [layout for layout, shape in t.shapes.items() if dim in shape]
        if not having:
            continue
        if not t.layout_attr or (not t.optional and len(having) == len(t.shapes)):
            out.append((t, None, None))
            if not t.optional:
                return out  # always bound here: later sources never bind it
            continue
        out.extend((t, layout, t.shapes[layout].index(dim)) for layout in having)
    return out


def _present_in(t, layout) -> str:
    parts = []
    if t.optional:
        parts.append(f"p.has_{t.name}")
    if layout is not None:
        parts.append(f"std::strcmp(dsaops::check::str(p.{t.layout_attr}), {_cstr(layout)}) == 0")
    return " && ".join(parts) or "true"


def _bound_expr(op: OpDef, dim: str) -> str:
    if dim in op.derived_dims:
        operands = [n for n in op.derived_dims[dim].names() if n in op.dims]
        return " && ".join(f"({_bound_expr(op, n)})" for n in operands) or "true"
    alts = [_present_in(t, layout) for t, layout, _ in _sources(op, dim)]
    if "true" in alts:
        return "true"
    return " || ".join(f"({a})" for a in alts) or "false"


def _source_name(op: OpDef, dim: str) -> str:
    """C++ const char*: the input that binds ``dim`` in this call (validate.Binding.dim_source)."""
    text = '""'
    for t, layout, _ in reversed(_sources(op, dim)):
        cond = _present_in(t, layout)
        text = _cstr(t.name) if cond == "true" else f"({cond} ? {_cstr(t.name)} : {text})"
    return text


def _shape_text(op: OpDef, t, attr_types, layout: str | None = None) -> str:
    """C++ std::string "[d0, d1, ...]" of input ``t``'s shape in this call (in ``layout`` when known)."""
    def one(shape):
        parts = []
        for d in shape:
            parts.append(_cstr(str(d)) if isinstance(d, int) else f"dsaops::check::repr_int(p.{d})")
        joined = ' + ", " + '.join(parts)
        return f'std::string("[") + {joined} + "]"'
    if not t.layout_attr:
        return one(t.shapes[None])
    if layout is not None:
        return one(t.shapes[layout])
    text = 'std::string("[]")'
    for name, shape in reversed(list(t.shapes.items())):
        text = f"(std::strcmp(dsaops::check::str(p.{t.layout_attr}), {_cstr(name)}) == 0 ? {one(shape)} : {text})"
    return text


def _constraint_message(op: OpDef, c, attr_types, bound) -> str:
    """C++ std::string expression with the exact text validate._check_constraint produces."""
    cond = f" when {c.when.source}" if c.when is not None else ""
    presence = c.check.presence()
    if presence is not None:
        name, must = presence
        if must:
            return f"std::string({_cstr(f'{op.name}: {name} is required{cond}, got None')})"
        return (f"std::string({_cstr(f'{op.name}: {name} must be None{cond}, got a tensor of shape ')}) + "
                f"{_shape_text(op, op.tensor(name), attr_types)}")
    simple = c.check.simple_comparison()
    names = [n for n in c.check.names() if n in op.dims or n in attr_types]
    dim_names = [n for n in names if n in op.dims]
    if c.message is None and simple is not None and simple[0] in names:
        subject = simple[0]
        if subject in op.dims and subject not in op.derived_dims:
            head = f"std::string({_cstr(op.name + ': ')}) + {_source_name(op, subject)} + {_cstr(' ' + subject)}"
        else:
            head = f"std::string({_cstr(f'{op.name}: {subject}')})"
        kind = "int" if subject in op.dims else attr_types[subject]
        text = f"{head} + {_cstr(f' {c.check.phrase()}{cond}, got ')} + {_repr_cpp(kind, f'p.{subject}')}"
    else:
        what = c.message or f"{c.check.source} must hold"
        text = f"std::string({_cstr(f'{op.name}: {what}{cond}')})"
        shown = []
        for n in names:
            kind = "int" if n in op.dims else attr_types[n]
            shown.append(f"std::string({_cstr(n + '=')}) + {_repr_cpp(kind, f'p.{n}')}")
        if shown:
            text += ' + ", got " + ' + ' + ", " + '.join(shown)
    if len(dim_names) == 1 and dim_names[0] not in op.derived_dims:
        d = dim_names[0]
        suffix = 'std::string("")'
        for t, layout, _ in reversed(_sources(op, d)):
            shown = f"std::string(\" (shape \") + {_shape_text(op, t, attr_types, layout)} + \")\""
            cond = _present_in(t, layout)
            suffix = shown if cond == "true" else f"({cond} ? {shown} : {suffix})"
        text += f" + {suffix}"
    return text


__all__ = ["KernelView", "kernel_view"]
