// AIC role of the indexer (stage C1): Q.K^T of a query group against one key tile, into a workspace slot.
//
// L1 plan (bytes, bf16; int8 halves every entry):
//   [0, 64K)        queryL1  group rows * 64 heads x 128, NZ (the whole group: M <= 256)
//   [64K, 128K)     keyL1    2 x key tile 128 x 128, NZ (ping-pong by tile)
// L0A: queryL0a, M x 128 Zz (<= 64 KB, loaded once per unit). L0B: 2 x key tile Zn (ping-pong).
// L0C: 2 x 128 x 128 fp32/int32 (one Mmad of <= 128 rows each; ping-pong by Mmad).
#pragma once

#include "lightning_indexer_common.h"

namespace dsa {

template <class P>
class IndexerCube {
    using MmadT = typename P::MmadT;
    using AccT = typename P::AccT;
    using ScoreT = typename P::ScoreT;
    static constexpr uint32_t C0 = BLOCK_BYTES / sizeof(MmadT);          // columns of one fractal row
    static constexpr uint32_t K1 = IndexerPlan::HEAD_DIM / C0;           // k fractals
    static constexpr uint32_t N1 = IndexerPlan::KEY_TILE / 16;           // n fractals of a tile
    static constexpr uint32_t QUERY_ROWS_MAX = IndexerPlan::GROUP_ROWS * IndexerPlan::HEADS;
    static constexpr uint32_t QUERY_BYTES = QUERY_ROWS_MAX * IndexerPlan::HEAD_DIM * sizeof(MmadT);
    static constexpr uint32_t KEY_TILE_BYTES = IndexerPlan::KEY_TILE * IndexerPlan::HEAD_DIM * sizeof(MmadT);
    static constexpr uint32_t ACC_BYTES = IndexerPlan::MMAD_ROWS * IndexerPlan::KEY_TILE * sizeof(AccT);
    static_assert(QUERY_BYTES + 2 * KEY_TILE_BYTES <= L1_BYTES, "L1 plan exceeds L1");
    static_assert(QUERY_BYTES <= L0A_BYTES, "query group exceeds L0A");
    static_assert(2 * KEY_TILE_BYTES <= L0B_BYTES, "key tiles exceed L0B");
    static_assert(2 * ACC_BYTES <= L0C_BYTES, "accumulators exceed L0C");
    static_assert(K1 * N1 <= 255, "one LoadData must move a key tile");

