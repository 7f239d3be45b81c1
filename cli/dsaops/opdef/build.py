"""Build the model from located plain data, checking every cross-reference.

All problems go to the file's ``Issues``; ``build_opdef`` returns None when the
file had any, so a broken file never yields a half-valid model.
"""

from __future__ import annotations

from .. import dtypes as dt
from ..errors import Location
from . import expr as ex
from .model import (REQUIRED, Attr, Case, Constraint, Dim, Kernel, OpDef, Param, Tensor, Tiling,
                    TilingField, Variant, frozen_map)
from .reader import Issues, LDict, did_you_mean

KNOWN_SOCS = ("ascend910b", "ascend910_93")
_ATTR_PY = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,)}


def _type_ok(attr_type: str, value) -> bool:
    if attr_type == "list_int":
        return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    if attr_type in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, _ATTR_PY[attr_type])


def build_opdef(data: LDict, stem: str, issues: Issues) -> OpDef | None:
    start = len(issues)
    loc = lambda line: Location(issues.display, line)  # noqa: E731

    name = data.get("name")
    if name is not None and name != stem:
        issues.add(data.line_of("name"), f"name {name!r} does not match the file name {stem!r}",
                   f"rename the file to {name}.yaml or set name: {stem}")

    socs = tuple(data.get("socs", ()))
    for i, soc in enumerate(socs):
        if soc not in KNOWN_SOCS:
            issues.add(data["socs"].lines[i], f"socs: unknown SoC {soc!r}",
                       lambda: did_you_mean(soc, KNOWN_SOCS) or "known: " + ", ".join(KNOWN_SOCS))

    dims = {k: Dim(k, v) for k, v in data.get("dims", {}).items()}

    # ---- attrs ------------------------------------------------------------
    attrs: list[Attr] = []
    for i, a in enumerate(data.get("attrs", ())):
        attrs.append(_build_attr(a, i, issues, loc))
    attrs = [a for a in attrs if a is not None]
    attr_by_name = {}
    for a in attrs:
        if a.name in attr_by_name:
            issues.add(a.location.line, f"attr {a.name!r} is declared twice")
        attr_by_name[a.name] = a

    # ---- tensors ----------------------------------------------------------
    tensors: list[Tensor] = []
    for is_output, key in ((False, "inputs"), (True, "outputs")):
        for i, t in enumerate(data.get(key, ())):
            built = _build_tensor(t, i, is_output, key, dims, attr_by_name, issues, loc)
            if built is not None:
                tensors.append(built)
    tensor_by_name: dict[str, Tensor] = {}
    for t in tensors:
        if t.name in tensor_by_name:
            issues.add(t.location.line, f"tensor {t.name!r} is declared twice")
        elif t.name in attr_by_name:
            issues.add(t.location.line, f"{t.name!r} is both a tensor and an attr")
        elif t.name in dims:
            issues.add(t.location.line, f"{t.name!r} is both a tensor and a dim")
        tensor_by_name[t.name] = t
    for a in attrs:
        if a.name in dims:
            issues.add(a.location.line, f"{a.name!r} is both an attr and a dim")
    inputs = tuple(t for t in tensors if not t.is_output)
    outputs = tuple(t for t in tensors if t.is_output)
    for t in outputs:
        if t.optional:
            issues.add(t.location.line, f"output {t.name!r} cannot be optional")
        if t.aliases is not None and not (t.aliases in tensor_by_name and not tensor_by_name[t.aliases].is_output):
            issues.add(t.location.line, f"output {t.name!r} aliases {t.aliases!r}, which is not an input",
                       lambda: did_you_mean(t.aliases, [x.name for x in inputs]))
    for t in inputs:
        if t.aliases is not None:
            issues.add(t.location.line, f"input {t.name!r}: only outputs may alias an input")

    derived = _build_derived(data, dims, attr_by_name, inputs, issues)
    for t in outputs:
        if t.aliases is not None:
            continue
        reported = set()
        for layout, shape in t.shapes.items():
            for d in shape:
                if isinstance(d, str) and d not in reported and not _dim_bound(d, inputs, derived, attr_by_name,
                                                                                t.layout_attr, layout):
                    reported.add(d)
                    where = f" in layout {layout!r}" if layout is not None else ""
                    issues.add(t.location.line, f"output {t.name!r}: dim {d!r} is bound by no input shape{where}",
                               "bind it in an input shape, or compute it under derived_dims (e.g. s1: t // b)")
    used_dims = {d for t in tensors for shape in t.shapes.values() for d in shape if isinstance(d, str)}
    for d in dims:
        if d not in used_dims:
            issues.add(data["dims"].line_of(d), f"dim {d!r} is declared but no shape uses it",
                       "remove it or use it in a tensor shape")

    # ---- signature ----------------------------------------------------------
    signature = _build_signature(data, tensor_by_name, attr_by_name, issues)

    # ---- dtypes -------------------------------------------------------------
    variants = _build_variants(data.get("dtypes"), tensors, issues, loc)

    # ---- constraints --------------------------------------------------------
    constraints = []
    for i, c in enumerate(data.get("constraints", ())):
        built = _build_constraint(c, dims, attr_by_name, tensor_by_name, issues, loc)
        if built is not None:
            constraints.append(built)

    # ---- tiling, kernel, cases ------------------------------------------------
    tiling = None
    if "tiling" in data:
        fields = tuple(TilingField(f["name"], f["type"], f["doc"]) for f in data["tiling"].get("fields", ())
                       if {"name", "type", "doc"} <= f.keys())
        seen = set()
        for f, line in zip(fields, data["tiling"].get("fields", LDict(0)).lines or []):
            if f.name in seen:
                issues.add(line, f"tiling field {f.name!r} is declared twice")
            seen.add(f.name)
        tiling = Tiling(data["tiling"].get("struct", ""), fields)
    kernel = None
    if "kernel" in data:
        k = data["kernel"]
        kernel = Kernel(k.get("dir", ""), k.get("entry") or (name or stem), k.get("task_type", ""))

    cases = {}
    if "cases" in data:
        seen_ids: dict[str, int] = {}
        for tier in ("smoke", "full"):
            built = []
            for c in data["cases"].get(tier, ()):
                if "id" not in c or "params" not in c:
                    continue
                if c["id"] in seen_ids:
                    issues.add(c.line, f"case id {c['id']!r} is used twice (first at line {seen_ids[c['id']]})",
                               "case ids are unique across smoke and full")
                    continue
                seen_ids[c["id"]] = c.line
                built.append(Case(name or stem, tier, c["id"], frozen_map(c["params"]), c.get("doc", ""),
                                  loc(c.line)))
            cases[tier] = tuple(built)

    if len(issues) > start:
        return None
    index = {**tensor_by_name, **attr_by_name}
    return OpDef(
        name=name, op_type=data["op_type"], torch=data["torch"], summary=data["summary"].strip(),
        seed=data.get("seed"), socs=socs, dims=frozen_map(dims), derived_dims=frozen_map(derived), inputs=inputs, outputs=outputs,
        attrs=tuple(attrs), signature=signature, variants=variants, constraints=tuple(constraints),
        tiling=tiling, kernel=kernel, golden=data.get("golden"), cases=frozen_map(cases),
        location=loc(1), _index=frozen_map(index), key_lines=frozen_map(data.lines),
    )


