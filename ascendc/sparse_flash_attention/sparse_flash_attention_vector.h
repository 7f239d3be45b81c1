// AIV role of sparse flash attention: each AIV owns half of the heads (AIV 0 the first ceil(N1/2)).
// Split rows: WritePartial stores the part's unnormalised O and its (max, sum); V3 Combine merges a
// row's parts: M = max_j m_j, w_j = exp(m_j - M), O = sum_j w_j O_j / max(sum_j w_j l_j, tiny) (an empty
// part has m = LOWEST, l = 0, O = 0; a row without keys stays 0).
// KV_DEQUANT (antiquant): V0, each AIV gathers and dequantises its half of a tile's rows (tile rows
// [32 * sub, 32 * sub + 32)) into the kv slots (common/quant.h).
// V0: CompactIndices, the row's sparse indices compacted on the vector unit into this AIV's GM list
// (common/gather_kv.h IndexCompactor, using accUb as scratch before the row starts).
// V1: per key tile, the logits of its heads -> online softmax (online_softmax.h) -> bf16 P to the
// probs slot. V2: acc = exp(m - m') acc + the tile's P.V~ (one FusedMulAdd pass); at the row's end
// O / l -> bf16 -> attention_out (zeros for a row without keys).
//
// UB plan (bytes, 64 heads per AIV):
//   logitsUb   [64, 64] fp32                       16 KB
//   probsUb    [64, 64] bf16                        8 KB
//   accUb      [64, 512] fp32 output accumulator  128 KB
//   outTileUb  [CH, 512] fp32 slice of P.V~        16 KB (CH = 8) | 8 KB (CH = 4, KV_DEQUANT)
//   outUb      [CH, 512] bf16 slice of the output   8 KB          | 4 KB
//   softmax    OnlineSoftmax::SCRATCH_BYTES        3.25 KB
//   antiquant  KvAntiquant::SCRATCH_BYTES (KV_DEQUANT only)   ~10 KB
// Events: V_MTE2 (logitsUb, outTileUb free) and MTE3_V (probsUb, outUb free) are pre-set by the
// constructor and drained by Finish; MTE2_V and V_MTE3 are set and waited back to back.
#pragma once

#include "sparse_flash_attention_common.h"

namespace dsa {

template <class P>
class SfaVector {
    using OutT = typename P::OutT;
    static constexpr uint32_t D = SfaPlan::HEAD_DIM;
    static constexpr uint32_t KT = SfaPlan::KEY_TILE;
    static constexpr uint32_t HV = SfaPlan::MAX_HEADS / 2;
    static constexpr uint32_t CH = P::KV_DEQUANT ? SfaPlan::OUT_CHUNK_HEADS / 2 : SfaPlan::OUT_CHUNK_HEADS;
    static constexpr uint32_t DEQ_UB = P::KV_DEQUANT ? KvAntiquant::SCRATCH_BYTES : 0;
    static constexpr uint32_t LOGITS_UB = HV * KT * sizeof(float);
    static constexpr uint32_t PROBS_UB = HV * KT * sizeof(OutT);
    static constexpr uint32_t ACC_UB = HV * D * sizeof(float);
    static constexpr uint32_t OUT_TILE_UB = CH * D * sizeof(float);
    static constexpr uint32_t OUT_UB = CH * D * sizeof(OutT);
    static_assert(KT == OnlineSoftmax::TILE && HV <= OnlineSoftmax::ROWS_MAX, "tile shape of the softmax");
    static_assert(IndexCompactor::SCRATCH_BYTES <= ACC_UB, "the index compaction runs in the accumulator");
    static_assert(LOGITS_UB + PROBS_UB + ACC_UB + OUT_TILE_UB + OUT_UB + OnlineSoftmax::SCRATCH_BYTES + DEQ_UB <=
                      UB_USABLE_BYTES,
                  "UB plan exceeds 184 KB");

