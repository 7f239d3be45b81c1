// Declaration-only stand-in for CANN's register/op_impl_registry.h (see graph/types.h).
#pragma once
#include "graph/types.h"
#include "exe_graph/runtime/tiling_context.h"

namespace gert {
class Shape {
public:
    size_t GetDimNum() const;
    int64_t GetDim(size_t index) const;
    Shape& SetDimNum(size_t num);
    Shape& SetDim(size_t index, int64_t value);
};

class RuntimeAttrs {
public:
    template <class T> const T* GetAttrPointer(size_t index) const;
    const int64_t* GetInt(size_t index) const;
    const float* GetFloat(size_t index) const;
    const bool* GetBool(size_t index) const;
    const char* GetStr(size_t index) const;
};

class InferShapeContext {
public:
    const Shape* GetInputShape(size_t index) const;
    Shape* GetOutputShape(size_t index);
    const RuntimeAttrs* GetAttrs() const;
};

class InferDataTypeContext {
public:
    ge::DataType GetInputDataType(size_t index) const;
    ge::graphStatus SetOutputDataType(size_t index, ge::DataType type);
};

using InferShapeFunc = ge::graphStatus (*)(InferShapeContext*);
using InferDataTypeFunc = ge::graphStatus (*)(InferDataTypeContext*);
using TilingKernelFunc = ge::graphStatus (*)(TilingContext*);
using TilingParseFunc = ge::graphStatus (*)(TilingParseContext*);

class OpImplRegister {
public:
    explicit OpImplRegister(const char* type);
    OpImplRegister& InferShape(InferShapeFunc func);
    OpImplRegister& InferDataType(InferDataTypeFunc func);
    OpImplRegister& Tiling(TilingKernelFunc func, size_t max_tiling_data_size = 2048);
    template <class CompileInfo> OpImplRegister& TilingParse(TilingParseFunc func);
};
}  // namespace gert

#define IMPL_OP_INFERSHAPE(opType) static gert::OpImplRegister g_dsaopsImpl##opType = gert::OpImplRegister(#opType)
#define IMPL_OP_OPTILING(opType) static gert::OpImplRegister g_dsaopsTiling##opType = gert::OpImplRegister(#opType)
