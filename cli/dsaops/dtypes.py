"""One table of the data types dsaops knows, with every spelling each target needs."""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np


@dataclass(frozen=True)
class DType:
    name: str  # the opdef spelling
    numpy: np.dtype
    ge: str  # CANN graph-engine enum (ge::DataType)
    acl: str  # aclDataType
    torch: str  # torch dtype attribute
    cpp: str  # Ascend C / twin element type
    size: int  # bytes per element


_TABLE = (
    DType("bf16", np.dtype(ml_dtypes.bfloat16), "ge::DT_BF16", "ACL_BF16", "torch.bfloat16", "bfloat16_t", 2),
    DType("fp16", np.dtype(np.float16), "ge::DT_FLOAT16", "ACL_FLOAT16", "torch.float16", "half", 2),
    DType("fp32", np.dtype(np.float32), "ge::DT_FLOAT", "ACL_FLOAT", "torch.float32", "float", 4),
    DType("int8", np.dtype(np.int8), "ge::DT_INT8", "ACL_INT8", "torch.int8", "int8_t", 1),
    DType("uint8", np.dtype(np.uint8), "ge::DT_UINT8", "ACL_UINT8", "torch.uint8", "uint8_t", 1),
    DType("int16", np.dtype(np.int16), "ge::DT_INT16", "ACL_INT16", "torch.int16", "int16_t", 2),
    DType("int32", np.dtype(np.int32), "ge::DT_INT32", "ACL_INT32", "torch.int32", "int32_t", 4),
    DType("int64", np.dtype(np.int64), "ge::DT_INT64", "ACL_INT64", "torch.int64", "int64_t", 8),
    DType("bool", np.dtype(np.bool_), "ge::DT_BOOL", "ACL_BOOL", "torch.bool", "bool", 1),
)

BY_NAME: dict[str, DType] = {d.name: d for d in _TABLE}
_BY_NUMPY: dict[np.dtype, DType] = {d.numpy: d for d in _TABLE}

NAMES: tuple[str, ...] = tuple(BY_NAME)


def lookup(name: str) -> DType:
    return BY_NAME[name]


def of_numpy(dtype: np.dtype) -> DType | None:
    """The DType of a numpy dtype, or None when dsaops does not know it."""
    return _BY_NUMPY.get(np.dtype(dtype))


# Tensor storage formats an opdef may declare, with their CANN spelling.
FORMATS: dict[str, str] = {
    "ND": "ge::FORMAT_ND",
    "FRACTAL_NZ": "ge::FORMAT_FRACTAL_NZ",
}