def _dim_bound(sym, inputs, derived, attrs, want_attr, want_layout, seen=frozenset()) -> bool:
    """Whether InferShape can compute ``sym`` for an output shape in layout ``want_layout`` of ``want_attr``.

    An input without layout_attr binds its dims always; one with the same layout_attr only in
    the same layout; one with another layout_attr in any of its layouts (chosen at run time).
    A derived dim is bound when every name of its expression is.
    """
    if sym in attrs:
        return True
    if sym in derived:
        return sym not in seen and all(_dim_bound(n, inputs, derived, attrs, want_attr, want_layout, seen | {sym})
                                       for n in derived[sym].names())
    for t in inputs:
        for layout, shape in t.shapes.items():
            if sym in shape and (t.layout_attr is None or t.layout_attr != want_attr or layout == want_layout):
                return True
    return False


def _build_derived(data, dims, attrs, inputs, issues: Issues) -> dict:
    out = {}
    table = data.get("derived_dims", {})
    input_dims = {d for t in inputs for shape in t.shapes.values() for d in shape if isinstance(d, str)}
    for sym, source in table.items():
        line = table.line_of(sym)
        if sym not in dims:
            issues.add(line, f"derived_dims: {sym!r} is not declared under dims", "declare it with its meaning")
            continue
        if sym in input_dims:
            issues.add(line, f"derived_dims: {sym!r} is bound by an input shape",
                       "state the relation as a constraint instead")
            continue
        try:
            e = ex.parse(source)
        except ex.ExprError as err:
            issues.add(line, f"derived_dims.{sym}: {err.message}", err.hint)
            continue
        for n in e.names():
            if n not in input_dims and n not in attrs and n not in out:
                issues.add(line, f"derived_dims.{sym}: {n!r} is neither an input dim, an attr nor an earlier derived dim",
                           lambda: did_you_mean(n, list(input_dims) + list(attrs)))
                break
        else:
            out[sym] = e
    return out


