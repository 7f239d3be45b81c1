// AIC role of sparse flash attention. Per query row: V0 gather (the selected K~ / V~ rows of a key tile
// GM -> L1 by DMA, gather_kv.h), C1 S = Q.K~^T (heads x 64 keys, fp32) into the logits slot, and after
// the vector's softmax C2 O_tile = P.V~ (heads x 512, fp32) into the out slot.
//
// L1 plan (bytes, N1 = 128, Dr = 64):
//   queryL1   [Mpad, 576] bf16 NZ, band stride Mpad rows        144 KB
//   keyL1     [64, 576] bf16 NZ, band stride 64 rows             72 KB
//   valueL1   [64, 512] bf16 NZ (unused when value is key)       64 KB
//   probsL1   [Mpad, 64] bf16 NZ                                  16 KB
// L0A: one Q chunk [Mpad, 192] (48 KB) or P [Mpad, 64] (16 KB), Zz. L0B: one K~ chunk [192, 64] (24 KB)
// or V~ chunk [64, 128] (16 KB), Zn. L0C: 2 x 64 KB (S [Mpad, 64] or an O chunk [Mpad, 128], fp32).
// Events: MTE1_MTE2 (L1 free) and M_MTE1 (L0 free) and FIX_M (L0C free) are pre-set by the constructor
// and drained by DrainEvents; MTE2_MTE1, MTE1_M, M_FIX are set and waited back to back.
#pragma once

#include "sparse_flash_attention_common.h"

namespace dsa {

template <class P>
class SfaCube {
    using QT = typename P::QueryT;
    using KvT = typename P::KvT;
    static_assert(sizeof(QT) == 2 && sizeof(KvT) == 2, "the cube path takes 16-bit Q and KV");
    static constexpr uint32_t C0 = BLOCK_BYTES / sizeof(QT);              // 16 columns per band
    static constexpr uint32_t FRACTAL = FRACTAL_BYTES / sizeof(QT);       // 256 elements
    static constexpr uint32_t D = SfaPlan::HEAD_DIM;
    static constexpr uint32_t DQK = SfaPlan::HEAD_DIM + SfaPlan::ROPE_DIM;
    static constexpr uint32_t KT = SfaPlan::KEY_TILE;
    static constexpr uint32_t MMAX = SfaPlan::MAX_HEADS;
    static constexpr uint32_t KT_BANDS = KT / 16;
    static constexpr uint32_t CHUNK_BANDS = SfaPlan::K_CHUNK / C0;
    static constexpr uint32_t N_BANDS = SfaPlan::N_CHUNK / 16;
    static constexpr uint32_t QUERY_L1 = MMAX * DQK * sizeof(QT);
    static constexpr uint32_t KEY_L1 = KT * DQK * sizeof(KvT);
    static constexpr uint32_t VALUE_L1 = KT * D * sizeof(KvT);
    static constexpr uint32_t PROBS_L1 = MMAX * KT * sizeof(QT);
    static constexpr uint32_t L0A = MMAX * SfaPlan::K_CHUNK * sizeof(QT);
    static constexpr uint32_t L0B = SfaPlan::K_CHUNK * KT * sizeof(KvT);
    static constexpr uint32_t ACC = L0C_BYTES / 2;
    static_assert(QUERY_L1 + KEY_L1 + VALUE_L1 + PROBS_L1 <= L1_BYTES, "L1 plan exceeds L1");
    static_assert(L0A <= L0A_BYTES && MMAX * KT * sizeof(QT) <= L0A, "L0A plan");
    static_assert(L0B <= L0B_BYTES && KT * SfaPlan::N_CHUNK * sizeof(KvT) <= L0B, "L0B plan");
    static_assert(MMAX * SfaPlan::N_CHUNK * sizeof(float) <= ACC && MMAX * KT * sizeof(float) <= ACC, "L0C plan");
    static_assert(D % SfaPlan::N_CHUNK == 0 && SfaPlan::K_CHUNK % C0 == 0, "chunks");

