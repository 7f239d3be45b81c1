// Reductions: WholeReduceSum/Max/Min, BlockReduceSum/Max, ReduceSum/Max/Min.
// Sums follow the documented pairwise (binary tree) order inside a repeat; half sums saturate at
// +-65504 at every pairwise step as documented.
#pragma once

#include "vec_arith.h"

namespace twin {
namespace vec {

template <class T> inline T sat_add(T a, T b) {
    if constexpr (std::is_same_v<T, half>) {
        float s = float(half(float(a) + float(b)));
        if (std::isinf(s) && !std::isinf(float(a)) && !std::isinf(float(b))) s = s > 0 ? 65504.f : -65504.f;
        return half(s);
    } else {
        return T(a + b);
    }
}

// Pairwise tree over n slots (n a power of two); slots not active hold zero.
template <class T> inline T tree_sum(std::vector<T> v) {
    size_t n = 1;
    while (n < v.size()) n <<= 1;
    v.resize(n, T(0.0f));
    while (n > 1) {
        for (size_t i = 0; i < n / 2; ++i) v[i] = sat_add(v[2 * i], v[2 * i + 1]);
        n /= 2;
    }
    return v[0];
}

// Index stored in a T slot: half slots hold the index as uint16 bits, float slots as uint32 bits.
template <class T> inline T index_as(uint32_t idx) {
    T r;
    if constexpr (sizeof(T) == 2) { uint16_t b = uint16_t(idx); std::memcpy(&r, &b, 2); }
    else { std::memcpy(&r, &idx, 4); }
    return r;
}

// Active elements of each repeat, grouped.
inline std::vector<std::vector<uint32_t>> by_repeat(const std::vector<Elem>& plan, uint64_t repeats) {
    std::vector<std::vector<uint32_t>> g(repeats);
    for (const Elem& x : plan) if (x.r < repeats) g[x.r].push_back(x.e);
    return g;
}

template <class T> inline void check_reduce_types() {
    static_assert(one_of<T, half, float>(), "reductions support half and float only on A2/A3");
}

// The MAX_MIN_CNT register read by GetReduceMaxMinCount: the value's bits low, the index high.
template <class T> inline void set_max_min_cnt(T v, uint32_t idx) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    core().max_min_cnt = (uint64_t(idx) << 32) | bits;
}

// One repeat's (value, first index) of the max (is_max) or min over active elements.
template <class T>
inline std::pair<T, uint32_t> repeat_extreme(const LocalTensor<T>& src, const Operand<T>& os, uint32_t r,
                                             const std::vector<uint32_t>& es, bool is_max) {
    T best = T(0.0f);
    uint32_t bi = 0;
    bool first = true;
    for (uint32_t e : es) {
        T v = load(src, os.off({r, e}));
        if (first || (is_max ? float(v) > float(best) : float(v) < float(best))) { best = v; bi = e; first = false; }
    }
    return {best, bi};
}

template <class T>
inline void whole_reduce(const SrcLoc& loc, const char* api, int kind /*0 sum 1 max 2 min*/, const LocalTensor<T>& dst,
                         const LocalTensor<T>& src, const MaskArg& mask, int64_t repeat, int32_t dstRepStride,
                         int32_t srcBlkStride, int32_t srcRepStride, AscendC::ReduceOrder order, bool is_set_mask) {
    check_reduce_types<T>();
    check_repeat(loc, api, repeat);
    check_ub(loc, api, "dst", dst, sizeof(T));
    check_ub(loc, api, "src", src);
    auto plan = plan_mask(loc, api, mask, epr<T>(), repeat, is_set_mask);
    Operand<T> os{&src, uint64_t(srcBlkStride), uint64_t(srcRepStride)};
    check_extent(loc, api, "src", os, plan);
    uint64_t reps = uint64_t(repeat);
    auto g = by_repeat(plan, reps);
    using AscendC::ReduceOrder;
    uint64_t unit = kind == 0 || order == ReduceOrder::ORDER_ONLY_VALUE ? sizeof(T)
                    : order == ReduceOrder::ORDER_ONLY_INDEX ? 4 : 2 * sizeof(T);
    if (reps) dst.twin_check_bytes(loc, api, "dst", (reps - 1) * uint64_t(dstRepStride) * unit + unit);
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint64_t r = 0; r < reps; ++r) {
        uint8_t* o = d + r * uint64_t(dstRepStride) * unit;
        if (kind == 0) {
            std::vector<T> v(epr<T>(), T(0.0f));
            for (uint32_t e : g[r]) v[e] = load(src, os.off({uint32_t(r), e}));
            T s = tree_sum(v);
            std::memcpy(o, &s, sizeof(T));
        } else {
            auto [val, idx] = repeat_extreme(src, os, uint32_t(r), g[r], kind == 1);
            set_max_min_cnt(val, idx);
            T ix = index_as<T>(idx);
            switch (order) {
                case ReduceOrder::ORDER_VALUE_INDEX: std::memcpy(o, &val, sizeof(T)); std::memcpy(o + sizeof(T), &ix, sizeof(T)); break;
                case ReduceOrder::ORDER_INDEX_VALUE: std::memcpy(o, &ix, sizeof(T)); std::memcpy(o + sizeof(T), &val, sizeof(T)); break;
                case ReduceOrder::ORDER_ONLY_VALUE: std::memcpy(o, &val, sizeof(T)); break;
                case ReduceOrder::ORDER_ONLY_INDEX: std::memcpy(o, &idx, 4); break;
            }
        }
    }
    count_work(VecClass::REDUCE, reps, plan.size());
}

