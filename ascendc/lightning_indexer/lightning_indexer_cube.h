// AIC role of the indexer. Stage C1: Q.K^T of a query group against one key tile. bf16/fp16: the fp32
// tile (ReLU fused) goes to a workspace score slot. int8 (Mat-Duce, P::CUBE_HEAD_SUM): the Fixpipe
// writes R = ReLU(fp16(S / 1024)) to L1, and stage C2 sums the heads on the cube, P = W~ R, into the slot.
//
// L1 plan (bf16 | int8):
//   queryL1   group rows * 64 heads x 128, NZ            64 KB | 32 KB
//   keyL1     2 x key tile 128 x 128, NZ (ping-pong)      64 KB | 32 KB
//   rL1       int8 only: R, rows*64 x 128 fp16, NZ         -    | 64 KB
//   weightL1  int8 only: W~, 16 x rows*64 fp16, NZ         -    |  8 KB
// L0A: query (Zz, <= 64 KB | 32 KB) then, int8, W~ (8 KB). L0B: 2 key tiles (Zn, ping-pong), then, int8,
// half of R (rows*64 x 64 fp16 = 32 KB, Zn). L0C: 2 x 128 x 128 fp32/int32 (ping-pong by Mmad; C2's
// 16 x 64 results take their turn in the same ring).
#pragma once

#include "lightning_indexer_common.h"

namespace dsa {

template <class P>
class IndexerCube {
    using MmadT = typename P::MmadT;
    using AccT = typename P::AccT;
    static constexpr bool MATDUCE = P::CUBE_HEAD_SUM;
    static constexpr uint32_t C0 = BLOCK_BYTES / sizeof(MmadT);          // columns of one fractal row
    static constexpr uint32_t K1 = IndexerPlan::HEAD_DIM / C0;           // k fractals
    static constexpr uint32_t N1 = IndexerPlan::KEY_TILE / 16;           // n fractals of a tile
    static constexpr uint32_t QUERY_ROWS_MAX = IndexerPlan::GROUP_ROWS * IndexerPlan::HEADS;
    static constexpr uint32_t QUERY_BYTES = QUERY_ROWS_MAX * IndexerPlan::HEAD_DIM * sizeof(MmadT);
    static constexpr uint32_t KEY_TILE_BYTES = IndexerPlan::KEY_TILE * IndexerPlan::HEAD_DIM * sizeof(MmadT);
    static constexpr uint32_t ACC_BYTES = IndexerPlan::MMAD_ROWS * IndexerPlan::KEY_TILE * sizeof(AccT);
    static constexpr uint32_t HALF_TILE = IndexerPlan::KEY_TILE / 2;     // C2 runs on half a key tile at a time
    static constexpr uint32_t R_BYTES = MATDUCE ? QUERY_ROWS_MAX * IndexerPlan::KEY_TILE * sizeof(half) : 0;
    static constexpr uint32_t R_HALF_BYTES = MATDUCE ? QUERY_ROWS_MAX * HALF_TILE * sizeof(half) : 0;
    static constexpr uint32_t W_BYTES = MATDUCE ? 16 * QUERY_ROWS_MAX * sizeof(half) : 0;
    static_assert(QUERY_BYTES + 2 * KEY_TILE_BYTES + R_BYTES + W_BYTES <= L1_BYTES, "L1 plan exceeds L1");
    static_assert(QUERY_BYTES + W_BYTES <= L0A_BYTES, "L0A plan exceeds L0A");
    static_assert(2 * KEY_TILE_BYTES + R_HALF_BYTES <= L0B_BYTES, "L0B plan exceeds L0B");
    static_assert(2 * ACC_BYTES <= L0C_BYTES, "accumulators exceed L0C");
    static_assert(K1 * N1 <= 255, "one LoadData must move a key tile");

