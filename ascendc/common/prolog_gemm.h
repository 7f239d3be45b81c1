// Weight-streaming matmul of the prologs on the AIC: C [m, n] = A [m, k] . W [k, n] for a small
// activation block A (m = tokens, ND in GM) against a weight W held in GM in FRACTAL_NZ
// ([n / C0, k / 16, 16, C0], dsaops.formats), read by DMA straight into L1 (its bands are already the
// L1 layout) and streamed from GM exactly once per call over all the AI cores.
//
// Work units. A job's weight is cut into units of kPart rows x nTile columns, ordered K-part by K-part
// (units of one K part are adjacent, so a core reuses the A block it loaded; consecutive jobs over the
// same A and K parts form a chain whose K parts interleave, so the A block also serves every job of the
// chain); the units of every job of the call are laid end to end by bytes and each unit belongs to the
// core whose equal share of the total bytes holds the unit's middle byte (PrologGemmSplit): every core
// streams about total / cores bytes, each weight byte is read by one core. A job with kPart < k is split
// by K: unit (kp, nt) writes its partial product to part kp of the output ([parts, m, n]); the vector
// side adds the parts (a reduction where the columns run short: wk has 128 columns, w_proj 64). A job
// with kPart == k writes the finished C. A and W blocks in L1 are reused only when source, offsets and
// sizes all match (ForgetA when a workspace A is rewritten between units).
//
// Element types: bf16 (fp32 accumulation) and int8 (int32 accumulation: the dequant by the per-token
// and per-channel scales is the caller's vector stage). Rows of A go 64 at a time (MBLOCK); per unit
// and m block: A [mb, kPart] GM -> L1 (Nd2Nz, skipped when the same block is already there), W unit GM
// -> L1 (one DMA per unit, two L1 slots so the next unit's DMA can run under this one's cube work; an
// ND weight such as the Hadamard matrix is converted by Nd2Nz on the way and a slot holding the same
// unit is reused), then per k chunk of 256 bytes per row: A chunk -> L0A (Zz), W chunk -> L0B (Zn, the
// NZ bands transposed per fractal / 32 x 32 int8 square), Mmad into L0C, finally Fixpipe NZ -> ND to GM.
//
// Events (AIC): MTE1_MTE2 ids 0 (A slot) and 1, 2 (W slots) "L1 free", M_MTE1 ids 0, 1 (L0A/L0B ping-pong)
// "L0 free", FIX_M ids 0, 1 (L0C ping-pong) pre-set by Init and drained by DrainEvents; MTE2_MTE1,
// MTE1_M and M_FIX id 0 are set and waited back to back.
#pragma once

#include "common/arch.h"

namespace dsa {

struct PrologGemmJob {
    GM_ADDR a = nullptr;    // ND [m, k] (row stride k)
    GM_ADDR w = nullptr;    // FRACTAL_NZ [n / C0, k / 16, 16, C0], or ND [k, n] when wNd
    GM_ADDR out = nullptr;  // [k / kPart, m, n] of the accumulator type (fp32 or int32; bf16 when outBf16)
    uint32_t k = 0, n = 0;
    uint32_t kPart = 0;     // rows of W per unit: divides k, a multiple of the k chunk (256 B of a row)
    uint32_t nTile = 0;     // columns per unit: divides n, a multiple of 32
    bool int8 = false;      // int8 x int8 -> int32, else bf16 x bf16 -> fp32
    bool wNd = false;       // W is ND in GM (converted to NZ by the DMA)
    bool outBf16 = false;   // bf16 job whose output is rounded to bf16 by the Fixpipe (F322BF16, RINT)
    uint32_t ldOut = 0;     // elements between output rows (0: n); part kp starts at kp * m * ldOut

    __aicore__ inline uint32_t ElemBytes() const { return int8 ? 1u : 2u; }
    __aicore__ inline uint32_t Parts() const { return k / kPart; }
    __aicore__ inline uint32_t Tiles() const { return n / nTile; }
    __aicore__ inline uint32_t Units() const { return Parts() * Tiles(); }
    __aicore__ inline uint64_t UnitBytes() const { return uint64_t(kPart) * nTile * ElemBytes(); }
};

// Which core streams which unit: unit bytes laid end to end (chains interleaved by K part), core c owns
// the units whose middle byte falls in [c * total / cores, (c + 1) * total / cores).
class PrologGemmSplit {
public:
    static constexpr uint32_t MAX_JOBS = 4;

