// More of the cube path (v8.5.0): DataCopy L0C -> GM / L1 with DataCopyCO12DstParams and the fixpipe
// registers it reads (SetFixpipeNz2ndFlag, SetFixpipePreQuantFlag), LoadData2DParamsV2 (declared; A2/A3
// report it unsupported). The conversion itself is Fixpipe's (twin::fix::run), so layouts, quant modes and
// checks are the same.
#pragma once

#include "cube.h"

namespace AscendC {

struct DataCopyCO12DstParams {
    DataCopyCO12DstParams() {}
    DataCopyCO12DstParams(const uint16_t nSizeIn, const uint16_t mSizeIn, const uint32_t dstStrideIn,
                          const uint16_t srcStrideIn, const QuantMode_t quantPreIn, const uint8_t reluPreIn,
                          const bool channelSplitIn, const bool nz2ndEnIn)
        : nSize(nSizeIn), mSize(mSizeIn), dstStride(dstStrideIn), srcStride(srcStrideIn), quantPre(quantPreIn),
          reluPre(reluPreIn), channelSplit(channelSplitIn), nz2ndEn(nz2ndEnIn) {}
    uint8_t sid = 0;
    uint16_t nSize = 0;
    uint16_t mSize = 0;
    uint32_t dstStride = 0;  // DEFAULT_DATA_COPY_STRIDE
    uint16_t srcStride = 0;
    uint8_t unitFlag = 0;
    uint8_t clipReluPre = 0;
    uint8_t eltWiseOp = 0;
    QuantMode_t quantPre = QuantMode_t::NoQuant;
    uint8_t reluPre = 0;
    bool channelSplit = false;
    bool nz2ndEn = false;
};

// ND_PARA for DataCopy CO1 -> GM with nz2ndEn: ndNum matrices, srcNdStride (C0_SIZE units, <= 512),
// dstNdStride (elements).
inline void SetFixpipeNz2ndFlag(uint16_t ndNum, uint16_t srcNdStride, uint16_t dstNdStride,
                                twin::SrcLoc loc = twin::SrcLoc::here()) {
    if (srcNdStride > 512)
        twin::fail(loc, "SetFixpipeNz2ndFlag", "srcNdStride must be in [0, 512]", twin::strf("srcNdStride = %u", srcNdStride));
    twin::core(loc).fixpipe_nd_para = uint64_t(ndNum) | (uint64_t(srcNdStride) << 16) | (uint64_t(dstNdStride) << 32);
}

}  // namespace AscendC

namespace twin {
namespace co12 {
using namespace ::AscendC;

inline FixpipeParamsV220 to_fixpipe(const SrcLoc& loc, const char* api, const DataCopyCO12DstParams& p, bool to_gm) {
    if (p.channelSplit) fail(loc, api, "channel split is not modelled by the twin", "channelSplit = true");
    if (p.reluPre > 1) fail(loc, api, "reluPre must be 0 (off) or 1 (normal relu)", strf("reluPre = %u", p.reluPre));
    if (p.nz2ndEn && !to_gm) fail(loc, api, "nz2ndEn works on the CO1 -> GM path only (documented)", "dst is local");
    if (!p.nz2ndEn && p.srcStride % 16 != 0)
        fail(loc, api, "srcStride must be a multiple of 16 (documented)", strf("srcStride = %u", p.srcStride));
    FixpipeParamsV220 f(p.nSize, p.mSize, p.srcStride, p.dstStride, p.reluPre == 1);
    f.quantPre = p.quantPre;
    f.deqScalar = 0;  // scalar quant comes from SetFixpipePreQuantFlag
    f.unitFlag = p.unitFlag;
    if (p.nz2ndEn) {
        uint64_t nd = core(loc).fixpipe_nd_para;
        f.ndNum = uint16_t(nd & 0xffff);
        f.srcNdStride = uint16_t((nd >> 16) & 0xffff);
        f.dstNdStride = uint16_t((nd >> 32) & 0xffff);
    }
    return f;
}

}  // namespace co12
}  // namespace twin

namespace AscendC {

// L0C -> GM: NZ (dstStride in 32 B blocks between the 16-column blocks) or, with nz2ndEn and the
// SetFixpipeNz2ndFlag configuration, ND rows dstStride elements apart. Scalar quant modes take their scale
// from SetFixpipePreQuantFlag; the atomic mode applies.
template <class T, class U>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<U>& src, const DataCopyCO12DstParams& intriParams,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy(CO1 -> GM)";
    FixpipeParamsV220 f = twin::co12::to_fixpipe(loc, api, intriParams, true);
    if (intriParams.nz2ndEn)
        Fixpipe<T, U, CFG_ROW_MAJOR>(dst, src, f, loc);
    else
        Fixpipe<T, U, CFG_NZ>(dst, src, f, loc);
}

// L0C -> L1 (A1/B1/C1), NZ layout. v8.5.0 lists only quantising modes for this path (no NoQuant).
template <class T, class U>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<U>& src, const DataCopyCO12DstParams& intriParams,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy(CO1 -> L1)";
    if (intriParams.quantPre == QuantMode_t::NoQuant)
        twin::fail(loc, api, "CO1 -> A1/B1 needs a quant mode (v8.5.0: F322F16, F322BF16, DEQF16, VDEQF16, ...)",
                   "quantPre = NoQuant");
    FixpipeParamsV220 f = twin::co12::to_fixpipe(loc, api, intriParams, false);
    Fixpipe<T, U, CFG_NZ>(dst, src, f, loc);
}

// LoadData2DParamsV2 (kernel_struct_mm.h). On A2/A3 (dav_c220) v8.5.0 reports every LoadData with it as
// not supported; the twin makes that a KernelError.
struct LoadData2DParamsV2 {
    LoadData2DParamsV2() {}
    LoadData2DParamsV2(const uint32_t mStartPositionIn, const uint32_t kStartPositionIn, const uint16_t mStepIn,
                       const uint16_t kStepIn, const int32_t srcStrideIn, const uint16_t dstStrideIn,
                       const bool ifTransposeIn, const uint8_t sidIn)
        : mStartPosition(mStartPositionIn), kStartPosition(kStartPositionIn), mStep(mStepIn), kStep(kStepIn),
          srcStride(srcStrideIn), dstStride(dstStrideIn), ifTranspose(ifTransposeIn), sid(sidIn) {}
    uint32_t mStartPosition = 0;
    uint32_t kStartPosition = 0;
    uint16_t mStep = 0;
    uint16_t kStep = 0;
    int32_t srcStride = 0;
    uint16_t dstStride = 0;
    bool ifTranspose = false;
    uint8_t sid = 0;
};

template <class T>
inline void LoadData(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData2DParamsV2& loadDataParams,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    (void)dst; (void)src; (void)loadDataParams;
    twin::fail(loc, "LoadData(LoadData2DParamsV2)", "not supported on A2/A3 (v8.5.0 dav_c220 reports it)",
               "use LoadData2DParams, LoadDataWithTranspose or Load3Dv2");
}
template <class T>
inline void LoadData(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const LoadData2DParamsV2& loadDataParams,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    (void)dst; (void)src; (void)loadDataParams;
    twin::fail(loc, "LoadData(LoadData2DParamsV2)", "not supported on A2/A3 (v8.5.0 dav_c220 reports it)",
               "use DataCopy GM -> L1, then LoadData2DParams");
}

}  // namespace AscendC