def _build_attr(a: LDict, index: int, issues: Issues, loc) -> Attr | None:
    if not {"name", "type", "doc"} <= a.keys():
        return None
    name, typ = a["name"], a["type"]
    ok = True
    default = a.get("default", REQUIRED)
    choices = tuple(a["choices"]) if "choices" in a else None
    rng = tuple(a["range"]) if "range" in a else None
    if default is not REQUIRED and not _type_ok(typ, default):
        issues.add(a.line_of("default"), f"attr {name!r}: default {default!r} is not of type {typ}",
                   "defaults are scalars: remove it (the attr is then required)" if typ == "list_int" else
                   f"write a {typ} default" + (f" within {list(rng)}" if rng is not None else ""))
        ok = False
    if choices is not None:
        for i, c in enumerate(choices):
            if not _type_ok(typ, c):
                issues.add(a["choices"].lines[i], f"attr {name!r}: choice {c!r} is not of type {typ}")
                ok = False
        if ok and default is not REQUIRED and default not in choices:
            issues.add(a.line_of("default"), f"attr {name!r}: default {default!r} is not one of the choices {list(choices)}",
                       "a seed default that is not supported belongs in a constraint, not in choices")
            ok = False
    if rng is not None:
        if typ not in ("int", "float"):
            issues.add(a.line_of("range"), f"attr {name!r}: range needs type int or float, got {typ}")
            ok = False
        elif len(rng) != 2 or rng[0] > rng[1]:
            issues.add(a.line_of("range"), f"attr {name!r}: range must be [min, max] with min <= max, got {list(rng)}")
            ok = False
        elif ok and default is not REQUIRED and not (rng[0] <= default <= rng[1]):
            issues.add(a.line_of("default"), f"attr {name!r}: default {default!r} is outside the range {list(rng)}")
            ok = False
        if choices is not None:
            issues.add(a.line_of("range"), f"attr {name!r}: give either choices or range, not both")
            ok = False
    # Even an invalid attr is returned (the file already failed) so that tensors and
    # constraints referring to it do not report follow-on errors.
    return Attr(name, a["doc"], typ, default, choices, rng, index, loc(a.line))