    // Event ids. MTE1_MTE2 / M_MTE1 / FIX_M are "buffer free" events pre-set by the constructor.
    static constexpr event_t EV_QUERY = EVENT_ID2;  // queryL1 (MTE1_MTE2) and queryL0a (M_MTE1)

public:
    __aicore__ inline IndexerCube()
    {
        SetFlag<HardEvent::MTE1_MTE2>(EVENT_ID0);
        SetFlag<HardEvent::MTE1_MTE2>(EVENT_ID1);
        SetFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        SetFlag<HardEvent::M_MTE1>(EVENT_ID0);
        SetFlag<HardEvent::M_MTE1>(EVENT_ID1);
        SetFlag<HardEvent::M_MTE1>(EV_QUERY);
        SetFlag<HardEvent::FIX_M>(EVENT_ID0);
        SetFlag<HardEvent::FIX_M>(EVENT_ID1);
    }
    __aicore__ inline ~IndexerCube()
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::MTE1_MTE2>(EVENT_ID1);
        WaitFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID1);
        WaitFlag<HardEvent::M_MTE1>(EV_QUERY);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID1);
    }

    __aicore__ inline void InitParams(const IndexerParams& p, const IndexerGm& gm, const KeyRows* keys, uint32_t core)
    {
        p_ = p;
        keys_ = keys;
        queryGm_.SetGlobalBuffer(reinterpret_cast<__gm__ MmadT*>(gm.query));
        keyGm_.SetGlobalBuffer(reinterpret_cast<__gm__ MmadT*>(gm.key));
        scoreGm_.SetGlobalBuffer(reinterpret_cast<__gm__ ScoreT*>(gm.workspace + uint64_t(core) * p.coreWorkspaceBytes),
                                 IndexerPlan::SCORE_SLOTS * p.scoreSlotBytes / sizeof(ScoreT));
    }

    __aicore__ inline void InitBuffers(TPipe* pipe)
    {
        pipe->InitBuffer(queryL1Buf_, QUERY_BYTES);
        pipe->InitBuffer(keyL1Buf_, 2 * KEY_TILE_BYTES);
        pipe->InitBuffer(queryL0aBuf_, QUERY_BYTES);
        pipe->InitBuffer(keyL0bBuf_, 2 * KEY_TILE_BYTES);
        pipe->InitBuffer(accL0cBuf_, 2 * ACC_BYTES);
        queryL1_ = queryL1Buf_.Get<MmadT>();
        keyL1_ = keyL1Buf_.Get<MmadT>();
        queryL0a_ = queryL0aBuf_.Get<MmadT>();
        keyL0b_ = keyL0bBuf_.Get<MmadT>();
        accL0c_ = accL0cBuf_.Get<AccT>();
    }

    // The unit's query rows (rows * 64 heads x 128) GM -> L1 (NZ) -> L0A (Zz); stays for all its tiles.
    __aicore__ inline void LoadQuery(const WorkUnit& u)
    {
        rows_ = u.rows * IndexerPlan::HEADS;
        WaitFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        Nd2NzParams nd(1, rows_, IndexerPlan::HEAD_DIM, 0, IndexerPlan::HEAD_DIM, rows_, 1, 0);
        DataCopy(queryL1_, queryGm_[u.qFlat * IndexerPlan::HEADS * IndexerPlan::HEAD_DIM], nd);
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(EV_QUERY);
        // L1 NZ holds fractal (mb, kb) at kb * rows/16 + mb; L0A Zz wants mb * K1 + kb.
        for (uint32_t kb = 0; kb < K1; ++kb) {
            LoadData2DParams ld(0, uint8_t(rows_ / 16), 1, 0, uint16_t(K1 - 1), false, 0);
            LoadData(queryL0a_[kb * (FRACTAL_BYTES / sizeof(MmadT))], queryL1_[kb * rows_ * C0], ld);
        }
        SetFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
    }

    // Done with the unit's query: L0A may be reloaded once the last Mmad has read it.
    __aicore__ inline void ReleaseQuery() { SetFlag<HardEvent::M_MTE1>(EV_QUERY); }

    // One key tile: GM -> L1 (NZ, one copy per contiguous run: paged keys break at block ends) -> L0B,
    // then one Mmad + Fixpipe (ReLU, and the int8 dequant) per 128 query rows into score slot run.slot.
    __aicore__ inline void ComputeTile(const TileRun& run)
    {
        const event_t buf = run.tile % 2 == 0 ? EVENT_ID0 : EVENT_ID1;
        LocalTensor<MmadT> keyL1 = keyL1_[(run.tile % 2) * KEY_TILE_BYTES / sizeof(MmadT)];
        LocalTensor<MmadT> keyL0b = keyL0b_[(run.tile % 2) * KEY_TILE_BYTES / sizeof(MmadT)];
        WaitFlag<HardEvent::MTE1_MTE2>(buf);
        for (uint32_t done = 0; done < run.keys;) {
            uint64_t flatRow = 0;
            uint32_t n = keys_->Run(run.unit.batch, run.unit.kStart, run.keyStart + done, run.keys - done, flatRow);
            Nd2NzParams nd(1, n, IndexerPlan::HEAD_DIM, 0, IndexerPlan::HEAD_DIM, IndexerPlan::KEY_TILE, 1, 0);
            DataCopy(keyL1[done * C0], keyGm_[flatRow * IndexerPlan::HEAD_DIM], nd);
            done += n;
        }
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(buf);
        // Key [128, D] in NZ is exactly B = K^T in Zn: one contiguous fractal copy.
        LoadData(keyL0b, keyL1, LoadData2DParams(0, uint8_t(K1 * N1), 1, 0, 0, false, 0));
        SetFlag<HardEvent::MTE1_MTE2>(buf);
        SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
        WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);

        const uint64_t slotElems = p_.scoreSlotBytes / sizeof(ScoreT);
        for (uint32_t r0 = 0; r0 < rows_; r0 += IndexerPlan::MMAD_ROWS) {
            const uint32_t m = Min(IndexerPlan::MMAD_ROWS, rows_ - r0);
            const event_t acc = mmadCount_ % 2 == 0 ? EVENT_ID0 : EVENT_ID1;
            LocalTensor<AccT> accL0c = accL0c_[(mmadCount_ % 2) * ACC_BYTES / sizeof(AccT)];
            ++mmadCount_;
            WaitFlag<HardEvent::FIX_M>(acc);
            MmadParams mm;
            mm.m = uint16_t(m);
            mm.n = uint16_t(IndexerPlan::KEY_TILE);  // a short last tile computes garbage columns the vector masks
            mm.k = uint16_t(IndexerPlan::HEAD_DIM);
            mm.cmatrixInitVal = true;
            Mmad(accL0c, queryL0a_[(r0 / 16) * K1 * (FRACTAL_BYTES / sizeof(MmadT))], keyL0b, mm);
            SetFlag<HardEvent::M_FIX>(EVENT_ID0);
            WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
            FixpipeParamsV220 fp(uint16_t(IndexerPlan::KEY_TILE), uint16_t(m), uint16_t(Align(m, 16u)),
                                 uint32_t(IndexerPlan::KEY_TILE), true);
            fp.quantPre = P::FIX_QUANT;
            fp.deqScalar = P::FIX_DEQ;
            Fixpipe<ScoreT, AccT, CFG_ROW_MAJOR>(
                scoreGm_[run.slot * slotElems + uint64_t(r0) * IndexerPlan::KEY_TILE], accL0c, fp);
            SetFlag<HardEvent::FIX_M>(acc);
        }
        SetFlag<HardEvent::M_MTE1>(buf);
    }

private:
    IndexerParams p_;
    const KeyRows* keys_ = nullptr;
    GlobalTensor<MmadT> queryGm_;  // [rows, 64, 128]
    GlobalTensor<MmadT> keyGm_;    // [key rows, 1, 128]
    GlobalTensor<ScoreT> scoreGm_; // this core's score slots: SCORE_SLOTS x [groupRows * 64, keyTile]
    TBuf<TPosition::A1> queryL1Buf_;
    TBuf<TPosition::B1> keyL1Buf_;
    TBuf<TPosition::A2> queryL0aBuf_;
    TBuf<TPosition::B2> keyL0bBuf_;
    TBuf<TPosition::CO1> accL0cBuf_;
    LocalTensor<MmadT> queryL1_, keyL1_, queryL0a_, keyL0b_;
    LocalTensor<AccT> accL0c_;
    uint32_t rows_ = 0;
    uint32_t mmadCount_ = 0;
};

}  // namespace dsa
