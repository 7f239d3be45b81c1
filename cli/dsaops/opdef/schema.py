"""JSON Schema of the opdef format, generated from ``spec.OBJECTS``."""

from __future__ import annotations

import json

from . import spec

SCHEMA_ID = "https://dsaops.invalid/schema/opdef.schema.json"


def _type_schema(typ: spec.Type) -> dict:
    if typ.kind == "obj":
        return {"$ref": f"#/$defs/{typ.obj}"}
    if typ.kind == "list":
        return {"type": "array", "items": _type_schema(typ.item)}
    if typ.kind == "map":
        out: dict = {"type": "object", "additionalProperties": _type_schema(typ.item)}
        if typ.pattern:
            out = {"type": "object", "patternProperties": {typ.pattern: _type_schema(typ.item)},
                   "additionalProperties": False}
        return out
    base = {
        "str": {"type": "string"},
        "int": {"type": "integer"},
        "number": {"type": "number"},
        "bool": {"type": "boolean"},
        "dim": {"type": ["string", "integer"]},
        "scalar": {"type": ["string", "number", "boolean"]},
        "case_value": {"anyOf": [{"type": ["string", "number", "boolean"]},
                                 {"type": "array", "items": {"type": ["string", "number", "boolean"]}}]},
    }[typ.kind]
    out = dict(base)
    if typ.enum is not None:
        out["enum"] = list(typ.enum)
    if typ.pattern is not None:
        out["pattern"] = typ.pattern
    return out


def _object_schema(kind: str) -> dict:
    props = {}
    for f in spec.OBJECTS[kind]:
        prop = _type_schema(f.type)
        prop = {"description": f.doc, **prop} if "$ref" not in prop else {"description": f.doc, "allOf": [prop]}
        if f.has_default:
            prop["default"] = f.default
        props[f.key] = prop
    return {
        "type": "object",
        "properties": props,
        "required": [f.key for f in spec.OBJECTS[kind] if f.required],
        "additionalProperties": False,
    }


def opdef_schema() -> dict:
    defs = {kind: _object_schema(kind) for kind in spec.OBJECTS if kind != "opdef"}
    top = _object_schema("opdef")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dsaops op definition",
        **top,
        "$defs": defs,
    }


def opdef_schema_text() -> str:
    return json.dumps(opdef_schema(), indent=2, sort_keys=False) + "\n"
