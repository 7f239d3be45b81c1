// AIC: C[m, n] = A[m, K] . B[K, cols n0..n0+n) for a small activation block A (m <= 64 rows, ND in GM) and a
// weight B read straight from GM into L1, each weight byte once per call (per 64-token block): FRACTAL_NZ
// B ([N / C0, K / 16, 16, C0], dsaops.formats) by one strided DataCopy per k chunk, or ND B (w_uk) by Nd2Nz.
// bf16 -> fp32 or int8 -> int32 on the cube; the result leaves L0C by Fixpipe as bf16 (F322BF16, the
// golden's bf16(x @ w) rounding) or raw int32 (the int8 path's dequant runs on the vector unit in fp32,
// where the fixpipe's 10-bit scale would not match the golden).
//
// Per column pass (<= PASS_COLS columns, one L0C accumulator) the K dimension streams in chunks:
//   MTE2: A chunk GM -> L1 (Nd2Nz), B chunk GM -> L1 (NZ bands)       (two L1 buffers, ping-pong)
//   MTE1: A L1 -> L0A (Zz, one LoadData per k fractal column);
//         B L1 -> L0B (Zn): bf16 transposes each 16 x 16 fractal, int8 each 32 x 32 square (LoadDataWithTranspose)
//   M:    Mmad into L0C, accumulating after the first chunk
//   FIX:  after the last chunk, L0C -> GM
// Buffers: L1 2 x (32 KB A + 64 KB B), L0A 32 KB, L0B 64 KB, L0C 64 KB.
// Events ("buffer free", pre-set by Init, drained by DrainEvents): MTE1_MTE2 0/1 (L1 ping-pong),
// M_MTE1 0 (L0A/L0B), FIX_M 0 (L0C). Transient: MTE2_MTE1 0, MTE1_M 0, M_FIX 0.
// TODO(prolog-core): replace by ascendc/common/prolog_gemm.h once it lands (same role).
#pragma once

#include <type_traits>

#include "common/arch.h"

namespace dsa {

// The weight B of one Run: FRACTAL_NZ (K rows padded to 16, bands of C0 columns) or ND rows of N values.
template <class T>
struct PrologWeight {
    GlobalTensor<T> gm;
    uint32_t K = 0;  // rows (reduction)
    uint32_t N = 0;  // columns (ND row length)
    bool nz = true;
};

class PrologMatmul {
public:
    static constexpr uint32_t M_MAX = 64;
    static constexpr uint32_t A_BYTES = 32768;
    static constexpr uint32_t B_BYTES = 65536;
    static constexpr uint32_t ACC_BYTES = 65536;
    static constexpr uint32_t PASS_COLS = ACC_BYTES / (M_MAX * 4);  // 256
    static constexpr uint32_t K_ALIGN = 32;  // int8 squares are 32 deep; bf16 chunks keep the same grain

    __aicore__ inline void Init(TPipe* pipe)
    {
        pipe->InitBuffer(aL1Buf_, 2 * A_BYTES);
        pipe->InitBuffer(bL1Buf_, 2 * B_BYTES);
        pipe->InitBuffer(aL0Buf_, A_BYTES);
        pipe->InitBuffer(bL0Buf_, B_BYTES);
        pipe->InitBuffer(accBuf_, ACC_BYTES);
        aL1_ = aL1Buf_.Get<uint8_t>();
        bL1_ = bL1Buf_.Get<uint8_t>();
        aL0_ = aL0Buf_.Get<uint8_t>();
        bL0_ = bL0Buf_.Get<uint8_t>();
        acc_ = accBuf_.Get<uint8_t>();
        SetFlag<HardEvent::MTE1_MTE2>(EVENT_ID0);
        SetFlag<HardEvent::MTE1_MTE2>(EVENT_ID1);
        SetFlag<HardEvent::M_MTE1>(EVENT_ID0);
        SetFlag<HardEvent::FIX_M>(EVENT_ID0);
    }

    // Waits the "buffer free" events Init set (once, after the last Run).
    __aicore__ inline void DrainEvents()
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::MTE1_MTE2>(EVENT_ID1);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
    }