    static constexpr event_t EV_LOGITS = EVENT_ID0;    // V_MTE2
    static constexpr event_t EV_OUT_TILE = EVENT_ID1;  // V_MTE2
    static constexpr event_t EV_PROBS = EVENT_ID0;     // MTE3_V
    static constexpr event_t EV_OUT = EVENT_ID1;       // MTE3_V
    static constexpr event_t EV_PARTIAL = EVENT_ID3;   // MTE3_V, set and waited back to back (id 2: KvAntiquant)

public:
    __aicore__ inline SfaVector()
    {
        SetFlag<HardEvent::V_MTE2>(EV_LOGITS);
        SetFlag<HardEvent::V_MTE2>(EV_OUT_TILE);
        SetFlag<HardEvent::MTE3_V>(EV_PROBS);
        SetFlag<HardEvent::MTE3_V>(EV_OUT);
    }
    // Called by the scheduler at the end (not a destructor, see SfaCube::DrainEvents).
    __aicore__ inline void Finish()
    {
        if constexpr (P::KV_DEQUANT) dequant_.Drain();
        WaitFlag<HardEvent::V_MTE2>(EV_LOGITS);
        WaitFlag<HardEvent::V_MTE2>(EV_OUT_TILE);
        WaitFlag<HardEvent::MTE3_V>(EV_PROBS);
        WaitFlag<HardEvent::MTE3_V>(EV_OUT);
    }

