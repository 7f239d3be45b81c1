// Cast with the A2/A3 conversion table and exact rounding per RoundMode.
#pragma once

#include <cfenv>

#include "vec_arith.h"

namespace twin {
namespace vec {

using AscendC::RoundMode;

// Bit views of the three float formats, for stepping to neighbouring representable values.
template <class F> struct fbits;
template <> struct fbits<float> {
    static uint32_t get(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
    static float put(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
    static constexpr uint32_t sign = 0x80000000u, max_finite = 0x7f7fffffu, inf = 0x7f800000u;
    static float rne(long double x) { return static_cast<float>(x); }
};
template <> struct fbits<half> {
    static uint32_t get(half h) { return h.bits(); }
    static half put(uint32_t u) { return half::from_bits(static_cast<uint16_t>(u)); }
    static constexpr uint32_t sign = 0x8000u, max_finite = 0x7bffu, inf = 0x7c00u;
    static half rne(long double x) { return half(static_cast<_Float16>(x)); }
};
template <> struct fbits<bfloat16_t> {
    static uint32_t get(bfloat16_t h) { return h.bits(); }
    static bfloat16_t put(uint32_t u) { return bfloat16_t::from_bits(static_cast<uint16_t>(u)); }
    static constexpr uint32_t sign = 0x8000u, max_finite = 0x7f7fu, inf = 0x7f80u;
    // Within one neighbour of x; round_float picks the exact neighbour itself.
    static bfloat16_t rne(long double x) { return bfloat16_t(static_cast<float>(x)); }
};

template <class F> inline long double to_ld(F v) { return static_cast<long double>(static_cast<float>(v)); }

template <class F> inline F step_up(F v) {  // next value towards +inf
    using B = fbits<F>;
    uint32_t u = B::get(v);
    if ((u & ~B::sign) == 0) return B::put(1);
    return B::put((u & B::sign) ? u - 1 : u + 1);
}
template <class F> inline F step_down(F v) {
    using B = fbits<F>;
    uint32_t u = B::get(v);
    if ((u & ~B::sign) == 0) return B::put(B::sign | 1);
    return B::put((u & B::sign) ? u + 1 : u - 1);
}

// Exact value x rounded to format F by mode; finite overflow saturates to the largest finite value.
template <class F> inline F round_float(long double x, RoundMode m) {
    using B = fbits<F>;
    if (std::isnan(x)) return B::put(B::inf | (B::inf >> 1));
    if (std::isinf(x)) return B::put(x > 0 ? B::inf : (B::sign | B::inf));
    F c = B::rne(x);
    uint32_t cu = B::get(c);
    F r;
    if ((cu & ~B::sign) == B::inf) {
        r = c;  // overflow; saturated below
    } else if (to_ld(c) == x) {
        return c;
    } else {
        F lo, hi;
        if (to_ld(c) < x) { lo = c; hi = step_up(c); }
        else { hi = c; lo = step_down(c); }
        long double dl = x - to_ld(lo), dh = to_ld(hi) - x;
        switch (m) {
            case RoundMode::CAST_NONE:
            case RoundMode::CAST_RINT: r = dl < dh ? lo : (dh < dl ? hi : ((B::get(lo) & 1u) ? hi : lo)); break;
            case RoundMode::CAST_FLOOR: r = lo; break;
            case RoundMode::CAST_CEIL: r = hi; break;
            case RoundMode::CAST_TRUNC: r = x > 0 ? lo : hi; break;
            case RoundMode::CAST_ROUND: r = dl < dh ? lo : (dh < dl ? hi : (x > 0 ? hi : lo)); break;
            case RoundMode::CAST_ODD: r = (B::get(lo) & 1u) ? lo : hi; break;
            default: r = c;
        }
    }
    uint32_t ru = B::get(r);
    if ((ru & ~B::sign) == B::inf) r = B::put((ru & B::sign) | B::max_finite);
    return r;
}

template <class I> inline I round_int(long double x, RoundMode m) {
    if (std::isnan(x)) return I(0);
    long double r;
    switch (m) {
        case RoundMode::CAST_FLOOR: r = std::floor(x); break;
        case RoundMode::CAST_CEIL: r = std::ceil(x); break;
        case RoundMode::CAST_ROUND: r = std::round(x); break;
        case RoundMode::CAST_TRUNC: r = std::trunc(x); break;
        default: {  // RINT / NONE: nearest, ties to even
            long double f = std::floor(x), d = x - f;
            r = d < 0.5L ? f : (d > 0.5L ? f + 1 : (std::fmod(f, 2.0L) == 0 ? f : f + 1));
        }
    }
    if (r <= static_cast<long double>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
    if (r >= static_cast<long double>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
    return static_cast<I>(r);
}

template <class X> inline long double exact(X v) {
    if constexpr (std::is_same_v<X, half> || std::is_same_v<X, bfloat16_t>) return static_cast<float>(v);
    else return static_cast<long double>(v);
}

enum : unsigned { M_NONE = 1, M_RINT = 2, M_FLOOR = 4, M_CEIL = 8, M_ROUND = 16, M_TRUNC = 32, M_ODD = 64 };
constexpr unsigned M_RFCRT = M_RINT | M_FLOOR | M_CEIL | M_ROUND | M_TRUNC;

// Round modes allowed for src U -> dst T on A2/A3 (0 = conversion does not exist).
template <class T, class U> constexpr unsigned cast_modes() {
    using std::is_same_v;
    if constexpr (is_same_v<U, half>) {
        if constexpr (is_same_v<T, int32_t> || is_same_v<T, int16_t>) return M_RFCRT;
        else if constexpr (is_same_v<T, float>) return M_NONE;
        else if constexpr (is_same_v<T, int8_t> || is_same_v<T, uint8_t>) return M_RFCRT | M_NONE;
        else return 0;
    } else if constexpr (is_same_v<U, float>) {
        if constexpr (is_same_v<T, float> || is_same_v<T, int32_t> || is_same_v<T, int64_t> ||
                      is_same_v<T, int16_t> || is_same_v<T, bfloat16_t>) return M_RFCRT;
        else if constexpr (is_same_v<T, half>) return M_RFCRT | M_ODD | M_NONE;
        else return 0;
    } else if constexpr (is_same_v<U, bfloat16_t>) {
        if constexpr (is_same_v<T, float>) return M_NONE;
        else if constexpr (is_same_v<T, int32_t>) return M_RFCRT;
        else return 0;
    } else if constexpr (is_same_v<U, uint8_t> || is_same_v<U, int8_t>) {
        return is_same_v<T, half> ? M_NONE : 0;
    } else if constexpr (is_same_v<U, int16_t>) {
        if constexpr (is_same_v<T, half>) return M_RFCRT | M_NONE;
        else if constexpr (is_same_v<T, float>) return M_NONE;
        else return 0;
    } else if constexpr (is_same_v<U, int32_t>) {
        if constexpr (is_same_v<T, float>) return M_RFCRT | M_NONE;
        else if constexpr (is_same_v<T, int64_t> || is_same_v<T, int16_t>) return M_NONE;
        else return 0;
    } else if constexpr (is_same_v<U, int64_t>) {
        if constexpr (is_same_v<T, int32_t>) return M_NONE;
        else if constexpr (is_same_v<T, float>) return M_RFCRT;
        else return 0;
    }
    return 0;
}

template <class T, class U> constexpr void cast_static_check() {
    using std::is_same_v;
    static_assert(!(is_same_v<U, float> && (is_same_v<T, int8_t> || is_same_v<T, uint8_t>)),
                  "Cast float->int8/uint8 does not exist on A2/A3: cast float->half, then half->int8");
    static_assert(!(is_same_v<U, bfloat16_t> && is_same_v<T, half>),
                  "Cast bfloat16->half does not exist on A2/A3: cast bfloat16->float, then float->half");
    static_assert(!(is_same_v<U, bfloat16_t> && (is_same_v<T, int8_t> || is_same_v<T, uint8_t>)),
                  "Cast bfloat16->int8 does not exist on A2/A3: go bfloat16->float->half->int8");
    static_assert(!(is_same_v<U, int32_t> && is_same_v<T, half>),
                  "Cast int32->half needs SetDeqScale, which the twin does not model: cast int32->float->half");
    static_assert(!(is_same_v<U, half> && is_same_v<T, bfloat16_t>),
                  "Cast half->bfloat16 does not exist on A2/A3: cast half->float, then float->bfloat16");
    static_assert(cast_modes<T, U>() != 0, "Cast: this src->dst dtype pair is not in the A2/A3 conversion table");
}

inline const char* round_mode_name(RoundMode m) {
    static const char* n[] = {"CAST_NONE", "CAST_RINT", "CAST_FLOOR", "CAST_CEIL", "CAST_ROUND", "CAST_TRUNC",
                              "CAST_ODD"};
    int i = static_cast<int>(m);
    return (i >= 0 && i < 7) ? n[i] : "?";
}

template <class T, class U> inline void check_cast_mode(const SrcLoc& loc, RoundMode m) {
    unsigned bit = 1u << static_cast<int>(m);
    if (!(cast_modes<T, U>() & bit))
        fail(loc, "Cast", "round mode not supported for this conversion on A2/A3",
             strf("%s -> %s with %s", tname<U>(), tname<T>(), round_mode_name(m)));
}

template <class T, class U> inline T convert(U v, RoundMode m) {
    long double x = exact(v);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, half> || std::is_same_v<T, bfloat16_t>) {
        if constexpr (std::is_same_v<T, float> && std::is_same_v<U, float>) {
            // float -> float: round to an integral value, kept in float.
            if (std::isnan(x) || std::isinf(x) || std::fabs(x) >= 8388608.0L) return v;
            long double r = static_cast<long double>(round_int<int64_t>(x, m));
            return (r == 0 && std::signbit(x)) ? -0.0f : static_cast<float>(r);
        } else {
            return round_float<T>(x, m);
        }
    } else {
        return round_int<T>(x, m);
    }
}

template <class T, class U> constexpr uint32_t cast_epr() { return 256 / (sizeof(T) > sizeof(U) ? sizeof(T) : sizeof(U)); }

}  // namespace vec
}  // namespace twin

namespace AscendC {

template <class T, class U>
inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode, const uint32_t count,
                 twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::cast_static_check<T, U>();
    twin::vec::check_cast_mode<T, U>(loc, roundMode);
    RoundMode m = roundMode;
    constexpr uint32_t per = twin::vec::cast_epr<T, U>();
    // Contiguous elements: each operand's repeat covers `per` elements of its own size.
    UnaryRepeatParams p(1, 1, uint8_t(per * sizeof(T) / 32), uint8_t(per * sizeof(U) / 32));
    twin::vec::unary_run(loc, "Cast", twin::VecClass::CAST, dst, src, twin::vec::plan_count(count, per), p,
                         [m](U x) { return twin::vec::convert<T, U>(x, m); });
}
template <class T, class U, bool isSetMask = true>
inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode, const uint64_t mask[],
                 twin::vec::RepeatArg repeatTime, const UnaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::cast_static_check<T, U>();
    twin::vec::check_cast_mode<T, U>(loc, roundMode);
    twin::vec::check_repeat(loc, "Cast", repeatTime.v);
    RoundMode m = roundMode;
    constexpr uint32_t per = twin::vec::cast_epr<T, U>();
    auto plan = twin::vec::plan_mask(loc, "Cast", twin::vec::MaskArg::from_bits(mask, per > 64 ? 2 : 1), per,
                                     repeatTime.v, isSetMask);
    twin::vec::unary_run(loc, "Cast", twin::VecClass::CAST, dst, src, plan, p,
                         [m](U x) { return twin::vec::convert<T, U>(x, m); });
}
template <class T, class U, bool isSetMask = true>
inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode, uint64_t mask,
                 twin::vec::RepeatArg repeatTime, const UnaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::cast_static_check<T, U>();
    twin::vec::check_cast_mode<T, U>(loc, roundMode);
    twin::vec::check_repeat(loc, "Cast", repeatTime.v);
    RoundMode m = roundMode;
    constexpr uint32_t per = twin::vec::cast_epr<T, U>();
    auto plan = twin::vec::plan_mask(loc, "Cast", twin::vec::MaskArg::from_cont(mask), per, repeatTime.v, isSetMask);
    twin::vec::unary_run(loc, "Cast", twin::VecClass::CAST, dst, src, plan, p,
                         [m](U x) { return twin::vec::convert<T, U>(x, m); });
}

}  // namespace AscendC