template <class T>
inline void block_reduce(const SrcLoc& loc, const char* api, bool is_sum, const LocalTensor<T>& dst,
                         const LocalTensor<T>& src, int64_t repeat, const MaskArg& mask, int32_t dstRepStride,
                         int32_t srcBlkStride, int32_t srcRepStride, bool is_set_mask, bool is_min = false) {
    check_reduce_types<T>();
    check_repeat(loc, api, repeat);
    check_ub(loc, api, "dst", dst, sizeof(T));
    check_ub(loc, api, "src", src);
    auto plan = plan_mask(loc, api, mask, epr<T>(), repeat, is_set_mask);
    Operand<T> os{&src, uint64_t(srcBlkStride), uint64_t(srcRepStride)};
    check_extent(loc, api, "src", os, plan);
    uint64_t reps = uint64_t(repeat), unit = 8 * sizeof(T);
    if (reps) dst.twin_check_bytes(loc, api, "dst", (reps - 1) * uint64_t(dstRepStride) * unit + unit);
    auto g = by_repeat(plan, reps);
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint64_t r = 0; r < reps; ++r) {
        for (uint32_t b = 0; b < 8; ++b) {
            std::vector<T> v(epb<T>(), T(0.0f));
            bool any = false;
            T best = T(0.0f);
            for (uint32_t e : g[r]) {
                if (e / epb<T>() != b) continue;
                T x = load(src, os.off({uint32_t(r), e}));
                v[e % epb<T>()] = x;
                if (!any || (is_min ? float(x) < float(best) : float(x) > float(best))) best = x;
                any = true;
            }
            T out = is_sum ? tree_sum(v) : best;
            if (is_sum || any) std::memcpy(d + r * uint64_t(dstRepStride) * unit + b * sizeof(T), &out, sizeof(T));
        }
    }
    count_work(VecClass::REDUCE, reps, plan.size());
}