    __aicore__ inline void InitParams(const SfaParams& p, const SfaGm& gm, const KeyRows* keys, uint32_t core,
                                      uint32_t sub)
    {
        p_ = p;
        keys_ = keys;
        sub_ = sub;
        valueIsKey_ = gm.value == gm.key;
        const uint32_t half = (p.heads + 1) / 2;
        head0_ = sub * half;
        heads_ = head0_ < p.heads ? Min(half, p.heads - head0_) : 0;
        GM_ADDR ws = gm.workspace + uint64_t(core) * SfaCoreWorkspace<P>(p);
        logitsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(ws), SfaPlan::LOGITS_SLOT_BYTES / sizeof(float));
        probsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ OutT*>(ws + SFA_PROBS_OFFSET), SfaPlan::PROBS_SLOT_BYTES / sizeof(OutT));
        outSlotGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(ws + SFA_OUT_OFFSET), SfaPlan::OUT_SLOT_BYTES / sizeof(float));
        if constexpr (P::KV_DEQUANT) {
            if constexpr (P::KV_SPLIT) {
                keyRows_.split = true;
                keyRows_.nope.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.key));
                keyRows_.rope.SetGlobalBuffer(reinterpret_cast<__gm__ int16_t*>(gm.keyRope));
                keyRows_.scales.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.keyScales));
                valueRows_ = keyRows_;
            } else {
                keyRows_.packed.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.key));
                valueRows_.packed.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.value));
            }
            keySlotGm_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(ws + SFA_KV_OFFSET),
                                       SfaPlan::KV_SLOT_BYTES / sizeof(bfloat16_t));
            valueSlotGm_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(ws + SFA_V_OFFSET),
                                         SfaPlan::V_SLOT_BYTES / sizeof(bfloat16_t));
        }
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ OutT*>(gm.out));
        partialBytes_ = uint64_t(p.heads) * D * sizeof(float) + 2 * SfaPlan::PARTIAL_STAT_BYTES;
        partialGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(gm.workspace + uint64_t(p.usedCoreNum) * SfaCoreWorkspace<P>(p)));
    }

    __aicore__ inline void InitBuffers(TPipe* pipe)
    {
        pipe->InitBuffer(logitsBuf_, LOGITS_UB);
        pipe->InitBuffer(probsBuf_, PROBS_UB);
        pipe->InitBuffer(accBuf_, ACC_UB);
        pipe->InitBuffer(outTileBuf_, OUT_TILE_UB);
        pipe->InitBuffer(outBuf_, OUT_UB);
        pipe->InitBuffer(softmaxBuf_, OnlineSoftmax::SCRATCH_BYTES);
        logitsUb_ = logitsBuf_.Get<float>();
        probsUb_ = probsBuf_.Get<OutT>();
        accUb_ = accBuf_.Get<float>();
        outTileUb_ = outTileBuf_.Get<float>();
        outUb_ = outBuf_.Get<OutT>();
        softmax_.Init(softmaxBuf_.Get<float>());
        index_.Init(accBuf_.Get<uint8_t>());  // the accumulator is free at a row's start
        if constexpr (P::KV_DEQUANT) {
            pipe->InitBuffer(dequantBuf_, DEQ_UB);
            dequant_.Init(dequantBuf_.Get<uint8_t>());
        }
    }

    // V0 (every row part, before BeginRow): the row's indices compacted on the vector unit into this AIV's list
    // (accUb is the scratch); returns the key positions the row attends to.
    __aicore__ inline uint32_t CompactIndices(const GlobalTensor<int32_t>& indicesGm, const RowRun& r,
                                              const GlobalTensor<int32_t>& listGm)
    {
        uint32_t positions = 0;
        PagedRows paged;
        if (keys_->Layout() == SeqLayout::PA_BSND && r.visible != 0) {
            paged.table = keys_->TableRow(r.batch);
            paged.blockSize = p_.blockSize;
            paged.blocks = CeilDiv(r.visible, p_.blockSize);
        }
        index_.Compact(indicesGm, r.flatRow * p_.sparseSize, p_.sparseSize, p_.sparseBlockSize, r.visible, listGm,
                       positions, paged);
        return positions;
    }
    __aicore__ inline uint32_t SubBlock() const { return sub_; }

    // V0 (KV_DEQUANT): a tile starts; its selected runs arrive through StageKv, EndKv sends the last rows.
    __aicore__ inline void BeginKv() { dequant_.Begin(keyRows_, keySlotGm_, true); }
    __aicore__ inline void StageKv(const RowRun& r, const KeyRun& run, uint32_t row, bool flatRows)
    {
        const uint32_t lo = sub_ * (SfaPlan::KEY_TILE / 2), hi = lo + SfaPlan::KEY_TILE / 2;
        const uint32_t a = Max(row, lo), b = Min(row + run.count, hi);
        for (uint32_t t = a; t < b;) {
            uint64_t flatRow = uint64_t(run.pos) + (t - row);  // flatRows: the list's own cache rows
            const uint32_t n = flatRows ? b - t : keys_->Run(r.batch, r.kvStart, run.pos + (t - row), b - t, flatRow);
            dequant_.Add(flatRow, n, t);
            if (!valueIsKey_) {
                dequant_.Flush();
                dequant_.Begin(valueRows_, valueSlotGm_, false);
                dequant_.Add(flatRow, n, t);
                dequant_.Flush();
                dequant_.Begin(keyRows_, keySlotGm_, true);
            }
            t += n;
        }
    }
    __aicore__ inline void EndKv() { dequant_.Flush(); }

    __aicore__ inline void BeginRow()
    {
        softmax_.Reset(heads_);
        if (heads_ == 0) return;
        Duplicate(accUb_, 0.0f, int32_t(heads_ * D));
        PipeBarrier<PIPE_V>();
    }

    // V1: the tile's logits (its first `keys` columns valid) -> P (bf16) in the probs slot.
    __aicore__ inline void Softmax(uint32_t keys)
    {
        if (heads_ == 0) return;
        const uint32_t n = heads_ * KT;
        WaitFlag<HardEvent::V_MTE2>(EV_LOGITS);
        DataCopy(logitsUb_, logitsGm_[head0_ * KT], n);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        softmax_.Update(logitsUb_, keys, p_.scale);
        WaitFlag<HardEvent::MTE3_V>(EV_PROBS);
        Cast(probsUb_, logitsUb_, RoundMode::CAST_RINT, n);
        SetFlag<HardEvent::V_MTE2>(EV_LOGITS);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(probsGm_[head0_ * KT], probsUb_, n);
        SetFlag<HardEvent::MTE3_V>(EV_PROBS);
    }

    // V2: acc = exp(m - m') acc + the tile's P.V~ (out slot) per head, one FusedMulAdd pass, CH heads per copy.
    __aicore__ inline void Accumulate()
    {
        for (uint32_t h = 0; h < heads_; h += CH) {
            const uint32_t n = Min(CH, heads_ - h) * D;
            WaitFlag<HardEvent::V_MTE2>(EV_OUT_TILE);
            DataCopy(outTileUb_, outSlotGm_[(head0_ + h) * D], n);
            SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
            WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
            softmax_.RescaleAdd(accUb_, h, Min(CH, heads_ - h), outTileUb_, D);
            SetFlag<HardEvent::V_MTE2>(EV_OUT_TILE);
        }
        PipeBarrier<PIPE_V>();
    }

    // Row end: attention_out rows of this AIV's heads = bf16(acc / l), or zeros when the row had no key.
    __aicore__ inline void EndRow(const RowRun& r, bool hadKeys)
    {
        if (heads_ == 0) return;
        if (hadKeys) softmax_.Finalize(accUb_, D);
        StoreOut(r, hadKeys);
    }

    // Split rows: this part's acc [heads, 512] (unnormalised), max and sum -> its partial slot.
    __aicore__ inline void WritePartial(const RowRun& r)
    {
        if (heads_ == 0) return;
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(PartialO(r.item)[head0_ * D], accUb_, heads_ * D);
        const DataCopyExtParams stat(1, heads_ * sizeof(float), 0, 0);
        DataCopyPad(PartialStat(r.item, 0)[head0_], softmax_.RowMax(), stat);
        DataCopyPad(PartialStat(r.item, 1)[head0_], softmax_.RowSum(), stat);
        SetFlag<HardEvent::MTE3_V>(EV_PARTIAL);  // acc, max and sum are rewritten by the next item
        WaitFlag<HardEvent::MTE3_V>(EV_PARTIAL);
    }

    // V3: merge the `splits` parts of row r.item / splits (items row * splits + j) -> attention_out, for this
    // part's share of this AIV's heads: the CH-head chunks [part * chunks / splits, (part + 1) * chunks / splits),
    // so every core that ran a part of the row merges a slice of it.
    // Scratch: logitsUb (per-part max, sum, weights; the merged max and sum), probsUb (row broadcasts).
    __aicore__ inline void Combine(const RowRun& r)
    {
        const uint32_t parts = p_.splits;
        const uint32_t chunks = CeilDiv(heads_, CH);
        const uint32_t hLo = r.part * chunks / parts * CH, hHi = Min(heads_, (r.part + 1) * chunks / parts * CH);
        if (hLo >= hHi) return;
        const uint64_t row = r.item / parts;
        const LocalTensor<float> mAll = logitsUb_;             // [parts, 64]
        const LocalTensor<float> lAll = logitsUb_[SfaPlan::MAX_SPLITS * HV];
        const LocalTensor<float> wAll = logitsUb_[2 * SfaPlan::MAX_SPLITS * HV];
        const LocalTensor<float> mMax = logitsUb_[3 * SfaPlan::MAX_SPLITS * HV];
        const LocalTensor<float> lSum = logitsUb_[3 * SfaPlan::MAX_SPLITS * HV + HV];
        const LocalTensor<float> bcast = probsUb_.template ReinterpretCast<float>();  // [64, 8]
        const DataCopyExtParams stat(1, heads_ * sizeof(float), 0, 0);
        const DataCopyPadExtParams<float> noPad(false, 0, 0, 0.0f);
        WaitFlag<HardEvent::V_MTE2>(EV_LOGITS);
        for (uint32_t j = 0; j < parts; ++j) {
            const uint64_t item = row * parts + j;
            DataCopyPad(mAll[j * HV], PartialStat(item, 0)[head0_], stat, noPad);
            DataCopyPad(lAll[j * HV], PartialStat(item, 1)[head0_], stat, noPad);
        }
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        const int32_t n = int32_t(heads_);
        Adds(mMax, mAll, 0.0f, n);
        PipeBarrier<PIPE_V>();
        for (uint32_t j = 1; j < parts; ++j) {
            Max(mMax, mMax, mAll[j * HV], n);
            PipeBarrier<PIPE_V>();
        }
        for (uint32_t j = 0; j < parts; ++j) Sub(wAll[j * HV], mAll[j * HV], mMax, n);
        PipeBarrier<PIPE_V>();
        Exp(wAll, wAll, int32_t(parts * HV));
        PipeBarrier<PIPE_V>();
        Duplicate(lSum, 0.0f, n);
        for (uint32_t j = 0; j < parts; ++j) Mul(lAll[j * HV], lAll[j * HV], wAll[j * HV], n);
        PipeBarrier<PIPE_V>();
        for (uint32_t j = 0; j < parts; ++j) {
            Add(lSum, lSum, lAll[j * HV], n);
            PipeBarrier<PIPE_V>();
        }
        Maxs(lSum, lSum, 1.0e-30f, n);  // a row without keys: O = 0, keep 0 / l finite
        WaitFlag<HardEvent::MTE3_V>(EV_PROBS);
        PipeBarrier<PIPE_V>();
        const uint8_t rowBlocks = uint8_t(D * sizeof(float) / BLOCK_BYTES);
        for (uint32_t j = 0; j < parts; ++j) {
            Brcb(bcast, wAll[j * HV], uint8_t(CeilDiv(heads_, 8u)), BrcbRepeatParams(1, 8));
            PipeBarrier<PIPE_V>();
            const GlobalTensor<float> partO = PartialO(row * parts + j);
            for (uint32_t h = hLo; h < hHi; h += CH) {
                const uint32_t hc = Min(CH, hHi - h);
                WaitFlag<HardEvent::V_MTE2>(EV_OUT_TILE);
                DataCopy(outTileUb_, partO[(head0_ + h) * D], hc * D);
                SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
                WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
                // part 0 initialises acc = w_0 O_0; later parts add w_j O_j
                const LocalTensor<float> dst = j == 0 ? accUb_[h * D] : outTileUb_;
                for (uint32_t c = 0; c < D; c += OnlineSoftmax::TILE)
                    Mul(dst[c], outTileUb_[c], bcast[h * 8], uint64_t(OnlineSoftmax::TILE), uint8_t(hc),
                        BinaryRepeatParams(1, 1, 0, rowBlocks, rowBlocks, 1));
                PipeBarrier<PIPE_V>();
                if (j != 0) Add(accUb_[h * D], accUb_[h * D], outTileUb_, int32_t(hc * D));
                SetFlag<HardEvent::V_MTE2>(EV_OUT_TILE);
            }
            PipeBarrier<PIPE_V>();
        }
        Brcb(bcast, lSum, uint8_t(CeilDiv(heads_, 8u)), BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
        for (uint32_t c = 0; c < D; c += OnlineSoftmax::TILE)
            Div(accUb_[hLo * D + c], accUb_[hLo * D + c], bcast[hLo * 8], uint64_t(OnlineSoftmax::TILE),
                uint8_t(hHi - hLo), BinaryRepeatParams(1, 1, 0, rowBlocks, rowBlocks, 1));
        PipeBarrier<PIPE_V>();
        SetFlag<HardEvent::V_MTE2>(EV_LOGITS);
        SetFlag<HardEvent::MTE3_V>(EV_PROBS);
        StoreOut(r, true, hLo, hHi);
    }

private:
    __aicore__ inline GlobalTensor<float> PartialO(uint64_t item) const
    {
        GlobalTensor<float> t;
        t.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(partialGm_[item * partialBytes_].GetPhyAddr()));
        return t;
    }
    // which 0: max, 1: sum ([MAX_HEADS] fp32 after O)
    __aicore__ inline GlobalTensor<float> PartialStat(uint64_t item, uint32_t which) const
    {
        GlobalTensor<float> t;
        t.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(partialGm_[item * partialBytes_ + uint64_t(p_.heads) * D *
                                                                     sizeof(float) + which * SfaPlan::PARTIAL_STAT_BYTES]
                                                              .GetPhyAddr()));
        return t;
    }

    // bf16(acc) (or zeros) -> attention_out rows of this AIV's heads, CH heads per copy.
    __aicore__ inline void StoreOut(const RowRun& r, bool hadKeys, uint32_t hLo = 0, uint32_t hHi = ~0u)
    {
        hHi = Min(hHi, heads_);
        for (uint32_t h = hLo; h < hHi; h += CH) {
            const uint32_t n = Min(CH, hHi - h) * D;
            WaitFlag<HardEvent::MTE3_V>(EV_OUT);
            if (hadKeys) Cast(outUb_, accUb_[h * D], RoundMode::CAST_RINT, n);
            else Duplicate(outUb_.template ReinterpretCast<int16_t>(), int16_t(0), int32_t(n));
            SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
            WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
            DataCopy(outGm_[(r.flatRow * p_.heads + head0_ + h) * D], outUb_, n);
            SetFlag<HardEvent::MTE3_V>(EV_OUT);
        }
    }

    SfaParams p_;
    uint64_t partialBytes_ = 0;
    GlobalTensor<uint8_t> partialGm_;  // split rows: [rows * splits] partials of partialBytes_ each
    const KeyRows* keys_ = nullptr;
    uint32_t head0_ = 0, heads_ = 0, sub_ = 0;
    bool valueIsKey_ = false;
    KvRowSource keyRows_, valueRows_;                        // KV_DEQUANT: the cache rows
    GlobalTensor<bfloat16_t> keySlotGm_, valueSlotGm_;       // KV_DEQUANT: this core's kv slots
    TBuf<TPosition::VECCALC> dequantBuf_;
    KvAntiquant dequant_;
    GlobalTensor<float> logitsGm_;   // this core's logits slot [N1, 64] fp32
    GlobalTensor<OutT> probsGm_;     // this core's probs slot [N1, 64] bf16
    GlobalTensor<float> outSlotGm_;  // this core's out slot [N1, 512] fp32
    GlobalTensor<OutT> outGm_;       // attention_out [rows, N1, 512]
    TBuf<TPosition::VECCALC> logitsBuf_, probsBuf_, accBuf_, outTileBuf_, outBuf_, softmaxBuf_;
    LocalTensor<float> logitsUb_, accUb_, outTileUb_;
    LocalTensor<OutT> probsUb_, outUb_;
    OnlineSoftmax softmax_;
    IndexCompactor index_;
};

}  // namespace dsa
