// Mmad's arithmetic: the L0A (Zz) and L0B (Zn) operands are converted once per call into dense
// row-major scratch (A: Mp x k, B: k x Np, Mp/Np rounded up to 16 as the hardware computes them), then a
// register-blocked 4 x 8 (16 for int8) outer-product loop accumulates each output sequentially over k,
// written with GCC vector extensions so it vectorises at any -O level; an AVX2 build of the same loop is
// chosen at run time when the host has it.
//
// Results equal the twin's element-by-element definition bit for bit: a product of two half or two
// bfloat16 values is exact in double and every output is summed in double in k order, then rounded once
// to float; int8 products are summed exactly in int32 (|sum| <= 4095 * 16384 < 2^31).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "types.h"

namespace twin {
namespace cube {

template <class TA> using acc_t = std::conditional_t<std::is_same_v<TA, int8_t>, int32_t, double>;

// dst[i * ld + j] (+)= sum_k a[i * K + k] * b[k * Np + j] for i < Mp, j < Np; Mp % 4 == 0, Np % 16 == 0.
#define TWIN_MMAD_BLOCKED(NAME, ATTR)                                                                       \
    template <class Acc>                                                                                     \
    ATTR inline void NAME(const Acc* a, const Acc* b, Acc* out, uint64_t Mp, uint64_t Np, uint64_t K) {      \
        constexpr int L = 32 / int(sizeof(Acc));                                                             \
        typedef Acc V __attribute__((vector_size(32)));                                                      \
        for (uint64_t i0 = 0; i0 < Mp; i0 += 4)                                                              \
            for (uint64_t j0 = 0; j0 < Np; j0 += 2 * L) {                                                    \
                V c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};            \
                const Acc* a0 = a + (i0 + 0) * K;                                                            \
                const Acc* a1 = a + (i0 + 1) * K;                                                            \
                const Acc* a2 = a + (i0 + 2) * K;                                                            \
                const Acc* a3 = a + (i0 + 3) * K;                                                            \
                for (uint64_t k = 0; k < K; ++k) {                                                           \
                    V b0, b1;                                                                                \
                    std::memcpy(&b0, b + k * Np + j0, sizeof(V));                                            \
                    std::memcpy(&b1, b + k * Np + j0 + L, sizeof(V));                                        \
                    const Acc x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];                                \
                    c00 += b0 * x0;                                                                          \
                    c01 += b1 * x0;                                                                          \
                    c10 += b0 * x1;                                                                          \
                    c11 += b1 * x1;                                                                          \
                    c20 += b0 * x2;                                                                          \
                    c21 += b1 * x2;                                                                          \
                    c30 += b0 * x3;                                                                          \
                    c31 += b1 * x3;                                                                          \
                }                                                                                            \
                Acc* o = out + i0 * Np + j0;                                                                 \
                std::memcpy(o, &c00, sizeof(V));                                                             \
                std::memcpy(o + L, &c01, sizeof(V));                                                         \
                std::memcpy(o + Np, &c10, sizeof(V));                                                        \
                std::memcpy(o + Np + L, &c11, sizeof(V));                                                    \
                std::memcpy(o + 2 * Np, &c20, sizeof(V));                                                    \
                std::memcpy(o + 2 * Np + L, &c21, sizeof(V));                                                \
                std::memcpy(o + 3 * Np, &c30, sizeof(V));                                                    \
                std::memcpy(o + 3 * Np + L, &c31, sizeof(V));                                                \
            }                                                                                                \
    }

TWIN_MMAD_BLOCKED(mmad_blocked_generic, __attribute__((optimize("O2"))))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// FMA is exact here: every product of two half/bfloat16 values is exact in double, so a fused
// multiply-add rounds the same sum as a multiply followed by an add.
TWIN_MMAD_BLOCKED(mmad_blocked_avx2, __attribute__((target("avx2,fma"), optimize("O2", "fp-contract=fast"))))
inline bool host_has_avx2() {
    static const bool v = __builtin_cpu_supports("avx2");
    return v;
}
#else
template <class Acc> inline void mmad_blocked_avx2(const Acc* a, const Acc* b, Acc* out, uint64_t Mp, uint64_t Np, uint64_t K) {
    mmad_blocked_generic(a, b, out, Mp, Np, K);
}
inline bool host_has_avx2() { return false; }
#endif
#undef TWIN_MMAD_BLOCKED

// IEEE binary16 -> float through a table built once (the host may lack a half conversion instruction).
inline float half_to_float(uint16_t b) {
    static const std::vector<float> table = [] {
        std::vector<float> t(65536);
        for (uint32_t i = 0; i < 65536; ++i) t[i] = float(half::from_bits(uint16_t(i)));
        return t;
    }();
    return table[b];
}

// C (L0C, Nz 16 x 16 fractals) = A (L0A, Zz) x B (L0B, Zn) over m x n x k, as Mmad documents; with
// accumulate the product is added to C's previous value.
template <class TC, class TA>
inline void mmad_compute(TC* C, const TA* A, const TA* B, uint64_t m, uint64_t n, uint64_t k, bool accumulate) {
    using Acc = acc_t<TA>;
    constexpr uint64_t k0 = 32 / sizeof(TA), F = 512 / sizeof(TA);
    const uint64_t M1 = (m + 15) / 16, N1 = (n + 15) / 16, K1 = (k + k0 - 1) / k0;
    const uint64_t Mp = M1 * 16, Np = N1 * 16;
    static thread_local std::vector<Acc> sa, sb, sc;
    sa.resize(Mp * k);
    sb.resize(k * Np);
    sc.resize(Mp * Np);
    auto conv = [](TA v) -> Acc {
        if constexpr (std::is_same_v<Acc, int32_t>) return Acc(v);
        else if constexpr (std::is_same_v<TA, half>) return Acc(half_to_float(v.bits()));
        else return Acc(float(v));
    };
    for (uint64_t i = 0; i < Mp; ++i) {
        const TA* arow = A + (i / 16) * K1 * F + (i % 16) * k0;
        Acc* d = sa.data() + i * k;
        for (uint64_t kk = 0; kk < k; ++kk) d[kk] = conv(arow[(kk / k0) * F + kk % k0]);
    }
    for (uint64_t kk = 0; kk < k; ++kk) {
        Acc* d = sb.data() + kk * Np;
        const TA* bk = B + (kk / k0) * N1 * F + kk % k0;
        for (uint64_t j = 0; j < Np; ++j) d[j] = conv(bk[(j / 16) * F + (j % 16) * k0]);
    }
    if (host_has_avx2()) mmad_blocked_avx2<Acc>(sa.data(), sb.data(), sc.data(), Mp, Np, k);
    else mmad_blocked_generic<Acc>(sa.data(), sb.data(), sc.data(), Mp, Np, k);
    for (uint64_t j = 0; j < Np; ++j)
        for (uint64_t i = 0; i < Mp; ++i) {
            TC& c = C[((j / 16) * M1 + i / 16) * 256 + (i % 16) * 16 + j % 16];
            Acc v = sc[i * Np + j];
            if constexpr (std::is_same_v<TC, int32_t>) c = int32_t(int64_t(v) + (accumulate ? int64_t(c) : 0));
            else c = float(v) + (accumulate ? c : 0.0f);
        }
}

}  // namespace cube
}  // namespace twin