    // c[r * ldc + j] = sum_k a[r * lda + k] * B[k, n0 + j] for r < m (<= M_MAX), j < n. n0, n: multiples of
    // 16 (bf16) or 32 (int8). T / OutT: bfloat16_t / bfloat16_t (F322BF16) or int8_t / int32_t.
    template <class T, class OutT>
    __aicore__ inline void Run(const GlobalTensor<T>& a, uint32_t m, uint32_t lda, const PrologWeight<T>& w,
                               uint32_t n0, uint32_t n, const GlobalTensor<OutT>& c, uint32_t ldc)
    {
        using AccT = typename std::conditional<sizeof(T) == 1, int32_t, float>::type;
        const uint32_t mPad = Align(m, 16u);
        for (uint32_t p0 = 0; p0 < n; p0 += PASS_COLS) {
            const uint32_t pn = Min(PASS_COLS, n - p0);
            // k chunk: A chunk (mPad x kc) within A_BYTES, B chunk (kc x pn) within B_BYTES.
            uint32_t kc = Min(A_BYTES / (M_MAX * uint32_t(sizeof(T))), B_BYTES / (pn * uint32_t(sizeof(T))));
            kc = kc / K_ALIGN * K_ALIGN;
            const uint32_t chunks = CeilDiv(w.K, kc);
            WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
            for (uint32_t ci = 0; ci < chunks; ++ci) {
                const uint32_t k0 = ci * kc;
                const uint32_t kn = Min(kc, w.K - k0);
                const uint32_t buf = bufCount_++ % 2;
                const event_t ev = buf == 0 ? EVENT_ID0 : EVENT_ID1;
                LocalTensor<T> aL1 = aL1_[buf * A_BYTES].template ReinterpretCast<T>();
                LocalTensor<T> bL1 = bL1_[buf * B_BYTES].template ReinterpretCast<T>();
                WaitFlag<HardEvent::MTE1_MTE2>(ev);
                DataCopy(aL1, a[k0], Nd2NzParams(1, m, kn, 0, lda, mPad, 1, 0));
                LoadB(bL1, w, k0, kn, n0 + p0, pn);
                SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
                WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
                WaitFlag<HardEvent::M_MTE1>(EVENT_ID0);
                ToL0(aL1, bL1, mPad, kn, pn);
                SetFlag<HardEvent::MTE1_MTE2>(ev);
                SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
                WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
                MmadParams mm;
                mm.m = uint16_t(m);
                mm.n = uint16_t(pn);
                mm.k = uint16_t(kn);
                mm.cmatrixInitVal = ci == 0;
                Mmad(acc_.template ReinterpretCast<AccT>(), aL0_.template ReinterpretCast<T>(),
                     bL0_.template ReinterpretCast<T>(), mm);
                SetFlag<HardEvent::M_MTE1>(EVENT_ID0);
            }
            SetFlag<HardEvent::M_FIX>(EVENT_ID0);
            WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
            FixpipeParamsV220 fp(uint16_t(pn), uint16_t(m), uint16_t(mPad), ldc, false);
            if constexpr (sizeof(OutT) == 2) fp.quantPre = QuantMode_t::F322BF16;
            Fixpipe<OutT, AccT, CFG_ROW_MAJOR>(c[p0], acc_.template ReinterpretCast<AccT>(), fp);
            SetFlag<HardEvent::FIX_M>(EVENT_ID0);
        }
    }

private:
    template <class T> static constexpr uint32_t C0 = BLOCK_BYTES / sizeof(T);  // columns of an NZ band / k of a fractal

    // B rows [k0, k0 + kn) x columns [c0, c0 + cn) -> L1 as cn / C0 bands of kn rows (NZ).
    template <class T>
    __aicore__ inline void LoadB(const LocalTensor<T>& bL1, const PrologWeight<T>& w, uint32_t k0, uint32_t kn, uint32_t c0,
                                 uint32_t cn)
    {
        if (w.nz) {
            const uint32_t kPad = Align(w.K, 16u);
            // Band b holds kPad rows of C0 values (32 B each): one block per row.
            DataCopyParams cp(uint16_t(cn / C0<T>), uint16_t(kn), uint16_t(kPad - kn), 0);
            DataCopy(bL1, w.gm[uint64_t(c0 / C0<T>) * kPad * C0<T> + uint64_t(k0) * C0<T>], cp);
        } else {
            DataCopy(bL1, w.gm[uint64_t(k0) * w.N + c0], Nd2NzParams(1, kn, cn, 0, w.N, kn, 1, 0));
        }
    }

    // A (NZ, mPad rows per band) -> L0A Zz; B (NZ, kn rows per band) -> L0B Zn.
    template <class T>
    __aicore__ inline void ToL0(const LocalTensor<T>& aL1, const LocalTensor<T>& bL1, uint32_t mPad, uint32_t kn,
                                uint32_t cn)
    {
        constexpr uint32_t C = C0<T>;
        constexpr uint32_t FRAC = FRACTAL_BYTES / sizeof(T);
        const uint32_t m1 = mPad / 16, k1 = CeilDiv(kn, C), n1 = cn / 16;
        const LocalTensor<T> aL0 = aL0_.template ReinterpretCast<T>(), bL0 = bL0_.template ReinterpretCast<T>();
        for (uint32_t kb = 0; kb < k1; ++kb)
            LoadData(aL0[kb * FRAC], aL1[kb * mPad * C], LoadData2DParams(0, uint8_t(m1), 1, 0, uint16_t(k1 - 1), false, 0));
        if constexpr (sizeof(T) == 2) {
            // Band j (16 columns): k1 fractals [16 k][16 n] -> (kb, j) at kb * n1 + j, transposed to [n][k].
            for (uint32_t j = 0; j < n1; ++j)
                LoadData(bL0[j * FRAC], bL1[j * kn * C], LoadData2DParams(0, uint8_t(k1), 1, 0, uint16_t(n1 - 1), true, 0));
        } else {
            // Band j (32 columns): kn / 32 squares [32 k][32 n] -> fractals (kb, 2j), (kb, 2j + 1) at kb * n1 + 2j + f.
            for (uint32_t j = 0; j < cn / C; ++j)
                LoadDataWithTranspose(bL0[2 * j * FRAC], bL1[j * kn * C],
                                      LoadData2dTransposeParams(0, uint8_t(kn / 32), 1, uint16_t(n1 - 1), 0));
        }
    }

    TBuf<TPosition::A1> aL1Buf_;
    TBuf<TPosition::B1> bL1Buf_;
    TBuf<TPosition::A2> aL0Buf_;
    TBuf<TPosition::B2> bL0Buf_;
    TBuf<TPosition::CO1> accBuf_;
    LocalTensor<uint8_t> aL1_, bL1_, aL0_, bL0_, acc_;
    uint32_t bufCount_ = 0;
};

}  // namespace dsa