    // Event ids. MTE1_MTE2 / M_MTE1 / FIX_M / MTE1_FIX are "buffer free" events pre-set by the constructor
    // and drained by DrainEvents.
    static constexpr event_t EV_QUERY = EVENT_ID2;   // queryL1 (MTE1_MTE2) and queryL0a (M_MTE1)
    static constexpr event_t EV_R = EVENT_ID3;       // rL1 (MTE1_FIX) and the R half in L0B (M_MTE1)
    static constexpr event_t EV_WEIGHT = EVENT_ID4;  // weightL1 (MTE1_MTE2) and W~ in L0A (M_MTE1)

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
        if constexpr (MATDUCE) {
            SetFlag<HardEvent::MTE1_FIX>(EV_R);
            SetFlag<HardEvent::M_MTE1>(EV_R);
            SetFlag<HardEvent::MTE1_MTE2>(EV_WEIGHT);
            SetFlag<HardEvent::M_MTE1>(EV_WEIGHT);
        }
    }
    // Waits the "buffer free" events the constructor set (the scheduler calls it once, after the last
    // tile). Not a destructor: an error the twin raises inside a stage must not meet a second one while
    // the stack unwinds.
    __aicore__ inline void DrainEvents()
    {
        WaitFlag<HardEvent::MTE1_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::MTE1_MTE2>(EVENT_ID1);
        WaitFlag<HardEvent::MTE1_MTE2>(EV_QUERY);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(EVENT_ID1);
        WaitFlag<HardEvent::M_MTE1>(EV_QUERY);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID0);
        WaitFlag<HardEvent::FIX_M>(EVENT_ID1);
        if constexpr (MATDUCE) {
            WaitFlag<HardEvent::MTE1_FIX>(EV_R);
            WaitFlag<HardEvent::M_MTE1>(EV_R);
            WaitFlag<HardEvent::MTE1_MTE2>(EV_WEIGHT);
            WaitFlag<HardEvent::M_MTE1>(EV_WEIGHT);
        }
    }

    __aicore__ inline void InitParams(const IndexerParams& p, const IndexerGm& gm, const KeyRows* keys, uint32_t core)
    {
        p_ = p;
        keys_ = keys;
        GM_ADDR coreWs = gm.workspace + uint64_t(core) * p.coreWorkspaceBytes;
        queryGm_.SetGlobalBuffer(reinterpret_cast<__gm__ MmadT*>(gm.query));
        keyGm_.SetGlobalBuffer(reinterpret_cast<__gm__ MmadT*>(gm.key));
        scoreGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(coreWs),
                                 IndexerPlan::SCORE_SLOTS * p.scoreSlotBytes / sizeof(float));
        if constexpr (MATDUCE)
            weightGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(coreWs + WeightSlotOffset(p)),
                                      p.weightSlotBytes / sizeof(half));
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
        if constexpr (MATDUCE) {
            pipe->InitBuffer(rL1Buf_, R_BYTES);
            pipe->InitBuffer(weightL1Buf_, W_BYTES);
            pipe->InitBuffer(weightL0aBuf_, W_BYTES);
            pipe->InitBuffer(rL0bBuf_, R_HALF_BYTES);
            rL1_ = rL1Buf_.Get<half>();
            weightL1_ = weightL1Buf_.Get<half>();
            weightL0a_ = weightL0aBuf_.Get<half>();
            rL0b_ = rL0bBuf_.Get<half>();
        }
    }

    // The unit's query rows (rows * 64 heads x 128) GM -> L1 (NZ) -> L0A (Zz); stays for all its tiles.
    __aicore__ inline void LoadQuery(const WorkUnit& u)
    {
        units_ = u.rows;
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

    // Mat-Duce: the unit's W~ ([rows, rows*64] fp16, written by the AIVs) GM -> L1 (NZ) -> L0A (Zz, one
    // 16-row band). The scheduler has waited for the AIVs' flag.
    __aicore__ inline void LoadWeights()
    {
        if constexpr (MATDUCE) {
            WaitFlag<HardEvent::MTE1_MTE2>(EV_WEIGHT);
            Nd2NzParams nd(1, units_, rows_, 0, rows_, 16, 1, 0);
            DataCopy(weightL1_, weightGm_, nd);
            SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
            WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
            WaitFlag<HardEvent::M_MTE1>(EV_WEIGHT);
            LoadData(weightL0a_, weightL1_, LoadData2DParams(0, uint8_t(rows_ / 16), 1, 0, 0, false, 0));
            SetFlag<HardEvent::MTE1_MTE2>(EV_WEIGHT);
        }
    }

    // Done with the unit: L0A may be reloaded once the last Mmad has read it.
    __aicore__ inline void ReleaseQuery()
    {
        SetFlag<HardEvent::M_MTE1>(EV_QUERY);
        if constexpr (MATDUCE) SetFlag<HardEvent::M_MTE1>(EV_WEIGHT);
    }

    // Key tile GM -> L1 (NZ; one copy per contiguous run: paged keys break at block ends) -> L0B.
    __aicore__ inline void LoadKeyTile(const TileRun& run)
    {
        const uint32_t buf = run.tile % 2;
        const event_t ev = buf == 0 ? EVENT_ID0 : EVENT_ID1;
        LocalTensor<MmadT> keyL1 = keyL1_[buf * KEY_TILE_BYTES / sizeof(MmadT)];
        LocalTensor<MmadT> keyL0b = keyL0b_[buf * KEY_TILE_BYTES / sizeof(MmadT)];
        WaitFlag<HardEvent::MTE1_MTE2>(ev);
        for (uint32_t done = 0; done < run.keys;) {
            uint64_t flatRow = 0;
            uint32_t n = keys_->Run(run.unit.batch, run.unit.kStart, run.keyStart + done, run.keys - done, flatRow);
            Nd2NzParams nd(1, n, IndexerPlan::HEAD_DIM, 0, IndexerPlan::HEAD_DIM, IndexerPlan::KEY_TILE, 1, 0);
            DataCopy(keyL1[done * C0], keyGm_[flatRow * IndexerPlan::HEAD_DIM], nd);
            done += n;
        }
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::M_MTE1>(ev);
        // Key [128, D] in NZ is exactly B = K^T in Zn: one contiguous fractal copy.
        LoadData(keyL0b, keyL1, LoadData2DParams(0, uint8_t(K1 * N1), 1, 0, 0, false, 0));
        SetFlag<HardEvent::MTE1_MTE2>(ev);
        SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
        WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
    }

    // Stage C1 on the loaded key tile: [rows*64 x 128] fp32 into score slot run.slot (bf16/fp16), or
    // R into L1 (int8; HeadSumTile then writes the slot).
    __aicore__ inline void ScoreTile(const TileRun& run)
    {
        const uint32_t buf = run.tile % 2;
        const uint64_t slot = run.slot * (p_.scoreSlotBytes / sizeof(float));
        LocalTensor<MmadT> keyL0b = keyL0b_[buf * KEY_TILE_BYTES / sizeof(MmadT)];
        if constexpr (MATDUCE) WaitFlag<HardEvent::MTE1_FIX>(EV_R);  // the previous tile's R has left L1
        for (uint32_t r0 = 0; r0 < rows_; r0 += IndexerPlan::MMAD_ROWS) {
            const uint32_t m = Min(IndexerPlan::MMAD_ROWS, rows_ - r0);
            MmadParams mm;
            mm.m = uint16_t(m);
            mm.n = uint16_t(IndexerPlan::KEY_TILE);  // a short last tile computes garbage columns the vector masks
            mm.k = uint16_t(IndexerPlan::HEAD_DIM);
            mm.cmatrixInitVal = true;
            const uint32_t acc = BeginAcc();
            LocalTensor<AccT> accL0c = accL0c_[acc * ACC_BYTES / sizeof(AccT)];
            Mmad(accL0c, queryL0a_[(r0 / 16) * K1 * (FRACTAL_BYTES / sizeof(MmadT))], keyL0b, mm);
            SetFlag<HardEvent::M_FIX>(EVENT_ID0);
            WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
            FixpipeParamsV220 fp(uint16_t(IndexerPlan::KEY_TILE), uint16_t(m), uint16_t(Align(m, 16u)), 0, true);
            fp.quantPre = P::FIX_QUANT;
            fp.deqScalar = P::FIX_DEQ;
            if constexpr (MATDUCE) {
                fp.dstStride = rows_;  // NZ: 32 B units between 16-column bands
                Fixpipe<half, AccT, CFG_NZ>(rL1_[r0 * 16], accL0c, fp);
            } else {
                fp.dstStride = IndexerPlan::KEY_TILE;
                Fixpipe<float, AccT, CFG_ROW_MAJOR>(scoreGm_[slot + uint64_t(r0) * IndexerPlan::KEY_TILE], accL0c, fp);
            }
            EndAcc(acc);
        }
        SetFlag<HardEvent::M_MTE1>(buf == 0 ? EVENT_ID0 : EVENT_ID1);
    }

    // Stage C2 (Mat-Duce): P [rows x 128] = W~ [rows x rows*64] . R [rows*64 x 128] into score slot
    // run.slot, half a tile per Mmad.
    __aicore__ inline void HeadSumTile(const TileRun& run)
    {
        if constexpr (MATDUCE) HeadSum(run.slot * (p_.scoreSlotBytes / sizeof(float)));
    }

private:

    // The next L0C buffer of the ring, once its previous Fixpipe has read it.
    __aicore__ inline uint32_t BeginAcc()
    {
        const uint32_t acc = mmadCount_++ % 2;
        WaitFlag<HardEvent::FIX_M>(acc == 0 ? EVENT_ID0 : EVENT_ID1);
        return acc;
    }
    __aicore__ inline void EndAcc(uint32_t acc) { SetFlag<HardEvent::FIX_M>(acc == 0 ? EVENT_ID0 : EVENT_ID1); }

    __aicore__ inline void HeadSum(uint64_t slot)
    {
        SetFlag<HardEvent::FIX_MTE1>(EVENT_ID0);  // R is in L1
        WaitFlag<HardEvent::FIX_MTE1>(EVENT_ID0);
        const uint32_t kBands = rows_ / 16;  // k fractals of R (its rows)
        for (uint32_t h = 0; h < 2; ++h) {
            WaitFlag<HardEvent::M_MTE1>(EV_R);
            // R in L1 (NZ): fractal (k band kb, 16 columns nb) at nb * kBands + kb, stored [k][n]; L0B (Zn)
            // wants kb * 4 + nb' stored [n][k]: transpose each fractal.
            for (uint32_t kb = 0; kb < kBands; ++kb) {
                LoadData2DParams ld(uint16_t(h * (HALF_TILE / 16) * kBands + kb), uint8_t(HALF_TILE / 16),
                                    uint16_t(kBands), 0, 0, true, 0);
                LoadData(rL0b_[kb * (HALF_TILE / 16) * (FRACTAL_BYTES / sizeof(half))], rL1_, ld);
            }
            if (h == 1) SetFlag<HardEvent::MTE1_FIX>(EV_R);  // rL1 may be overwritten by the next tile
            SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
            WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
            MmadParams mm;
            mm.m = uint16_t(units_);
            mm.n = uint16_t(HALF_TILE);
            mm.k = uint16_t(rows_);
            mm.cmatrixInitVal = true;
            const uint32_t acc = BeginAcc();
            LocalTensor<float> pL0c = accL0c_[acc * ACC_BYTES / sizeof(AccT)].template ReinterpretCast<float>();
            Mmad(pL0c, weightL0a_, rL0b_, mm);
            SetFlag<HardEvent::M_MTE1>(EV_R);
            SetFlag<HardEvent::M_FIX>(EVENT_ID0);
            WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
            FixpipeParamsV220 fp(uint16_t(HALF_TILE), uint16_t(units_), 16, IndexerPlan::KEY_TILE, false);
            Fixpipe<float, float, CFG_ROW_MAJOR>(scoreGm_[slot + h * HALF_TILE], pL0c, fp);
            EndAcc(acc);
        }
    }

    IndexerParams p_;
    const KeyRows* keys_ = nullptr;
    GlobalTensor<MmadT> queryGm_;   // [rows, 64, 128]
    GlobalTensor<MmadT> keyGm_;     // [key rows, 1, 128]
    GlobalTensor<float> scoreGm_;   // this core's score slots: SCORE_SLOTS x [rows*64 | rows, keyTile] fp32
    GlobalTensor<half> weightGm_;   // Mat-Duce: this core's W~ slot [rows, rows*64] fp16
    TBuf<TPosition::A1> queryL1Buf_, rL1Buf_, weightL1Buf_;
    TBuf<TPosition::B1> keyL1Buf_;
    TBuf<TPosition::A2> queryL0aBuf_, weightL0aBuf_;
    TBuf<TPosition::B2> keyL0bBuf_, rL0bBuf_;
    TBuf<TPosition::CO1> accL0cBuf_;
    LocalTensor<MmadT> queryL1_, keyL1_, queryL0a_, keyL0b_;
    LocalTensor<half> rL1_, weightL1_, weightL0a_, rL0b_;
    LocalTensor<AccT> accL0c_;
    uint32_t units_ = 0;  // query rows of the unit
    uint32_t rows_ = 0;   // units_ * 64: the cube's M of stage C1
    uint32_t mmadCount_ = 0;
};

}  // namespace dsa