def _build_tensor(t: LDict, index: int, is_output: bool, key: str, dims, attrs, issues: Issues, loc) -> Tensor | None:
    if not {"name", "doc"} <= t.keys():
        return None
    name = t["name"]
    where = f"{key[:-1]} {name!r}"
    layout_attr = t.get("layout_attr")
    if layout_attr is not None:
        if "shape" in t:
            issues.add(t.line_of("shape"), f"{where}: give 'shapes' (per layout) or 'shape', not both")
            return None
        if "shapes" not in t:
            issues.add(t.line, f"{where}: layout_attr needs 'shapes' (one shape per layout value)")
            return None
        attr = attrs.get(layout_attr)
        if attr is None or attr.type != "str" or attr.choices is None:
            issues.add(t.line_of("layout_attr"), f"{where}: layout_attr {layout_attr!r} must name a str attr with choices",
                       lambda: did_you_mean(layout_attr, attrs) if attr is None else
                       f"{layout_attr!r} is an attr of type {attr.type}" + (" without choices" if attr.type == "str" else ""))
            return None
        shapes = dict(t["shapes"])
        missing = [c for c in attr.choices if c not in shapes]
        extra = [s for s in shapes if s not in attr.choices]
        for s in extra:
            issues.add(t["shapes"].line_of(s), f"{where}: layout {s!r} is not a choice of {layout_attr} {list(attr.choices)}")
        if missing:
            issues.add(t.line_of("shapes"), f"{where}: no shape for layout(s) {missing} of {layout_attr}")
        if missing or extra:
            return None
        shape_lines = {k: t["shapes"].line_of(k) for k in shapes}
    else:
        if "shapes" in t:
            issues.add(t.line_of("shapes"), f"{where}: 'shapes' needs a layout_attr")
            return None
        if "shape" not in t:
            issues.add(t.line, f"{where}: missing 'shape'")
            return None
        shapes = {None: t["shape"]}
        shape_lines = {None: t.line_of("shape")}
    ok = True
    for layout, shape in shapes.items():
        for d in shape:
            if isinstance(d, int):
                if d < 1:
                    issues.add(shape_lines[layout], f"{where}: literal dim {d} must be >= 1")
                    ok = False
            elif d not in dims and not (d in attrs and attrs[d].type == "int"):
                issues.add(shape_lines[layout], f"{where}: shape uses {d!r}, which is neither a declared dim nor an int attr",
                           lambda: f"{d!r} is an attr of type {attrs[d].type}; shapes take dims and int attrs" if d in attrs else
                           did_you_mean(d, list(dims) + list(attrs)) or "declare it under dims:")
                ok = False
    if not ok:
        return None
    return Tensor(name=name, doc=t["doc"], is_output=is_output, index=index, optional=t.get("optional", False),
                  format=t.get("format", "ND"), layout_attr=layout_attr,
                  shapes=frozen_map({k: tuple(v) for k, v in shapes.items()}), aliases=t.get("aliases"),
                  location=loc(t.line))


def _build_signature(data, tensors, attrs, issues: Issues) -> tuple[Param, ...]:
    sig = data.get("signature")
    if sig is None:
        return ()
    params: list[Param] = []
    keyword_only = False
    seen: set[str] = set()
    for i, entry in enumerate(sig):
        line = sig.lines[i]
        if entry == "*":
            if keyword_only:
                issues.add(line, "signature: '*' appears twice")
            keyword_only = True
            continue
        if entry in seen:
            issues.add(line, f"signature: {entry!r} appears twice")
            continue
        seen.add(entry)
        if entry in tensors and not tensors[entry].is_output:
            t = tensors[entry]
            params.append(Param(entry, "tensor", keyword_only, None if t.optional else REQUIRED))
        elif entry in attrs:
            params.append(Param(entry, "attr", keyword_only, attrs[entry].default))
        elif entry in tensors:
            issues.add(line, f"signature: {entry!r} is an output; outputs are returned, not passed")
        else:
            issues.add(line, f"signature: {entry!r} is neither an input nor an attr",
                       lambda: did_you_mean(entry, list(tensors) + list(attrs)))
    for name, t in tensors.items():
        if not t.is_output and name not in seen:
            issues.add(sig.line, f"signature: input {name!r} is missing")
    for name in attrs:
        if name not in seen:
            issues.add(sig.line, f"signature: attr {name!r} is missing")
    seen_default = None
    for p in params:
        if p.keyword_only:
            break
        if p.default is not REQUIRED:
            seen_default = p.name
        elif seen_default is not None:
            issues.add(sig.line, f"signature: positional parameter {p.name!r} without a default follows "
                                 f"{seen_default!r}, which has one", "move it before, or after '*'")
    return tuple(params)


