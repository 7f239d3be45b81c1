// Declaration-only stand-in for CANN's register/op_def_registry.h (see graph/types.h).
#pragma once
#include <vector>
#include "graph/types.h"

namespace ops {
enum Option { REQUIRED, OPTIONAL, DYNAMIC };

class OpParamDef {
public:
    OpParamDef& ParamType(Option type);
    OpParamDef& DataType(std::vector<ge::DataType> types);
    OpParamDef& Format(std::vector<ge::Format> formats);
    // deprecated in CANN 8.x ("use Format"): the generated code must not call it (-Werror catches it)
    [[deprecated("use Format")]] OpParamDef& UnknownShapeFormat(std::vector<ge::Format> formats);
    OpParamDef& AutoContiguous();
};

class OpAttrDef {
public:
    OpAttrDef& AttrType(Option type);
    OpAttrDef& Int();
    OpAttrDef& Int(int64_t value);
    OpAttrDef& Float();
    OpAttrDef& Float(float value);
    OpAttrDef& String();
    OpAttrDef& String(const char* value);
    OpAttrDef& Bool();
    OpAttrDef& Bool(bool value);
    OpAttrDef& ListInt();
    OpAttrDef& ListInt(std::vector<int64_t> value);
};

class OpAICoreConfig {
public:
    OpAICoreConfig& DynamicCompileStaticFlag(bool flag);
    OpAICoreConfig& DynamicFormatFlag(bool flag);
    OpAICoreConfig& DynamicRankSupportFlag(bool flag);
    OpAICoreConfig& DynamicShapeSupportFlag(bool flag);
    OpAICoreConfig& NeedCheckSupportFlag(bool flag);
    OpAICoreConfig& PrecisionReduceFlag(bool flag);
    OpAICoreConfig& ExtendCfgInfo(const char* key, const char* value);
};

class OpAICoreDef {
public:
    void AddConfig(const char* soc);
    void AddConfig(const char* soc, OpAICoreConfig& config);
};

class OpDef {
public:
    explicit OpDef(const char* type);
    OpParamDef& Input(const char* name);
    OpParamDef& Output(const char* name);
    OpAttrDef& Attr(const char* name);
    OpAICoreDef& AICore();
};
}  // namespace ops

#define OP_ADD(opType) static ops::opType* g_dsaopsRegistered##opType = nullptr
