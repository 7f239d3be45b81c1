// Capacities of one A2/A3 AI core and the integer helpers every kernel uses (the only copy).
#pragma once

#include "kernel_operator.h"

namespace dsa {
using namespace AscendC;

constexpr uint32_t UB_BYTES = 196608;
constexpr uint32_t UB_USABLE_BYTES = 188416;  // the top 8 KB are scratch for some APIs
constexpr uint32_t L1_BYTES = 524288;
constexpr uint32_t L0A_BYTES = 65536;
constexpr uint32_t L0B_BYTES = 65536;
constexpr uint32_t L0C_BYTES = 131072;
constexpr uint32_t BLOCK_BYTES = 32;     // UB / L1 access unit
constexpr uint32_t REPEAT_BYTES = 256;   // one vector repeat
constexpr uint32_t FRACTAL_BYTES = 512;  // one L0A / L0B fractal

template <class T> __aicore__ constexpr T CeilDiv(T a, T b) { return (a + b - 1) / b; }
template <class T> __aicore__ constexpr T Align(T a, T b) { return (a + b - 1) / b * b; }
template <class T> __aicore__ constexpr T Min(T a, T b) { return a < b ? a : b; }
template <class T> __aicore__ constexpr T Max(T a, T b) { return a > b ? a : b; }
}  // namespace dsa