def _build_variants(data: LDict | None, tensors, issues: Issues, loc) -> tuple[Variant, ...]:
    if data is None or "columns" not in data or "rows" not in data:
        return ()
    columns = list(data["columns"])
    names = [t.name for t in tensors]
    ok = True
    for i, c in enumerate(columns):
        if c not in names:
            issues.add(data["columns"].lines[i], f"dtypes.columns: {c!r} is not a tensor of this op", lambda: did_you_mean(c, names))
            ok = False
        elif columns.index(c) != i:
            issues.add(data["columns"].lines[i], f"dtypes.columns: {c!r} appears twice")
            ok = False
    missing = [n for n in names if n not in columns]
    if missing:
        issues.add(data.line_of("columns"), f"dtypes.columns: missing tensor(s) {missing}",
                   "every input and output needs a dtype in each row")
        ok = False
    variants = []
    seen_rows: dict[tuple, str] = {}
    for vid, row in data["rows"].items():
        line = data["rows"].line_of(vid)
        if len(row) != len(columns):
            issues.add(line, f"dtypes.rows.{vid}: {len(row)} dtypes for {len(columns)} columns")
            ok = False
            continue
        bad = [d for d in row if d not in dt.BY_NAME]
        for d in bad:
            issues.add(line, f"dtypes.rows.{vid}: unknown dtype {d!r}",
                       lambda: did_you_mean(d, dt.NAMES) or "known: " + ", ".join(dt.NAMES))
        if bad:
            ok = False
            continue
        if tuple(row) in seen_rows:
            issues.add(line, f"dtypes.rows.{vid}: same dtypes as row {seen_rows[tuple(row)]!r}")
            ok = False
        seen_rows[tuple(row)] = vid
        variants.append(Variant(vid, frozen_map({c: dt.lookup(d) for c, d in zip(columns, row)}), loc(line)))
    if not ok:
        return ()
    # keep tensor declaration order inside each variant
    return tuple(Variant(v.id, frozen_map({n: v.dtypes[n] for n in names}), v.location) for v in variants)


def _build_constraint(c: LDict, dims, attrs, tensors, issues: Issues, loc) -> Constraint | None:
    if "check" not in c:
        return None
    parsed = {}
    for key in ("check", "when"):
        if key not in c:
            continue
        try:
            e = ex.parse(c[key])
        except ex.ExprError as err:
            issues.add(c.line_of(key), f"constraint {key}: {err.message}", err.hint)
            return None
        tensor_args = set(ex.tensor_args(e))
        for n in e.names():
            if n in tensor_args:
                if n not in tensors:
                    issues.add(c.line_of(key), f"constraint {key}: {n!r} is not a tensor of this op",
                               lambda: did_you_mean(n, tensors))
                    return None
            elif n not in dims and n not in attrs and n not in ("True", "False"):
                hint = did_you_mean(n, list(dims) + list(attrs))
                if n in tensors:
                    hint = f"a tensor is used through a function, e.g. present({n})"
                issues.add(c.line_of(key), f"constraint {key}: unknown name {n!r} in {c[key]!r}", hint)
                return None
        parsed[key] = e
    return Constraint(parsed["check"], parsed.get("when"), c.get("message"), loc(c.line))
