// Scalar types of the twin: half (IEEE binary16), bfloat16_t, and the DType tags.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace twin {

// IEEE binary16 stored as _Float16; arithmetic goes through float, so every
// operation rounds once to half exactly like a hardware fp16 store does.
struct half {
    _Float16 v;
    half() = default;
    constexpr half(float f) : v(static_cast<_Float16>(f)) {}
    constexpr half(double f) : v(static_cast<_Float16>(f)) {}
    constexpr half(int f) : v(static_cast<_Float16>(f)) {}
    constexpr half(unsigned f) : v(static_cast<_Float16>(f)) {}
    constexpr half(long f) : v(static_cast<_Float16>(f)) {}
    constexpr half(long long f) : v(static_cast<_Float16>(f)) {}
    constexpr half(unsigned long f) : v(static_cast<_Float16>(f)) {}
    constexpr half(_Float16 f) : v(f) {}
    constexpr operator float() const { return static_cast<float>(v); }
    uint16_t bits() const { uint16_t b; std::memcpy(&b, &v, 2); return b; }
    static half from_bits(uint16_t b) { half h; std::memcpy(&h.v, &b, 2); return h; }
    half& operator+=(float o) { v = static_cast<_Float16>(float(*this) + o); return *this; }
    half& operator-=(float o) { v = static_cast<_Float16>(float(*this) - o); return *this; }
    half& operator*=(float o) { v = static_cast<_Float16>(float(*this) * o); return *this; }
    half& operator/=(float o) { v = static_cast<_Float16>(float(*this) / o); return *this; }
    half operator-() const { return half(-float(*this)); }
};
static_assert(sizeof(half) == 2, "half must be 2 bytes");

// bfloat16: 16-bit storage; float -> bf16 rounds to nearest even, NaN stays a quiet NaN.
struct bfloat16_t {
    uint16_t b;
    bfloat16_t() = default;
    static uint16_t round_bits(float f) {
        uint32_t u;
        std::memcpy(&u, &f, 4);
        if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
        uint32_t lsb = (u >> 16) & 1u;
        u += 0x7fffu + lsb;
        return static_cast<uint16_t>(u >> 16);
    }
    bfloat16_t(float f) : b(round_bits(f)) {}
    bfloat16_t(double f) : b(round_bits(static_cast<float>(f))) {}
    bfloat16_t(int f) : b(round_bits(static_cast<float>(f))) {}
    bfloat16_t(half h) : b(round_bits(float(h))) {}
    operator float() const {
        uint32_t u = static_cast<uint32_t>(b) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    uint16_t bits() const { return b; }
    static bfloat16_t from_bits(uint16_t v) { bfloat16_t r; r.b = v; return r; }
    bfloat16_t& operator+=(float o) { b = round_bits(float(*this) + o); return *this; }
    bfloat16_t& operator-=(float o) { b = round_bits(float(*this) - o); return *this; }
    bfloat16_t& operator*=(float o) { b = round_bits(float(*this) * o); return *this; }
    bfloat16_t& operator/=(float o) { b = round_bits(float(*this) / o); return *this; }
    bfloat16_t operator-() const { return bfloat16_t(-float(*this)); }
};
static_assert(sizeof(bfloat16_t) == 2, "bfloat16_t must be 2 bytes");

enum class DType : int { INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, FP16, BF16, FP32, COUNT };
constexpr int kDTypeCount = static_cast<int>(DType::COUNT);

template <class T> struct always_false : std::false_type {};

template <class T> constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, int8_t>) return DType::INT8;
    else if constexpr (std::is_same_v<T, uint8_t>) return DType::UINT8;
    else if constexpr (std::is_same_v<T, int16_t>) return DType::INT16;
    else if constexpr (std::is_same_v<T, uint16_t>) return DType::UINT16;
    else if constexpr (std::is_same_v<T, int32_t>) return DType::INT32;
    else if constexpr (std::is_same_v<T, uint32_t>) return DType::UINT32;
    else if constexpr (std::is_same_v<T, int64_t>) return DType::INT64;
    else if constexpr (std::is_same_v<T, half>) return DType::FP16;
    else if constexpr (std::is_same_v<T, bfloat16_t>) return DType::BF16;
    else if constexpr (std::is_same_v<T, float>) return DType::FP32;
    else static_assert(always_false<T>::value, "type has no twin::DType");
}

inline const char* dtype_name(DType d) {
    static const char* names[] = {"int8", "uint8", "int16", "uint16", "int32", "uint32",
                                  "int64", "float16", "bfloat16", "float32"};
    int i = static_cast<int>(d);
    return (i >= 0 && i < kDTypeCount) ? names[i] : "?";
}

}  // namespace twin

// Kernels spell these without a namespace, as on the device compiler.
using half = twin::half;
using bfloat16_t = twin::bfloat16_t;
