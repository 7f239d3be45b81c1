// Declaration-only stand-in for the CANN graph types that generated op_host code uses.
// Written for dsaops' tests from the documented API (names and signatures only, no behaviour):
// it lets g++ check that generated files are well-formed C++ against that API on machines
// without CANN. It is not part of any build.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ge {
enum DataType { DT_FLOAT, DT_FLOAT16, DT_INT8, DT_INT32, DT_UINT8, DT_INT16, DT_UINT16, DT_UINT32,
                DT_INT64, DT_UINT64, DT_BOOL, DT_BF16, DT_UNDEFINED };
enum Format { FORMAT_ND, FORMAT_FRACTAL_NZ };
using graphStatus = uint32_t;
constexpr graphStatus GRAPH_SUCCESS = 0;
constexpr graphStatus GRAPH_FAILED = 0xFFFFFFFF;
}  // namespace ge