    __aicore__ inline void Init(const PrologGemmJob* jobs, uint32_t count, uint32_t cores)
    {
        count_ = count;
        cores_ = cores;
        total_ = 0;
        for (uint32_t j = 0; j < count; ++j) jobs_[j] = jobs[j];
        // Chains: consecutive jobs over the same A with the same K parts run K part by K part across the
        // chain (wk and w_proj both multiply x: a core loads each A block once for both).
        for (uint32_t j = 0; j < count;) {
            uint32_t end = j + 1;
            while (end < count && jobs[end].a == jobs[j].a && jobs[end].k == jobs[j].k &&
                   jobs[end].kPart == jobs[j].kPart)
                ++end;
            uint64_t partBytes = 0;  // one K part of every job of the chain
            for (uint32_t i = j; i < end; ++i) {
                chainOffset_[i] = partBytes;
                partBytes += uint64_t(jobs[i].Tiles()) * jobs[i].UnitBytes();
            }
            for (uint32_t i = j; i < end; ++i) {
                chainStart_[i] = total_;
                chainEnd_[i] = end;
                partBytes_[i] = partBytes;
            }
            total_ += partBytes * jobs[j].Parts();
            j = end;
        }
    }
    // Core of unit (kp, nt) of job j: units in chain / K part / job / tile order, by their middle byte.
    __aicore__ inline uint32_t Owner(uint32_t job, uint32_t kp, uint32_t nt) const
    {
        const uint64_t unit = jobs_[job].UnitBytes();
        const uint64_t mid = chainStart_[job] + kp * partBytes_[job] + chainOffset_[job] + nt * unit + unit / 2;
        return uint32_t(mid * cores_ / total_);
    }
    // f(job index, K part, column tile) for every unit of `core`, in chain / K part / job / tile order.
    template <class F>
    __aicore__ inline void ForEachUnit(uint32_t core, F&& f) const
    {
        for (uint32_t j = 0; j < count_; j = chainEnd_[j])
            for (uint32_t kp = 0; kp < jobs_[j].Parts(); ++kp)
                for (uint32_t i = j; i < chainEnd_[j]; ++i)
                    for (uint32_t nt = 0; nt < jobs_[i].Tiles(); ++nt)
                        if (Owner(i, kp, nt) == core) f(i, kp, nt);
    }
    __aicore__ inline uint64_t TotalBytes() const { return total_; }

private:
    PrologGemmJob jobs_[MAX_JOBS];
    uint64_t chainStart_[MAX_JOBS] = {}, chainOffset_[MAX_JOBS] = {}, partBytes_[MAX_JOBS] = {};
    uint32_t chainEnd_[MAX_JOBS] = {};
    uint64_t total_ = 0;
    uint32_t count_ = 0, cores_ = 1;
};

class PrologGemm {
public:
    static constexpr uint32_t MBLOCK = 64;               // rows of A per pass
    static constexpr uint32_t K_CHUNK_BYTES = 256;       // bytes of a row per L0 chunk (bf16 128, int8 256)
    static constexpr uint32_t A_L1 = 128 * 1024;         // MBLOCK x kPart
    static constexpr uint32_t W_L1 = 128 * 1024;         // kPart x nTile, per slot
    static constexpr uint32_t L0A_SLOT = MBLOCK * K_CHUNK_BYTES;    // 16 KB
    static constexpr uint32_t L0B_SLOT = L0B_BYTES / 2;             // 32 KB: K_CHUNK x nTile <= 128 columns
    static constexpr uint32_t L0C_SLOT = L0C_BYTES / 4;             // 32 KB: MBLOCK x 128 fp32
    static constexpr uint32_t MAX_TILE = 128;
    static constexpr uint32_t L1_BYTES_USED = A_L1 + 2 * W_L1;
    static_assert(2 * L0A_SLOT <= L0A_BYTES && 2 * L0B_SLOT <= L0B_BYTES && 2 * L0C_SLOT <= L0C_BYTES, "L0 plan");
    static_assert(K_CHUNK_BYTES * MAX_TILE <= L0B_SLOT && MBLOCK * MAX_TILE * 4 <= L0C_SLOT, "L0 slots");