    static constexpr event_t EV_QUERY = EVENT_ID0;  // MTE1_MTE2: queryL1
    static constexpr event_t EV_KV = EVENT_ID1;     // MTE1_MTE2: keyL1 + valueL1
    static constexpr event_t EV_PROBS = EVENT_ID2;  // MTE1_MTE2: probsL1
    static constexpr event_t EV_L0A = EVENT_ID0;    // M_MTE1
    static constexpr event_t EV_L0B = EVENT_ID1;    // M_MTE1

public:
    __aicore__ inline SfaCube()
    {
        SetFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        SetFlag<HardEvent::MTE1_MTE2>(EV_KV);
        SetFlag<HardEvent::MTE1_MTE2>(EV_PROBS);
        SetFlag<HardEvent::M_MTE1>(EV_L0A);
        SetFlag<HardEvent::M_MTE1>(EV_L0B);
        SetFlag<HardEvent::FIX_M>(EVENT_ID0);
        SetFlag<HardEvent::FIX_M>(EVENT_ID1);
    }
    // The scheduler drains the buffer-free events at the end (not a destructor: a twin error inside a
    // stage then reports cleanly instead of terminating during unwinding).
    __aicore__ inline void DrainEvents()
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        WaitFlag<HardEvent::MTE1_MTE2>(EV_KV);
        WaitFlag<HardEvent::MTE1_MTE2>(EV_PROBS);
        WaitFlag<HardEvent::M_MTE1>(EV_L0A);
        WaitFlag<HardEvent::M_MTE1>(EV_L0B);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID1);
    }

    __aicore__ inline void InitParams(const SfaParams& p, const SfaGm& gm, const KeyRows* keys, uint32_t core)
    {
        p_ = p;
        keys_ = keys;
        mPad_ = Align(p.heads, 16u);
        bands_ = (D + p.ropeDim) / C0;
        valueIsKey_ = gm.value == gm.key;
        queryStride_ = P::QUERY_PACKED ? D + p.ropeDim : D;
        ropeStride_ = P::QUERY_PACKED ? D + p.ropeDim : p.ropeDim;
        queryGm_.SetGlobalBuffer(reinterpret_cast<__gm__ QT*>(gm.query));
        GM_ADDR ws = gm.workspace + uint64_t(core) * SfaCoreWorkspace<P>(p);
        if constexpr (P::KV_DEQUANT) {
            keySlotGm_.SetGlobalBuffer(reinterpret_cast<__gm__ KvT*>(ws + SFA_KV_OFFSET), SfaPlan::KV_SLOT_BYTES / sizeof(KvT));
            valueSlotGm_.SetGlobalBuffer(reinterpret_cast<__gm__ KvT*>(ws + SFA_V_OFFSET), SfaPlan::V_SLOT_BYTES / sizeof(KvT));
        } else {
            keyGm_.SetGlobalBuffer(reinterpret_cast<__gm__ KvT*>(gm.key));
            valueGm_.SetGlobalBuffer(reinterpret_cast<__gm__ KvT*>(gm.value));
            if (p.ropeDim != 0) keyRopeGm_.SetGlobalBuffer(reinterpret_cast<__gm__ KvT*>(gm.keyRope));
        }
        if (p.ropeDim != 0) {
            if constexpr (P::QUERY_PACKED) queryRopeGm_ = queryGm_[D];
            else queryRopeGm_.SetGlobalBuffer(reinterpret_cast<__gm__ QT*>(gm.queryRope));
        }
        logitsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(ws), SfaPlan::LOGITS_SLOT_BYTES / sizeof(float));
        probsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ QT*>(ws + SFA_PROBS_OFFSET), SfaPlan::PROBS_SLOT_BYTES / sizeof(QT));
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(ws + SFA_OUT_OFFSET), SfaPlan::OUT_SLOT_BYTES / sizeof(float));
    }

    __aicore__ inline void InitBuffers(TPipe* pipe)
    {
        pipe->InitBuffer(queryL1Buf_, QUERY_L1);
        pipe->InitBuffer(keyL1Buf_, KEY_L1);
        pipe->InitBuffer(valueL1Buf_, VALUE_L1);
        pipe->InitBuffer(probsL1Buf_, PROBS_L1);
        pipe->InitBuffer(l0aBuf_, L0A);
        pipe->InitBuffer(l0bBuf_, L0B);
        pipe->InitBuffer(accBuf_, L0C_BYTES);
        queryL1_ = queryL1Buf_.Get<QT>();
        keyL1_ = keyL1Buf_.Get<KvT>();
        valueL1_ = valueL1Buf_.Get<KvT>();
        probsL1_ = probsL1Buf_.Get<QT>();
        l0a_ = l0aBuf_.Get<QT>();
        l0b_ = l0bBuf_.Get<KvT>();
        acc_ = accBuf_.Get<float>();
    }

    // V0: the row's next key tile into keyL1 / valueL1; returns its keys (0: the row has no more).
    __aicore__ inline uint32_t GatherTile(const RowRun& r, CompactCursor& cursor)
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EV_KV);
        const bool flat = cursor.FlatRows();
        const uint32_t n = cursor.NextTile(KT, [&](const KeyRun& run, uint32_t row) {
            GatherRowsNz(keyL1_, keyGm_, D, KT, *keys_, r.batch, r.kvStart, run, row, flat);
            if (p_.ropeDim != 0)
                GatherRowsNz(keyL1_[D * KT], keyRopeGm_, p_.ropeDim, KT, *keys_, r.batch, r.kvStart, run, row, flat);
            if (!valueIsKey_) GatherRowsNz(valueL1_, valueGm_, D, KT, *keys_, r.batch, r.kvStart, run, row, flat);
        });
        if (n == 0) {
            SetFlag<HardEvent::MTE1_MTE2>(EV_KV);
            return 0;
        }
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        return n;
    }

    // KV_DEQUANT: the tile the AIVs dequantised (K~ [keys, 576] and, unless value is key, V~ [keys, 512]
    // in the kv slots) -> keyL1 / valueL1. The scheduler has waited for V0C1_KV_READY.
    __aicore__ inline void LoadKvTile(uint32_t keys)
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EV_KV);
        const uint32_t dqk = D + p_.ropeDim;
        DataCopy(keyL1_, keySlotGm_, Nd2NzParams(1, keys, dqk, 0, dqk, KT, 1, 0));
        if (!valueIsKey_) DataCopy(valueL1_, valueSlotGm_, Nd2NzParams(1, keys, D, 0, D, KT, 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    }

    // The row's query [N1, 512 (+64)] GM -> L1 (NZ); stays for all its tiles.
    __aicore__ inline void LoadQuery(const RowRun& r)
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        const uint32_t n1 = p_.heads;
        DataCopy(queryL1_, queryGm_[r.flatRow * n1 * queryStride_], Nd2NzParams(1, n1, D, 0, queryStride_, mPad_, 1, 0));
        if (p_.ropeDim != 0)
            DataCopy(queryL1_[D * mPad_], queryRopeGm_[r.flatRow * n1 * ropeStride_],
                     Nd2NzParams(1, n1, p_.ropeDim, 0, ropeStride_, mPad_, 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
    }
    __aicore__ inline void ReleaseQuery() { SetFlag<HardEvent::MTE1_MTE2>(EV_QUERY); }

    // C1: S [N1, 64] = Q.K~^T over K_CHUNK-wide k chunks accumulated in L0C, then Fixpipe to the logits slot.
    __aicore__ inline void ComputeLogits()
    {
        const uint32_t acc = BeginAcc();
        LocalTensor<float> accL0c = acc_[acc * ACC / sizeof(float)];
        for (uint32_t c0 = 0; c0 < bands_; c0 += CHUNK_BANDS) {
            const uint32_t nb = Min(CHUNK_BANDS, bands_ - c0);
            WaitFlag<HardEvent::M_MTE1>(EV_L0A);
            WaitFlag<HardEvent::M_MTE1>(EV_L0B);
            // queryL1 band kb holds Mpad/16 fractals in a row; Zz wants (mb, kb) at mb * nb + kb.
            for (uint32_t kb = 0; kb < nb; ++kb)
                LoadData(l0a_[kb * FRACTAL], queryL1_[(c0 + kb) * mPad_ * C0],
                         LoadData2DParams(0, uint8_t(mPad_ / 16), 1, 0, uint16_t(nb - 1), false, 0));
            // keyL1 [64, DQK] in NZ is K~^T in Zn: bands c0.. are one contiguous run of fractals.
            LoadData(l0b_, keyL1_[c0 * KT * C0], LoadData2DParams(0, uint8_t(nb * KT_BANDS), 1, 0, 0, false, 0));
            SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
            WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
            MmadParams mm;
            mm.m = uint16_t(p_.heads);
            mm.n = uint16_t(KT);
            mm.k = uint16_t(nb * C0);
            mm.cmatrixInitVal = c0 == 0;
            Mmad(accL0c, l0a_, l0b_, mm);
            SetFlag<HardEvent::M_MTE1>(EV_L0A);
            SetFlag<HardEvent::M_MTE1>(EV_L0B);
        }
        SetFlag<HardEvent::M_FIX>(EVENT_ID0);
        WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
        FixpipeParamsV220 fp(uint16_t(KT), uint16_t(p_.heads), uint16_t(mPad_), KT, false);
        Fixpipe<float, float, CFG_ROW_MAJOR>(logitsGm_, accL0c, fp);
        EndAcc(acc);
    }

    // C2: O_tile [N1, 512] = P [N1, keys] . V~ [keys, 512], N_CHUNK columns per Mmad, to the out slot.
    // k = keys exactly: rows of the tile past `keys` are never read.
    __aicore__ inline void ComputeOut(uint32_t keys)
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EV_PROBS);
        DataCopy(probsL1_, probsGm_, Nd2NzParams(1, p_.heads, KT, 0, KT, mPad_, 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(EV_L0A);
        // Zz with K1 = ceil(keys / 16) fractals per row band: the layout Mmad's k = keys implies.
        const uint32_t kBands = CeilDiv(keys, 16u);
        for (uint32_t kb = 0; kb < kBands; ++kb)
            LoadData(l0a_[kb * FRACTAL], probsL1_[kb * mPad_ * C0],
                     LoadData2DParams(0, uint8_t(mPad_ / 16), 1, 0, uint16_t(kBands - 1), false, 0));
        SetFlag<HardEvent::MTE1_MTE2>(EV_PROBS);
        const LocalTensor<KvT>& valueL1 = valueIsKey_ ? keyL1_ : valueL1_;
        for (uint32_t n0 = 0; n0 < D; n0 += SfaPlan::N_CHUNK) {
            WaitFlag<HardEvent::M_MTE1>(EV_L0B);
            // valueL1 (NZ): fractal (column band db, key band kb) at db * KT_BANDS + kb, stored [key][d];
            // Zn wants (kb, nb) at kb * N_BANDS + nb stored [d][key]: transpose each fractal.
            for (uint32_t kb = 0; kb < KT_BANDS; ++kb)
                LoadData(l0b_[kb * N_BANDS * FRACTAL], valueL1,
                         LoadData2DParams(uint16_t((n0 / 16) * KT_BANDS + kb), uint8_t(N_BANDS), uint16_t(KT_BANDS),
                                          0, 0, true, 0));
            if (n0 + SfaPlan::N_CHUNK == D) SetFlag<HardEvent::MTE1_MTE2>(EV_KV);  // the tile's L1 is free
            SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
            WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
            const uint32_t acc = BeginAcc();
            LocalTensor<float> accL0c = acc_[acc * ACC / sizeof(float)];
            MmadParams mm;
            mm.m = uint16_t(p_.heads);
            mm.n = uint16_t(SfaPlan::N_CHUNK);
            mm.k = uint16_t(keys);
            mm.cmatrixInitVal = true;
            Mmad(accL0c, l0a_, l0b_, mm);
            SetFlag<HardEvent::M_MTE1>(EV_L0B);
            if (n0 + SfaPlan::N_CHUNK == D) SetFlag<HardEvent::M_MTE1>(EV_L0A);
            SetFlag<HardEvent::M_FIX>(EVENT_ID0);
            WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
            FixpipeParamsV220 fp(uint16_t(SfaPlan::N_CHUNK), uint16_t(p_.heads), uint16_t(mPad_), D, false);
            Fixpipe<float, float, CFG_ROW_MAJOR>(outGm_[n0], accL0c, fp);
            EndAcc(acc);
        }
    }

private:
    __aicore__ inline uint32_t BeginAcc()
    {
        const uint32_t acc = accCount_++ % 2;
        WaitFlag<HardEvent::FIX_M>(acc == 0 ? EVENT_ID0 : EVENT_ID1);
        return acc;
    }
    __aicore__ inline void EndAcc(uint32_t acc) { SetFlag<HardEvent::FIX_M>(acc == 0 ? EVENT_ID0 : EVENT_ID1); }

    SfaParams p_;
    const KeyRows* keys_ = nullptr;
    uint32_t mPad_ = 16, bands_ = 0, accCount_ = 0, queryStride_ = D, ropeStride_ = 0;
    bool valueIsKey_ = false;
    GlobalTensor<QT> queryGm_;       // [rows, N1, 512] (QUERY_PACKED: [rows, N1, 576])
    GlobalTensor<QT> queryRopeGm_;   // [rows, N1, 64] (QUERY_PACKED: queryGm_ + 512, row stride 576); unset without rope
    GlobalTensor<KvT> keyGm_;        // [key rows, 1, 512]
    GlobalTensor<KvT> keyRopeGm_;    // [key rows, 1, 64]; unset without rope
    GlobalTensor<KvT> valueGm_;      // [key rows, 1, 512]
    GlobalTensor<KvT> keySlotGm_;    // KV_DEQUANT: this core's dequantised K~ tile [64, 576]
    GlobalTensor<KvT> valueSlotGm_;  // KV_DEQUANT: this core's dequantised V~ tile [64, 512]
    GlobalTensor<float> logitsGm_;   // this core's logits slot [N1, 64] fp32
    GlobalTensor<QT> probsGm_;       // this core's probs slot [N1, 64] bf16
    GlobalTensor<float> outGm_;      // this core's out slot [N1, 512] fp32
    TBuf<TPosition::A1> queryL1Buf_, probsL1Buf_;
    TBuf<TPosition::B1> keyL1Buf_, valueL1Buf_;
    TBuf<TPosition::A2> l0aBuf_;
    TBuf<TPosition::B2> l0bBuf_;
    TBuf<TPosition::CO1> accBuf_;
    LocalTensor<QT> queryL1_, probsL1_, l0a_;
    LocalTensor<KvT> keyL1_, valueL1_, l0b_;
    LocalTensor<float> acc_;
};

}  // namespace dsa
