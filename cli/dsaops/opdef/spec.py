"""The opdef file format, declared once.

``OBJECTS`` lists every object kind of an opdef file with its keys, their types,
whether they are required and what they mean. The strict reader (``reader.py``)
and the published JSON Schema (``schema.py``) are both driven from this table, so
the format is stated in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

IDENT = r"^[a-z][a-z0-9_]*$"
SYMBOL = r"^[A-Za-z][A-Za-z0-9_]*$"


@dataclass(frozen=True)
class Type:
    kind: str  # str | int | number | bool | dim | scalar | list | map | obj
    item: "Type | None" = None  # element type of list / value type of map
    obj: str | None = None  # object kind for kind == "obj"
    pattern: str | None = None  # regex for strings (and map keys)
    enum: tuple | None = None  # allowed values

    def describe(self) -> str:
        if self.kind == "list":
            return f"a list of {self.item.describe_plural()}"
        if self.kind == "map":
            return f"a mapping to {self.item.describe_plural()}"
        if self.kind == "obj":
            return f"a mapping ({self.obj})"
        if self.enum:
            return "one of " + ", ".join(repr(e) for e in self.enum)
        return {
            "str": "a string",
            "int": "an integer",
            "number": "a number",
            "bool": "a boolean (true/false)",
            "dim": "a dim symbol, an attr name or an integer",
            "scalar": "a string, number or boolean",
            "case_value": "a scalar or a list of scalars",
        }[self.kind]

    def describe_plural(self) -> str:
        if self.kind == "obj":
            return f"{self.obj} mappings"
        if self.kind == "list":
            return f"lists of {self.item.describe_plural()}"
        if self.enum:
            return "values in " + ", ".join(repr(e) for e in self.enum)
        return {
            "str": "strings",
            "int": "integers",
            "number": "numbers",
            "bool": "booleans",
            "dim": "dims (symbols, attr names or integers)",
            "scalar": "scalars",
            "case_value": "scalars or lists of scalars",
            "map": "mappings",
        }[self.kind]


def S(pattern: str | None = None, enum: tuple | None = None) -> Type:
    return Type("str", pattern=pattern, enum=enum)


def L(item: Type) -> Type:
    return Type("list", item=item)


def M(item: Type, key_pattern: str | None = None) -> Type:
    return Type("map", item=item, pattern=key_pattern)


def O(name: str) -> Type:
    return Type("obj", obj=name)


INT = Type("int")
NUMBER = Type("number")
BOOL = Type("bool")
DIM = Type("dim")
SCALAR = Type("scalar")
CASE_VALUE = Type("case_value")

_MISSING = object()


@dataclass(frozen=True)
class Field:
    key: str
    type: Type
    doc: str
    required: bool = False
    default: object = _MISSING

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING


ATTR_TYPES = ("int", "float", "str", "bool", "list_int")
TASK_TYPES = ("AIV_ONLY", "AIC_ONLY", "MIX_AIC_1_1", "MIX_AIC_1_2")
TILING_TYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float")
FORMAT_NAMES = ("ND", "FRACTAL_NZ")

OBJECTS: dict[str, tuple[Field, ...]] = {
    "opdef": (
        Field("name", S(IDENT), "Op name in snake_case; equals the file name without .yaml.", required=True),
        Field("op_type", S(r"^[A-Z][A-Za-z0-9]*$"), "CANN op type (OpDef class name), CamelCase.", required=True),
        Field("torch", S(r"^[a-z_]+\.[a-z_][a-z0-9_]*$"), "Torch-facing name, namespace.op (e.g. custom.npu_lightning_indexer).", required=True),
        Field("summary", S(), "One paragraph: what the op computes.", required=True),
        Field("seed", S(), "The source document this op was defined from (file in shared/seeds)."),
        Field("socs", L(S(IDENT)), "SoCs the op is built for (CANN AddConfig names).", default=["ascend910b", "ascend910_93"]),
        Field("dims", M(S(), SYMBOL), "Symbolic dims used in shapes, each with its meaning.", required=True),
        Field("derived_dims", M(S(), SYMBOL), "Dims computed from other dims and attrs, symbol -> expression (e.g. s1: t // b); each is also declared under dims.", default={}),
        Field("inputs", L(O("tensor")), "Input tensors in OpDef (kernel argument) order.", required=True),
        Field("outputs", L(O("tensor")), "Output tensors in OpDef order.", required=True),
        Field("attrs", L(O("attr")), "Attributes in OpDef order.", default=[]),
        Field("signature", L(S(r"^([a-z][a-z0-9_]*|\*)$")), "Python/torch parameter order: every input and attr once; '*' starts the keyword-only part.", required=True),
        Field("dtypes", O("dtypes"), "Supported dtype combinations.", required=True),
        Field("constraints", L(O("constraint")), "Checks on dims, attrs and tensors beyond shapes and dtypes.", default=[]),
        Field("tiling", O("tiling"), "The tiling struct shared by host and kernel.", required=True),
        Field("kernel", O("kernel"), "Where the hand-written Ascend C kernel lives and how it launches.", required=True),
        Field("golden", S(IDENT), "Name of the numpy golden reference in dsaops.golden."),
        Field("cases", O("cases"), "Case catalogs (smoke, full) for golden and kernel verification."),
    ),
    "tensor": (
        Field("name", S(IDENT), "Parameter name.", required=True),
        Field("doc", S(), "What the tensor holds.", required=True),
        Field("optional", BOOL, "The tensor may be omitted (None).", default=False),
        Field("format", S(enum=FORMAT_NAMES), "Storage format on the device.", default="ND"),
        Field("layout_attr", S(IDENT), "Attr whose value selects the shape from 'shapes'."),
        Field("shapes", M(L(DIM), r"^[A-Z][A-Z0-9_]*$"), "Shape for each layout value of layout_attr."),
        Field("shape", L(DIM), "Shape when the tensor has no layout_attr."),
        Field("aliases", S(IDENT), "For an output updated in place: the input it aliases."),
    ),
    "attr": (
        Field("name", S(IDENT), "Parameter name.", required=True),
        Field("doc", S(), "What the attr controls.", required=True),
        Field("type", S(enum=ATTR_TYPES), "Attr type.", required=True),
        Field("default", SCALAR, "Default value; an attr without one is required."),
        Field("choices", L(SCALAR), "The allowed values."),
        Field("range", L(NUMBER), "Inclusive [min, max] of allowed values."),
    ),
    "dtypes": (
        Field("columns", L(S(IDENT)), "Tensor names, each input and output exactly once.", required=True),
        Field("rows", M(L(S()), IDENT), "Variant id -> one dtype per column.", required=True),
    ),
    "constraint": (
        Field("check", S(), "Boolean expression that must hold.", required=True),
        Field("when", S(), "Boolean expression: the check applies only when it holds."),
        Field("message", S(), "What must hold, for the error message (generated from 'check' if absent)."),
    ),
    "tiling": (
        Field("struct", S(r"^[A-Z][A-Za-z0-9]*$"), "C++ struct name.", required=True),
        Field("fields", L(O("tiling_field")), "Struct members in order.", required=True),
    ),
    "tiling_field": (
        Field("name", S(r"^[a-z][A-Za-z0-9]*$"), "Member name (lowerCamelCase).", required=True),
        Field("type", S(enum=TILING_TYPES), "Member type.", required=True),
        Field("doc", S(), "Meaning of the member.", required=True),
    ),
    "kernel": (
        Field("dir", S(IDENT), "Folder under ascendc/ holding the kernel sources.", required=True),
        Field("entry", S(IDENT), "Kernel entry function name (defaults to the op name)."),
        Field("task_type", S(enum=TASK_TYPES), "KERNEL_TASK_TYPE of the kernel.", required=True),
    ),
    "cases": (
        Field("smoke", L(O("case")), "Quick cases covering every layout and mode.", default=[]),
        Field("full", L(O("case")), "Realistic DeepSeek-V3.2 shapes.", default=[]),
    ),
    "case": (
        Field("id", S(IDENT), "Stable case identifier; the case is addressed as <op>/<id>.", required=True),
        Field("params", M(CASE_VALUE, r"^[A-Za-z][A-Za-z0-9_]*$"), "Generator knobs of the case.", required=True),
        Field("doc", S(), "What the case exercises."),
    ),
}