    // Buffers from `pipe` (L1: A_L1 + 2 W_L1; L0A, L0B, L0C halves), then the "free" events.
    __aicore__ inline void Init(TPipe* pipe)
    {
        pipe->InitBuffer(aL1Buf_, A_L1);
        pipe->InitBuffer(wL1Buf_, 2 * W_L1);
        pipe->InitBuffer(l0aBuf_, 2 * L0A_SLOT);
        pipe->InitBuffer(l0bBuf_, 2 * L0B_SLOT);
        pipe->InitBuffer(accBuf_, 2 * L0C_SLOT);
        SetFlag<HardEvent::MTE1_MTE2>(EV_A);
        SetFlag<HardEvent::MTE1_MTE2>(EV_W0);
        SetFlag<HardEvent::MTE1_MTE2>(EV_W1);
        SetFlag<HardEvent::M_MTE1>(EVENT_ID0);
        SetFlag<HardEvent::M_MTE1>(EVENT_ID1);
        SetFlag<HardEvent::FIX_M>(EVENT_ID0);
        SetFlag<HardEvent::FIX_M>(EVENT_ID1);
    }
    __aicore__ inline void DrainEvents()
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EV_A);
        WaitFlag<HardEvent::MTE1_MTE2>(EV_W0);
        WaitFlag<HardEvent::MTE1_MTE2>(EV_W1);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID1);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID1);
    }
    // Forget the A block in L1: its GM source was rewritten (e.g. a workspace slot that holds new rows).
    __aicore__ inline void ForgetA() { aKey_ = Key{}; }

    // One unit (K part kp, column tile nt) of `job` for the m rows of A.
    __aicore__ inline void RunUnit(const PrologGemmJob& job, uint32_t kp, uint32_t nt, uint32_t m)
    {
        if (job.int8) Unit<int8_t, int32_t>(job, kp, nt, m);
        else Unit<bfloat16_t, float>(job, kp, nt, m);
    }