// ReduceSum/Max/Min over a whole plan. Count form (tree_across = false): pairwise inside each repeat,
// repeats then combined in order; mask form (tree_across = true): repeats combined pairwise too.
template <class T>
inline void full_reduce(const SrcLoc& loc, const char* api, int kind, const LocalTensor<T>& dst,
                        const LocalTensor<T>& src, const LocalTensor<T>& tmp, const std::vector<Elem>& plan,
                        uint64_t reps, uint64_t src_rep_stride, bool cal_index, bool tree_across) {
    check_reduce_types<T>();
    check_ub(loc, api, "dst", dst, kind == 0 ? sizeof(T) : 2 * sizeof(T));
    check_ub(loc, api, "src", src);
    check_ub(loc, api, "sharedTmpBuffer", tmp);
    Operand<T> os{&src, 1, src_rep_stride};
    check_extent(loc, api, "src", os, plan);
    // Documented minimum work space: the first pass's (value, index) pairs rounded up to a 32 B block.
    uint64_t need = ((reps * 2 + epb<T>() - 1) / epb<T>()) * 32;
    if (tmp.twin_bytes_available() < need)
        fail(loc, api, "sharedTmpBuffer too small",
             strf("%llu repeats need at least %llu bytes of work space; the buffer has %u",
                  (unsigned long long)reps, (unsigned long long)need, tmp.twin_bytes_available()));
    hz::record(loc, api, Mem::UB, tmp.twin_offset(), uint64_t(tmp.twin_offset()) + need, true);  // work space written
    dst.twin_check_bytes(loc, api, "dst", kind == 0 ? sizeof(T) : 2 * sizeof(T));
    auto g = by_repeat(plan, reps);
    if (kind == 0) {
        std::vector<T> parts;
        for (uint64_t r = 0; r < reps; ++r) {
            std::vector<T> v(epr<T>(), T(0.0f));
            for (uint32_t e : g[r]) v[e] = load(src, os.off({uint32_t(r), e}));
            parts.push_back(tree_sum(v));
        }
        T s = T(0.0f);
        if (tree_across) {
            while (parts.size() > 1) {  // a further pass of WholeReduceSum over the partial sums
                std::vector<T> next;
                for (size_t i = 0; i < parts.size(); i += epr<T>()) {
                    std::vector<T> v(parts.begin() + i, parts.begin() + std::min(parts.size(), i + epr<T>()));
                    next.push_back(tree_sum(v));
                }
                parts.swap(next);
            }
            if (!parts.empty()) s = parts[0];
        } else {
            for (size_t i = 0; i < parts.size(); ++i) s = i == 0 ? parts[0] : sat_add(s, parts[i]);
        }
        store(dst, 0, s);
    } else {
        bool first = true;
        T best = T(0.0f);
        uint64_t bi = 0;
        for (uint64_t r = 0; r < reps; ++r) {
            if (g[r].empty()) continue;
            auto [v, i] = repeat_extreme(src, os, uint32_t(r), g[r], kind == 1);
            if (first || (kind == 1 ? float(v) > float(best) : float(v) < float(best))) {
                best = v;
                bi = r * epr<T>() + i;
                first = false;
            }
        }
        store(dst, 0, best);
        set_max_min_cnt(best, uint32_t(bi));
        if (cal_index) store(dst, sizeof(T), index_as<T>(uint32_t(bi)));
    }
    count_work(VecClass::REDUCE, reps, plan.size());
}

// PairReduceSum core (see AscendC::PairReduceSum).
template <class T>
inline void pair_reduce(const SrcLoc& loc, const LocalTensor<T>& dst, const LocalTensor<T>& src, int64_t repeat,
                        const MaskArg& mask, int32_t dstRepStride, int32_t srcBlkStride, int32_t srcRepStride,
                        bool is_set_mask) {
    const char* api = "PairReduceSum";
    check_reduce_types<T>();
    check_repeat(loc, api, repeat);
    check_ub(loc, api, "dst", dst);
    check_ub(loc, api, "src", src);
    auto plan = plan_mask(loc, api, mask, epr<T>(), repeat, is_set_mask);
    Operand<T> os{&src, uint64_t(srcBlkStride), uint64_t(srcRepStride)};
    check_extent(loc, api, "src", os, plan);
    const uint64_t reps = uint64_t(repeat), half_rep = 128;
    if (reps) dst.twin_check_bytes(loc, api, "dst", (reps - 1) * uint64_t(dstRepStride) * half_rep + half_rep);
    auto g = by_repeat(plan, reps);
    std::vector<std::pair<uint64_t, T>> out;
    for (uint64_t r = 0; r < reps; ++r) {
        std::vector<T> v(epr<T>(), T(0.0f));
        std::vector<bool> act(epr<T>() / 2, false);
        for (uint32_t e : g[r]) {
            v[e] = load(src, os.off({uint32_t(r), e}));
            act[e / 2] = true;
        }
        for (uint32_t i = 0; i < epr<T>() / 2; ++i)
            if (act[i]) out.push_back({r * uint64_t(dstRepStride) * half_rep + i * sizeof(T), sat_add(v[2 * i], v[2 * i + 1])});
    }
    for (auto& [off, x] : out) store(dst, off, x);
    count_work(VecClass::REDUCE, reps, plan.size());
}

}  // namespace vec
}  // namespace twin

