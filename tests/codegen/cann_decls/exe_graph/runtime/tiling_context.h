// Declaration-only stand-in for CANN's exe_graph/runtime/tiling_context.h (see graph/types.h): the
// tiling-context API a generated op_host/<op>_tiling.cpp uses, as the CANN 8.x documentation
// declares it (TilingContext, StorageShape, CompileTimeTensorDesc, TilingData, TilingParseContext).
#pragma once
#include <cstddef>
#include <cstdint>
#include "graph/types.h"

namespace fe {
class PlatFormInfos;
}  // namespace fe

namespace gert {
class Shape;
class RuntimeAttrs;

class StorageShape {
public:
    const Shape& GetOriginShape() const;
    const Shape& GetStorageShape() const;
};

class CompileTimeTensorDesc {
public:
    ge::DataType GetDataType() const;
    ge::Format GetOriginFormat() const;
    ge::Format GetStorageFormat() const;
};

class TilingData {
public:
    void* GetData();
    size_t GetCapacity() const;
    size_t GetDataSize() const;
    void SetDataSize(size_t size);
};

class TilingContext {
public:
    const char* GetNodeName() const;
    const char* GetNodeType() const;
    const RuntimeAttrs* GetAttrs() const;
    const CompileTimeTensorDesc* GetInputDesc(size_t index) const;
    const CompileTimeTensorDesc* GetOptionalInputDesc(size_t irIndex) const;
    const CompileTimeTensorDesc* GetOutputDesc(size_t index) const;
    const StorageShape* GetInputShape(size_t index) const;
    const StorageShape* GetOptionalInputShape(size_t irIndex) const;
    const StorageShape* GetOutputShape(size_t index) const;
    fe::PlatFormInfos* GetPlatformInfo() const;
    TilingData* GetRawTilingData();
    template <typename T> T* GetTilingData();
    ge::graphStatus SetBlockDim(uint32_t blockDim);
    uint32_t GetBlockDim() const;
    ge::graphStatus SetTilingKey(uint64_t tilingKey);
    uint64_t GetTilingKey() const;
    size_t* GetWorkspaceSizes(size_t workspaceCount);
};

class TilingParseContext {
public:
    const char* GetNodeName() const;
    fe::PlatFormInfos* GetPlatformInfo() const;
    template <typename T> T* GetCompiledInfo();
};
}  // namespace gert