private:
    struct Key {
        GM_ADDR src = nullptr;
        uint32_t a = 0, b = 0, c = 0, d = 0;
        __aicore__ inline bool operator==(const Key& o) const
        {
            return src == o.src && a == o.a && b == o.b && c == o.c && d == o.d;
        }
    };
    static constexpr event_t EV_A = EVENT_ID0;
    static constexpr event_t EV_W0 = EVENT_ID1;
    static constexpr event_t EV_W1 = EVENT_ID2;

    template <class T, class Acc>
    __aicore__ inline void Unit(const PrologGemmJob& job, uint32_t kp, uint32_t nt, uint32_t m)
    {
        constexpr uint32_t C0 = BLOCK_BYTES / sizeof(T);       // columns of an NZ band
        constexpr uint32_t FRAC = FRACTAL_BYTES / sizeof(T);   // elements of a fractal
        constexpr uint32_t KC = K_CHUNK_BYTES / sizeof(T);     // k per L0 chunk
        const uint32_t k0 = kp * job.kPart, n0 = nt * job.nTile;
        const uint32_t kPart = job.kPart, nTile = job.nTile, n1 = nTile / 16;

        // W unit -> an L1 slot (reused when a slot already holds it).
        const Key wKey{job.w, k0 + 1, n0 + 1, kPart, nTile};  // a W unit is kPart x nTile from (k0, n0)
        uint32_t slot = 2;
        for (uint32_t s = 0; s < 2; ++s)
            if (wKey_[s] == wKey) slot = s;
        const bool wLoad = slot == 2;
        if (wLoad) slot = nextW_++ % 2;
        const event_t evW = slot == 0 ? EV_W0 : EV_W1;
        LocalTensor<T> wL1 = wL1Buf_.Get<T>()[slot * (W_L1 / sizeof(T))];
        WaitFlag<HardEvent::MTE1_MTE2>(evW);
        if (wLoad) {
            GlobalTensor<T> wGm;
            wGm.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(job.w));
            if (job.wNd) {  // ND [k, n]: Nd2Nz makes the bands (kPart rows each)
                DataCopy(wL1, wGm[uint64_t(k0) * job.n + n0], Nd2NzParams(1, kPart, nTile, 0, job.n, kPart, 1, 0));
            } else {        // NZ: band b of the weight holds k rows of C0 columns; the unit's kPart rows of each band
                DataCopy(wL1, wGm[uint64_t(n0 / C0) * job.k * C0 + uint64_t(k0) * C0],
                         DataCopyParams(nTile / C0, kPart, job.k - kPart, 0));
            }
            wKey_[slot] = wKey;
        }
        for (uint32_t m0 = 0; m0 < m; m0 += MBLOCK) {
            const uint32_t mb = Min(MBLOCK, m - m0), mPad = Align(mb, 16u);
            // A block [mb, kPart] -> L1 NZ (mPad rows per band), unless it is there already.
            const Key aKey{job.a, k0 + 1, m0 + 1, kPart};  // an A block is kPart columns wide
            WaitFlag<HardEvent::MTE1_MTE2>(EV_A);
            LocalTensor<T> aL1 = aL1Buf_.Get<T>();
            if (!(aKey_ == aKey) || aRows_ != mb) {
                GlobalTensor<T> aGm;
                aGm.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(job.a));
                DataCopy(aL1, aGm[uint64_t(m0) * job.k + k0], Nd2NzParams(1, mb, kPart, 0, job.k, mPad, 1, 0));
                aKey_ = aKey;
                aRows_ = mb;
            }
            SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
            WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);

            const uint32_t acc = accCount_++ % 2;
            WaitFlag<HardEvent::FIX_M>(acc == 0 ? EVENT_ID0 : EVENT_ID1);
            LocalTensor<Acc> accL0c = accBuf_.Get<Acc>()[acc * (L0C_SLOT / sizeof(Acc))];
            const uint32_t chunks = kPart / KC;
            for (uint32_t c = 0; c < chunks; ++c) {
                const uint32_t l0 = l0Count_++ % 2;
                const event_t evL0 = l0 == 0 ? EVENT_ID0 : EVENT_ID1;
                LocalTensor<T> l0a = l0aBuf_.Get<T>()[l0 * (L0A_SLOT / sizeof(T))];
                LocalTensor<T> l0b = l0bBuf_.Get<T>()[l0 * (L0B_SLOT / sizeof(T))];
                WaitFlag<HardEvent::M_MTE1>(evL0);
                // L0A Zz: fractal (mb, kb) at mb * (KC / C0) + kb; L1 band kb holds mPad / 16 fractals in a row.
                for (uint32_t mf = 0; mf < mPad / 16; ++mf)
                    LoadData(l0a[mf * (KC / C0) * FRAC], aL1[(c * KC / C0) * mPad * C0 + mf * 16 * C0],
                             LoadData2DParams(0, uint8_t(KC / C0), uint16_t(mPad / 16), 0, 0, false, 0));
                // L0B Zn: fractal (kb, nb) at kb * n1 + nb stored [n][k]: transpose the NZ band fractals.
                if constexpr (sizeof(T) == 1) {
                    for (uint32_t b = 0; b < nTile / 32; ++b)  // 32 x 32 squares: two Zn fractals each
                        LoadDataWithTranspose(l0b[2 * b * FRAC], wL1[b * kPart * 32 + c * KC * 32],
                                              LoadData2dTransposeParams(0, uint8_t(KC / 32), 1, uint16_t(n1 - 1), 0));
                } else {
                    for (uint32_t b = 0; b < n1; ++b)
                        LoadDataWithTranspose(l0b[b * FRAC], wL1[b * kPart * 16 + c * KC * 16],
                                              LoadData2dTransposeParams(0, uint8_t(KC / 16), 1, uint16_t(n1 - 1), 0));
                }
                if (c + 1 == chunks) {
                    SetFlag<HardEvent::MTE1_MTE2>(EV_A);
                    if (m0 + MBLOCK >= m) SetFlag<HardEvent::MTE1_MTE2>(evW);
                }
                SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
                WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
                MmadParams mm;
                mm.m = uint16_t(mb);
                mm.n = uint16_t(nTile);
                mm.k = uint16_t(KC);
                mm.cmatrixInitVal = c == 0;
                Mmad(accL0c, l0a, l0b, mm);
                SetFlag<HardEvent::M_MTE1>(evL0);
            }
            SetFlag<HardEvent::M_FIX>(EVENT_ID0);
            WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
            const uint32_t ld = job.ldOut != 0 ? job.ldOut : job.n;
            const uint64_t outAt = (uint64_t(kp) * m + m0) * ld + n0;
            FixpipeParamsV220 fp(uint16_t(nTile), uint16_t(mb), uint16_t(mPad), ld, false);
            if constexpr (sizeof(T) == 2) {
                if (job.outBf16) {
                    GlobalTensor<bfloat16_t> outGm;
                    outGm.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(job.out));
                    fp.quantPre = QuantMode_t::F322BF16;
                    Fixpipe<bfloat16_t, float, CFG_ROW_MAJOR>(outGm[outAt], accL0c, fp);
                }
            }
            if (!job.outBf16) {
                GlobalTensor<Acc> outGm;
                outGm.SetGlobalBuffer(reinterpret_cast<__gm__ Acc*>(job.out));
                Fixpipe<Acc, Acc, CFG_ROW_MAJOR>(outGm[outAt], accL0c, fp);
            }
            SetFlag<HardEvent::FIX_M>(acc == 0 ? EVENT_ID0 : EVENT_ID1);
        }
    }

    TBuf<TPosition::A1> aL1Buf_;
    TBuf<TPosition::B1> wL1Buf_;
    TBuf<TPosition::A2> l0aBuf_;
    TBuf<TPosition::B2> l0bBuf_;
    TBuf<TPosition::CO1> accBuf_;
    Key aKey_, wKey_[2];
    uint32_t aRows_ = 0, nextW_ = 0, accCount_ = 0, l0Count_ = 0;
};

}  // namespace dsa