namespace AscendC {

#define TWIN_WHOLE_REDUCE(NAME, KIND, ORDER_PARAM, ORDER_ARG)                                                    \
    template <class T, bool isSetMask = true>                                                                    \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t mask[],                \
                     twin::vec::RepeatArg repeatTime, const int32_t dstRepStride, const int32_t srcBlkStride,    \
                     const int32_t srcRepStride ORDER_PARAM, twin::SrcLoc loc = twin::SrcLoc::here()) {          \
        twin::vec::whole_reduce(loc, #NAME, KIND, dst, src, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1), \
                                repeatTime.v, dstRepStride, srcBlkStride, srcRepStride, ORDER_ARG, isSetMask);   \
    }                                                                                                            \
    template <class T, bool isSetMask = true>                                                                    \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t mask,                   \
                     twin::vec::RepeatArg repeatTime, const int32_t dstRepStride, const int32_t srcBlkStride,    \
                     const int32_t srcRepStride ORDER_PARAM, twin::SrcLoc loc = twin::SrcLoc::here()) {          \
        twin::vec::whole_reduce(loc, #NAME, KIND, dst, src, twin::vec::MaskArg::from_cont(uint64_t(int64_t(mask))), \
                                repeatTime.v, dstRepStride, srcBlkStride, srcRepStride, ORDER_ARG, isSetMask);   \
    }

#define TWIN_COMMA ,
TWIN_WHOLE_REDUCE(WholeReduceSum, 0, , ReduceOrder::ORDER_ONLY_VALUE)
TWIN_WHOLE_REDUCE(WholeReduceMax, 1, TWIN_COMMA ReduceOrder order = ReduceOrder::ORDER_VALUE_INDEX, order)
TWIN_WHOLE_REDUCE(WholeReduceMin, 2, TWIN_COMMA ReduceOrder order = ReduceOrder::ORDER_VALUE_INDEX, order)
#undef TWIN_WHOLE_REDUCE

#define TWIN_BLOCK_REDUCE(NAME, IS_SUM, IS_MIN)                                                                        \
    template <class T, bool isSetMask = true>                                                                    \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, twin::vec::RepeatArg repeatTime,      \
                     const uint64_t mask[], const int32_t dstRepStride, const int32_t srcBlkStride,              \
                     const int32_t srcRepStride, twin::SrcLoc loc = twin::SrcLoc::here()) {                      \
        twin::vec::block_reduce(loc, #NAME, IS_SUM, dst, src, repeatTime.v,                                      \
                                twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1), dstRepStride,       \
                                srcBlkStride, srcRepStride, isSetMask, IS_MIN);                                  \
    }                                                                                                            \
    template <class T, bool isSetMask = true>                                                                    \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, twin::vec::RepeatArg repeatTime,      \
                     const int32_t mask, const int32_t dstRepStride, const int32_t srcBlkStride,                 \
                     const int32_t srcRepStride, twin::SrcLoc loc = twin::SrcLoc::here()) {                      \
        twin::vec::block_reduce(loc, #NAME, IS_SUM, dst, src, repeatTime.v,                                      \
                                twin::vec::MaskArg::from_cont(uint64_t(int64_t(mask))), dstRepStride, srcBlkStride, \
                                srcRepStride, isSetMask, IS_MIN);                                                \
    }
TWIN_BLOCK_REDUCE(BlockReduceSum, true, false)
TWIN_BLOCK_REDUCE(BlockReduceMax, false, false)
TWIN_BLOCK_REDUCE(BlockReduceMin, false, true)
#undef TWIN_BLOCK_REDUCE

#define TWIN_FULL_REDUCE(NAME, KIND, IDX_PARAM, IDX_ARG)                                                         \
    template <class T>                                                                                           \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer, \
                     const int32_t count IDX_PARAM, twin::SrcLoc loc = twin::SrcLoc::here()) {                   \
        twin::vec::check_count(loc, #NAME, count);                                                               \
        auto plan = twin::vec::plan_count(uint64_t(count), twin::vec::epr<T>());                                 \
        uint64_t reps = (uint64_t(count) + twin::vec::epr<T>() - 1) / twin::vec::epr<T>();                       \
        twin::vec::full_reduce(loc, #NAME, KIND, dst, src, sharedTmpBuffer, plan, reps, 8, IDX_ARG, false);      \
    }                                                                                                            \
    template <class T>                                                                                           \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer, \
                     const uint64_t mask[], const int32_t repeatTime, const int32_t srcRepStride IDX_PARAM,     \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                  \
        twin::vec::check_repeat(loc, #NAME, repeatTime, 0x7fffffff);                                             \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1), \
                                         twin::vec::epr<T>(), repeatTime);                                       \
        twin::vec::full_reduce(loc, #NAME, KIND, dst, src, sharedTmpBuffer, plan, uint64_t(repeatTime),          \
                               uint64_t(srcRepStride), IDX_ARG, true);                                           \
    }                                                                                                            \
    template <class T>                                                                                           \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer, \
                     const int32_t mask, const int32_t repeatTime, const int32_t srcRepStride IDX_PARAM,        \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                  \
        twin::vec::check_repeat(loc, #NAME, repeatTime, 0x7fffffff);                                             \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_cont(uint64_t(int64_t(mask))),     \
                                         twin::vec::epr<T>(), repeatTime);                                       \
        twin::vec::full_reduce(loc, #NAME, KIND, dst, src, sharedTmpBuffer, plan, uint64_t(repeatTime),          \
                               uint64_t(srcRepStride), IDX_ARG, true);                                           \
    }
TWIN_FULL_REDUCE(ReduceSum, 0, , false)
TWIN_FULL_REDUCE(ReduceMax, 1, TWIN_COMMA bool calIndex = 0, calIndex)
TWIN_FULL_REDUCE(ReduceMin, 2, TWIN_COMMA bool calIndex = 0, calIndex)
#undef TWIN_FULL_REDUCE
#undef TWIN_COMMA

// PairReduceSum: each repeat's element pairs (2i, 2i + 1) summed into element i of the repeat's result; a
// result holds half a repeat (128 B) and dstRepStride counts in those units. Inactive elements count as 0;
// a pair with no active element is not written.
template <class T, bool isSetMask = true>
inline void PairReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,
                          const uint64_t mask[], const int32_t dstRepStride, const int32_t srcBlkStride,
                          const int32_t srcRepStride, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::pair_reduce(loc, dst, src, repeatTime, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),
                           dstRepStride, srcBlkStride, srcRepStride, isSetMask);
}
template <class T, bool isSetMask = true>
inline void PairReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,
                          const int32_t mask, const int32_t dstRepStride, const int32_t srcBlkStride,
                          const int32_t srcRepStride, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::pair_reduce(loc, dst, src, repeatTime, twin::vec::MaskArg::from_cont(uint64_t(int64_t(mask))),
                           dstRepStride, srcBlkStride, srcRepStride, isSetMask);
}

// RepeatReduceSum: WholeReduceSum with a continuous mask; dstBlkStride is ignored (documented), dstRepStride
// counts dst elements.
template <class T, bool isSetMask = true>
inline void RepeatReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,
                            const int32_t mask, const int32_t dstBlkStride, const int32_t srcBlkStride,
                            const int32_t dstRepStride, const int32_t srcRepStride,
                            twin::SrcLoc loc = twin::SrcLoc::here()) {
    (void)dstBlkStride;
    twin::vec::whole_reduce(loc, "RepeatReduceSum", 0, dst, src, twin::vec::MaskArg::from_cont(uint64_t(int64_t(mask))),
                            repeatTime, dstRepStride, srcBlkStride, srcRepStride, ReduceOrder::ORDER_ONLY_VALUE,
                            isSetMask);
}

// GetReduceMaxMinCount: value and index of the last WholeReduceMax/Min (its last repeat) or ReduceMax/Min,
// the index's bits stored in a T (read it back with a reinterpret cast, as documented). The one-argument
// form is reported as not supported on A2/A3 by v8.5.0 and is an error here.
template <class T> inline void GetReduceMaxMinCount(T& maxMinValue, T& maxMinIndex) {
    static_assert(twin::vec::one_of<T, half, float, uint32_t>(), "GetReduceMaxMinCount: T must be half or float");
    uint64_t r = twin::core().max_min_cnt;
    uint32_t v = uint32_t(r & (sizeof(T) == 2 ? 0xffffu : 0xffffffffu)), i = uint32_t(r >> 32);
    std::memcpy(&maxMinValue, &v, sizeof(T));
    std::memcpy(&maxMinIndex, &i, sizeof(T));
}
template <class T> inline void GetReduceMaxMinCount(T& maxMinValue, twin::SrcLoc loc = twin::SrcLoc::here()) {
    (void)maxMinValue;
    twin::fail(loc, "GetReduceMaxMinCount", "the value-only form is not supported on A2/A3",
               "v8.5.0 (dav_c220) reports GetReduceMaxMinCount with only maxMinValue as unsupported; pass maxMinIndex too");
}

}  // namespace AscendC
