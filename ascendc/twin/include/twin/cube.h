// Cube path: LoadData (2D, Load3Dv2) and LoadDataWithTranspose L1 -> L0A/L0B, Mmad, Fixpipe L0C -> GM/L1 with NZ->ND, quant and ReLU,
// SetFixpipePreQuantFlag. Data sit in the real fractal layouts inside the core's L0 byte arrays:
// A (L0A) Zz with 16 x (32 B / sizeof) fractals, B (L0B) Zn with (32 B / sizeof) x 16 fractals stored
// column by column, C (L0C) Nz with 16 x 16 fractals, fractal columns one after another.
#pragma once

#include "cube_kernel.h"
#include "vec_cast.h"

namespace AscendC {

struct LoadData2DParams {
    LoadData2DParams() {}
    LoadData2DParams(uint16_t startIndexIn, uint8_t repeatTimesIn, uint16_t srcStrideIn, uint8_t sidIn,
                     uint16_t dstGapIn, bool ifTransposeIn, uint8_t addrModeIn)
        : startIndex(startIndexIn), repeatTimes(repeatTimesIn), srcStride(srcStrideIn), sid(sidIn), dstGap(dstGapIn),
          ifTranspose(ifTransposeIn), addrMode(addrModeIn) {}
    uint16_t startIndex = 0;
    uint8_t repeatTimes = 0;
    uint16_t srcStride = 0;
    uint8_t sid = 0;
    uint16_t dstGap = 0;
    bool ifTranspose = false;
    uint8_t addrMode = 0;
};

struct MmadParams {
    MmadParams() {}
    MmadParams(uint16_t mIn, uint16_t nIn, uint16_t kIn, bool isBiasIn, int32_t fmOffsetIn, bool enSsparseIn,
               bool enWinogradAIn, bool enWinogradBIn)
        : m(mIn), n(nIn), k(kIn), isBias(isBiasIn), fmOffset(fmOffsetIn), enSsparse(enSsparseIn),
          enWinogradA(enWinogradAIn), enWinogradB(enWinogradBIn) {}
    MmadParams(uint16_t mIn, uint16_t nIn, uint16_t kIn, uint8_t unitFlagIn, bool cmatrixSourceIn, bool cmatrixInitValIn)
        : m(mIn), n(nIn), k(kIn), unitFlag(unitFlagIn), cmatrixSource(cmatrixSourceIn), cmatrixInitVal(cmatrixInitValIn) {}
    uint16_t m = 0;
    uint16_t n = 0;
    uint16_t k = 0;
    bool isBias = false;
    int32_t fmOffset = 0;
    bool enSsparse = false;
    bool enWinogradA = false;
    bool enWinogradB = false;
    uint8_t unitFlag = 0;
    bool kDirectionAlign = false;
    bool cmatrixSource = false;
    bool cmatrixInitVal = true;
};

enum class QuantMode_t : int { NoQuant = 0, F322F16, F322BF16, DEQF16, VDEQF16, QF322B8_PRE, VQF322B8_PRE, REQ8, VREQ8 };

struct FixpipeParamsV220 {
    FixpipeParamsV220() {}
    FixpipeParamsV220(uint16_t nSizeIn, uint16_t mSizeIn, uint16_t srcStrideIn, uint32_t dstStrideIn, bool reluEnIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), reluEn(reluEnIn) {}
    FixpipeParamsV220(uint16_t nSizeIn, uint16_t mSizeIn, uint16_t srcStrideIn, uint32_t dstStrideIn, bool reluEnIn,
                      QuantMode_t quantPreIn, int64_t deqScalarIn, uint16_t ndNumIn, uint16_t srcNdStrideIn,
                      uint16_t dstNdStrideIn, uint8_t unitFlagIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), quantPre(quantPreIn),
          deqScalar(uint64_t(deqScalarIn)), ndNum(ndNumIn), srcNdStride(srcNdStrideIn), dstNdStride(dstNdStrideIn),
          reluEn(reluEnIn), unitFlag(unitFlagIn) {}
    FixpipeParamsV220(uint16_t nSizeIn, uint16_t mSizeIn, uint16_t srcStrideIn, uint32_t dstStrideIn, bool reluEnIn,
                      QuantMode_t quantPreIn, int64_t deqScalarIn, uint16_t ndNumIn, uint16_t srcNdStrideIn,
                      uint16_t dstNdStrideIn, uint8_t unitFlagIn, bool isChannelSplitIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), quantPre(quantPreIn),
          deqScalar(uint64_t(deqScalarIn)), ndNum(ndNumIn), srcNdStride(srcNdStrideIn), dstNdStride(dstNdStrideIn),
          reluEn(reluEnIn), unitFlag(unitFlagIn), isChannelSplit(isChannelSplitIn) {}
    uint16_t nSize = 0;
    uint16_t mSize = 0;
    uint16_t srcStride = 0;
    uint32_t dstStride = 0;
    QuantMode_t quantPre = QuantMode_t::NoQuant;
    uint64_t deqScalar = 0;
    uint16_t ndNum = 1;
    uint16_t srcNdStride = 0;
    uint16_t dstNdStride = 0;
    bool reluEn = false;
    uint8_t unitFlag = 0;
    bool isChannelSplit = false;
};

enum class CO2Layout : uint8_t { NZ = 0, ROW_MAJOR };
struct FixpipeConfig {
    CO2Layout format;
};
constexpr FixpipeConfig CFG_NZ = {CO2Layout::NZ};
constexpr FixpipeConfig CFG_ROW_MAJOR = {CO2Layout::ROW_MAJOR};

inline void SetFixpipePreQuantFlag(uint64_t config) { twin::core().fixpipe_prequant = config; }

template <class T>
inline void LoadData(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData2DParams& p,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_MTE1, "LoadData", loc);  // pipe tag
    const char* api = "LoadData";
    if (!dst.twin_valid() || !src.twin_valid()) twin::fail(loc, api, "tensor not allocated", "dst or src is not a TPipe buffer tensor");
    if (src.twin_mem() != twin::Mem::L1)
        twin::fail(loc, api, "2D load source must be in L1 (A1/B1)", twin::strf("src is in %s", twin::mem_name(src.twin_mem())));
    twin::Mem dm = dst.twin_mem();
    if (dm != twin::Mem::L0A && dm != twin::Mem::L0B)
        twin::fail(loc, api, "2D load destination must be L0A (A2) or L0B (B2)", twin::strf("dst is in %s", twin::mem_name(dm)));
    twin::check_align(loc, api, "dst", dm, dst.twin_offset(), 512);
    twin::check_align(loc, api, "src", twin::Mem::L1, src.twin_offset(), 32);
    if (p.repeatTimes < 1)
        twin::fail(loc, api, "repeatTimes must be in [1, 255]", twin::strf("repeatTimes = %u", p.repeatTimes));
    if (p.ifTranspose && sizeof(T) != 2)
        twin::fail(loc, api, "ifTranspose needs a 16-bit dtype", twin::strf("dtype %s", twin::dtype_name(twin::dtype_of<T>())));
    uint64_t R = p.repeatTimes;
    src.twin_check_bytes(loc, api, "src", (uint64_t(p.startIndex) + (R - 1) * p.srcStride) * 512 + 512);
    dst.twin_check_bytes(loc, api, "dst", (R - 1) * (1 + uint64_t(p.dstGap)) * 512 + 512);
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    std::vector<uint8_t> frac(512);
    for (uint64_t r = 0; r < R; ++r) {
        std::memcpy(frac.data(), s + (uint64_t(p.startIndex) + r * p.srcStride) * 512, 512);
        uint8_t* o = d + r * (1 + uint64_t(p.dstGap)) * 512;
        if (p.ifTranspose) {
            for (int i = 0; i < 16; ++i)
                for (int j = 0; j < 16; ++j) std::memcpy(o + (j * 16 + i) * 2, &frac[(i * 16 + j) * 2], 2);
        } else {
            std::memcpy(o, frac.data(), 512);
        }
    }
    twin::counters().bytes[dm == twin::Mem::L0A ? twin::Path::L1_L0A : twin::Path::L1_L0B] += R * 512;
}

// ---- Load3Dv2: img2col load L1 -> L0A (the matmul case) ----
// The L1 source is a feature map in NC1HWC0 order (C0 = 32 B / sizeof(T)): element (c, h, w) at
// ((c / C0) * l1H + h) * l1W * C0 + w * C0 + c % C0, which is exactly the NZ layout Nd2Nz writes for an
// (l1H * l1W) x channelSize matrix. With a 1 x 1 filter, stride 1, dilation 1 and no padding the img2col
// matrix is M = l1H * l1W rows (h * l1W + w) by K = channelSize columns; the load moves its window
// rows [mStartPt, mStartPt + mExtension) x columns [kStartPt, kStartPt + kExtension) to L0A in Zz
// layout (16 x C0 fractals, the fractals of one row band side by side). enTranspose (half only, as
// documented) writes the transposed window instead: kExtension rows by mExtension columns, Zz.
constexpr int32_t PAD_SIZE = 4;

struct IsResetLoad3dConfig {
    bool isSetFMatrix = true;
    bool isSetPadding = true;
};
constexpr IsResetLoad3dConfig IS_RESER_LOAD3D_DEFAULT_CONFIG = {true, true};

enum class FmatrixMode : uint8_t { FMATRIX_LEFT = 0, FMATRIX_RIGHT = 1 };

template <class T> struct LoadData3DParamsV2 {
    LoadData3DParamsV2() {}
    LoadData3DParamsV2(const uint8_t padListIn[PAD_SIZE], uint16_t l1HIn, uint16_t l1WIn, uint16_t channelSizeIn,
                       uint16_t kExtensionIn, uint16_t mExtensionIn, uint16_t kStartPtIn, uint16_t mStartPtIn,
                       uint8_t strideWIn, uint8_t strideHIn, uint8_t filterWIn, uint8_t filterHIn,
                       uint8_t dilationFilterWIn, uint8_t dilationFilterHIn, bool enTransposeIn, bool enSmallKIn,
                       T padValueIn)
        : l1H(l1HIn), l1W(l1WIn), channelSize(channelSizeIn), kExtension(kExtensionIn), mExtension(mExtensionIn),
          kStartPt(kStartPtIn), mStartPt(mStartPtIn), strideW(strideWIn), strideH(strideHIn), filterW(filterWIn),
          filterH(filterHIn), dilationFilterW(dilationFilterWIn), dilationFilterH(dilationFilterHIn),
          enTranspose(enTransposeIn), enSmallK(enSmallKIn), padValue(padValueIn) {
        for (int i = 0; i < PAD_SIZE; ++i) padList[i] = padListIn[i];
    }
    uint8_t padList[PAD_SIZE] = {0, 0, 0, 0};
    uint16_t l1H = 0;
    uint16_t l1W = 0;
    uint16_t channelSize = 0;
    uint16_t kExtension = 0;
    uint16_t mExtension = 0;
    uint16_t kStartPt = 0;
    uint16_t mStartPt = 0;
    uint8_t strideW = 1;
    uint8_t strideH = 1;
    uint8_t filterW = 1;
    uint8_t filterH = 1;
    uint8_t dilationFilterW = 1;
    uint8_t dilationFilterH = 1;
    bool enTranspose = false;
    bool enSmallK = false;
    T padValue = T(0);
    bool filterSizeW = false;
    bool filterSizeH = false;
    bool fMatrixCtrl = false;
};

}  // namespace AscendC

namespace twin {
namespace cube {
// FeatureMap description set by SetFmatrix (used when a Load3D's isSetFMatrix is false), per core.
struct Fmatrix {
    uint64_t owner = 0;  // CoreCtx::serial of the core it belongs to (state resets for a new core)
    bool set[2] = {false, false};
    uint16_t l1H[2] = {0, 0}, l1W[2] = {0, 0};
    uint8_t pad[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    uint64_t pad_bits = 0;  // SetLoadDataPaddingValue
    bool pad_set = false;
};
inline Fmatrix& fmatrix() {
    static thread_local Fmatrix f;
    if (f.owner != core().serial) {
        f = Fmatrix();
        f.owner = core().serial;
    }
    return f;
}
}  // namespace cube
}  // namespace twin

namespace AscendC {

inline void SetFmatrix(uint16_t l1H, uint16_t l1W, const uint8_t padList[PAD_SIZE], const FmatrixMode& fmatrixMode) {
    auto& f = twin::cube::fmatrix();
    int i = fmatrixMode == FmatrixMode::FMATRIX_RIGHT ? 1 : 0;
    f.set[i] = true;
    f.l1H[i] = l1H;
    f.l1W[i] = l1W;
    for (int j = 0; j < PAD_SIZE; ++j) f.pad[i][j] = padList[j];
}
// Pad value for Load3Dv2 calls whose IsResetLoad3dConfig has isSetPadding = false (raw bits, per core).
template <class T> inline void SetLoadDataPaddingValue(const T padValue) {
    auto& f = twin::cube::fmatrix();
    f.pad_bits = 0;
    std::memcpy(&f.pad_bits, &padValue, sizeof(T));
    f.pad_set = true;
}

template <class T, const IsResetLoad3dConfig& defaultConfig = IS_RESER_LOAD3D_DEFAULT_CONFIG, class U = T,
          std::enable_if_t<std::is_same_v<T, U>, bool> = true>
inline void LoadData(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData3DParamsV2<U>& p,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_MTE1, "LoadData", loc);  // pipe tag
    static_assert(twin::vec::one_of<T, int8_t, uint8_t, half, bfloat16_t, float, int32_t, uint32_t>(),
                  "LoadData (Load3Dv2): A1/A2 dtypes on A2/A3 are int8_t/uint8_t/half/bfloat16_t/float/int32_t/uint32_t");
    const char* api = "LoadData(Load3Dv2)";
    if (!dst.twin_valid() || !src.twin_valid()) twin::fail(loc, api, "tensor not allocated", "dst or src is not a TPipe buffer tensor");
    src.twin_check_live(loc, api, "src");
    dst.twin_check_live(loc, api, "dst");
    if (src.twin_mem() != twin::Mem::L1)
        twin::fail(loc, api, "3D load source must be in L1 (A1/B1)", twin::strf("src is in %s", twin::mem_name(src.twin_mem())));
    const bool toB = dst.twin_mem() == twin::Mem::L0B;
    if (!toB && dst.twin_mem() != twin::Mem::L0A)
        twin::fail(loc, api, "3D load destination must be L0A (A2) or L0B (B2)", twin::strf("dst is in %s", twin::mem_name(dst.twin_mem())));
    twin::check_align(loc, api, "dst", dst.twin_mem(), dst.twin_offset(), 512);
    twin::check_align(loc, api, "src", twin::Mem::L1, src.twin_offset(), 32);
    uint32_t l1H = p.l1H, l1W = p.l1W;
    const uint8_t* pad = p.padList;
    if constexpr (!defaultConfig.isSetFMatrix) {
        auto& f = twin::cube::fmatrix();
        int i = p.fMatrixCtrl ? 1 : 0;
        if (!f.set[i])
            twin::fail(loc, api, "isSetFMatrix = false needs an earlier SetFmatrix",
                       i ? "no FMATRIX_RIGHT description was set" : "no FMATRIX_LEFT description was set");
        l1H = f.l1H[i];
        l1W = f.l1W[i];
        pad = f.pad[i];
    }
    T padValue = p.padValue;
    if constexpr (!defaultConfig.isSetPadding) {
        auto& f = twin::cube::fmatrix();
        padValue = T(0);
        if (f.pad_set) std::memcpy(&padValue, &f.pad_bits, sizeof(T));
    }
    if (p.fMatrixCtrl)
        twin::fail(loc, api, "fMatrixCtrl must be false (the only documented setting)", "fMatrixCtrl = true");
    if (p.enSmallK) twin::fail(loc, api, "enSmallK is no longer supported (documented)", "enSmallK = true");
    if (p.filterSizeW || p.filterSizeH)
        twin::fail(loc, api, "filterSizeW/filterSizeH are not modelled by the twin (matmul loads use a 1 x 1 filter)",
                   twin::strf("filterSizeW = %d, filterSizeH = %d", int(p.filterSizeW), int(p.filterSizeH)));
    if (p.strideW != 1 || p.strideH != 1 || p.filterW != 1 || p.filterH != 1 || p.dilationFilterW != 1 || p.dilationFilterH != 1)
        twin::fail(loc, api, "only stride 1, filter 1 x 1, dilation 1 (the matmul case) are modelled by the twin",
                   twin::strf("strideW/H = %u/%u, filterW/H = %u/%u, dilationFilterW/H = %u/%u", p.strideW, p.strideH,
                              p.filterW, p.filterH, p.dilationFilterW, p.dilationFilterH));
    // enTranspose is documented for a half A2 destination only; B2 is always written in Zn (it is ignored there).
    const bool transpose = p.enTranspose && !toB;
    if (transpose && !std::is_same_v<T, half>)
        twin::fail(loc, api, "enTranspose is documented for half only (dst A2)",
                   twin::strf("dtype %s", twin::dtype_name(twin::dtype_of<T>())));
    if (l1H < 1 || l1H > 32767 || l1W < 1 || l1W > 32767)
        twin::fail(loc, api, "l1H and l1W must be in [1, 32767]", twin::strf("l1H = %u, l1W = %u", l1H, l1W));
    constexpr uint32_t C0 = 32 / sizeof(T);
    if (p.channelSize < 1 || p.channelSize % C0 != 0)
        twin::fail(loc, api, twin::strf("channelSize must be a multiple of C0 = %u (the 4/8/16-channel packings are not modelled)", C0),
                   twin::strf("channelSize = %u", p.channelSize));
    if (p.kExtension < 1 || p.mExtension < 1)
        twin::fail(loc, api, "kExtension and mExtension must be >= 1",
                   twin::strf("kExtension = %u, mExtension = %u", p.kExtension, p.mExtension));
    // padList = [left, right, top, bottom]: with a 1 x 1 filter the img2col rows are the padded feature map's
    // (l1H + top + bottom) x (l1W + left + right) positions; a position in the padding reads padValue.
    const uint64_t Wo = uint64_t(l1W) + pad[0] + pad[1], Ho = uint64_t(l1H) + pad[2] + pad[3];
    const uint64_t M = Ho * Wo, K = p.channelSize, srcM = uint64_t(l1H) * l1W;
    const uint64_t m0 = p.mStartPt, k0 = p.kStartPt, mE = p.mExtension, kE = p.kExtension;
    if (m0 + mE > M)
        twin::fail(loc, api, "the m window must lie inside the img2col rows ((l1H + pad top + bottom) * (l1W + pad left + right))",
                   twin::strf("mStartPt = %u, mExtension = %u, img2col rows = %llu", p.mStartPt, p.mExtension, (unsigned long long)M));
    if (k0 + kE > K)
        twin::fail(loc, api, "the k window must lie inside channelSize",
                   twin::strf("kStartPt = %u, kExtension = %u, channelSize = %u", p.kStartPt, p.kExtension, p.channelSize));
    if (k0 % C0 != 0)
        twin::fail(loc, api, twin::strf("kStartPt must be a multiple of %u for this dtype", C0), twin::strf("kStartPt = %u", p.kStartPt));
    // Documented: the extents (and mStartPt) need the fractal multiple unless the window covers the
    // last (bottom / rightmost) fractal of the img2col matrix.
    const bool m_last = (m0 + mE + 15) / 16 * 16 >= M, k_last = (k0 + kE + C0 - 1) / C0 * C0 >= K;
    if (!k_last && kE % C0 != 0)
        twin::fail(loc, api, twin::strf("kExtension must be a multiple of %u unless the window covers the last column fractal", C0),
                   twin::strf("kExtension = %u, kStartPt = %u, channelSize = %u", p.kExtension, p.kStartPt, p.channelSize));
    if (!m_last && (mE % 16 != 0 || m0 % 16 != 0))
        twin::fail(loc, api, "mStartPt and mExtension must be multiples of 16 unless the window covers the last row fractal",
                   twin::strf("mStartPt = %u, mExtension = %u, img2col rows = %llu", p.mStartPt, p.mExtension, (unsigned long long)M));
    // Source element of img2col (m, k), or -1 for padding.
    auto src_index = [&](uint64_t m, uint64_t k) -> int64_t {
        int64_t h = int64_t(m / Wo) - pad[2], w = int64_t(m % Wo) - pad[0];
        if (h < 0 || w < 0 || h >= int64_t(l1H) || w >= int64_t(l1W)) return -1;
        return int64_t(((k / C0) * srcM + uint64_t(h) * l1W + uint64_t(w)) * C0 + k % C0);
    };
    int64_t src_max = -1;
    for (uint64_t i = 0; i < mE; ++i) src_max = std::max(src_max, src_index(m0 + i, k0 + kE - 1));
    if (src_max >= 0) src.twin_check_bytes(loc, api, "src", uint64_t(src_max + 1) * sizeof(T));
    // Destination: A2 Zz (16 x FC fractals, rows of fractals side by side), transposed when enTranspose;
    // B2 Zn (C0 rows x 16 columns per fractal, element (r, c) at (c % 16) * C0 + r % C0).
    const uint64_t rows = transpose ? kE : mE, cols = transpose ? mE : kE;
    constexpr uint32_t FC = 512 / 16 / sizeof(T);
    const uint64_t FR = toB ? C0 : 16, FCc = toB ? 16 : FC;  // fractal rows / columns
    const uint64_t R1 = (rows + FR - 1) / FR, C1 = (cols + FCc - 1) / FCc;
    dst.twin_check_bytes(loc, api, "dst", R1 * C1 * 512);
    const T* s = src.twin_ptr();
    T* d = dst.twin_ptr();
    for (uint64_t i = 0; i < mE; ++i)
        for (uint64_t j = 0; j < kE; ++j) {
            int64_t si = src_index(m0 + i, k0 + j);
            T v = si < 0 ? padValue : s[si];
            uint64_t r = transpose ? j : i, c = transpose ? i : j;
            uint64_t frac = (r / FR) * C1 + c / FCc;
            uint64_t inner = toB ? (c % 16) * C0 + r % C0 : (r % 16) * FC + c % FC;
            d[frac * (512 / sizeof(T)) + inner] = v;
        }
    twin::counters().bytes[toB ? twin::Path::L1_L0B : twin::Path::L1_L0A] += R1 * C1 * 512;
}

// ---- LoadDataWithTranspose: 2D load with a transpose of square blocks, L1 -> L0A/L0B ----
// int8: each repeat merges two consecutive 16 x 32 fractals into a 32 x 32 square, transposes it and
// writes the two halves as 16 x 32 fractals at (1 + dstFracGap) * 512 B apart; half/bfloat16: each repeat
// transposes one 16 x 16 fractal. Repeat r reads square (startIndex + r * srcStride) and writes from
// r * (1 + dstGap) * 512 B.
struct LoadData2dTransposeParams {
    LoadData2dTransposeParams() {}
    LoadData2dTransposeParams(uint16_t startIndexIn, uint8_t repeatTimesIn, uint16_t srcStrideIn, uint16_t dstGapIn,
                              uint16_t dstFracGapIn)
        : startIndex(startIndexIn), repeatTimes(repeatTimesIn), srcStride(srcStrideIn), dstGap(dstGapIn),
          dstFracGap(dstFracGapIn) {}
    LoadData2dTransposeParams(uint16_t startIndexIn, uint8_t repeatTimesIn, uint16_t srcStrideIn, uint16_t dstGapIn,
                              uint16_t dstFracGapIn, uint8_t addrModeIn)
        : startIndex(startIndexIn), repeatTimes(repeatTimesIn), srcStride(srcStrideIn), dstGap(dstGapIn),
          dstFracGap(dstFracGapIn), addrMode(addrModeIn) {}
    uint16_t startIndex = 0;
    uint8_t repeatTimes = 0;
    uint16_t srcStride = 0;
    uint16_t dstGap = 0;
    uint16_t dstFracGap = 0;
    uint8_t addrMode = 0;
};

template <class T>
inline void LoadDataWithTranspose(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData2dTransposeParams& p,
                                  twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_MTE1, "LoadDataWithTranspose", loc);  // pipe tag
    static_assert(twin::vec::one_of<T, int8_t, uint8_t, half, bfloat16_t>(),
                  "LoadDataWithTranspose: the twin models int8_t/uint8_t/half/bfloat16_t (float/int32/int4 are not modelled)");
    const char* api = "LoadDataWithTranspose";
    if (!dst.twin_valid() || !src.twin_valid()) twin::fail(loc, api, "tensor not allocated", "dst or src is not a TPipe buffer tensor");
    if (src.twin_mem() != twin::Mem::L1)
        twin::fail(loc, api, "source must be in L1 (A1/B1)", twin::strf("src is in %s", twin::mem_name(src.twin_mem())));
    twin::Mem dm = dst.twin_mem();
    if (dm != twin::Mem::L0A && dm != twin::Mem::L0B)
        twin::fail(loc, api, "destination must be L0A (A2) or L0B (B2)", twin::strf("dst is in %s", twin::mem_name(dm)));
    twin::check_align(loc, api, "dst", dm, dst.twin_offset(), 512);
    twin::check_align(loc, api, "src", twin::Mem::L1, src.twin_offset(), 32);
    const uint64_t R = p.repeatTimes;
    if (R == 0) return;  // documented: repeat 0 moves nothing
    constexpr bool b8 = sizeof(T) == 1;
    constexpr uint64_t S = b8 ? 32 : 16;          // square side in elements
    constexpr uint64_t unit = S * S * sizeof(T);  // square bytes (1024 int8, 512 16-bit)
    constexpr uint64_t nfrac = unit / 512;
    std::vector<uint64_t> fr;  // destination fractal indices, to reject overlaps
    for (uint64_t r = 0; r < R; ++r)
        for (uint64_t f = 0; f < nfrac; ++f) fr.push_back(r * (1 + uint64_t(p.dstGap)) + f * (1 + uint64_t(p.dstFracGap)));
    std::vector<uint64_t> sorted = fr;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        twin::fail(loc, api, "transposed fractals must not overlap in dst",
                   twin::strf("repeatTimes = %u, dstGap = %u, dstFracGap = %u", p.repeatTimes, p.dstGap, p.dstFracGap));
    src.twin_check_bytes(loc, api, "src", (uint64_t(p.startIndex) + (R - 1) * p.srcStride) * unit + unit);
    dst.twin_check_bytes(loc, api, "dst", (sorted.back() + 1) * 512);
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    std::vector<uint8_t> sq(unit);
    for (uint64_t r = 0; r < R; ++r) {
        std::memcpy(sq.data(), s + (uint64_t(p.startIndex) + r * p.srcStride) * unit, unit);
        for (uint64_t f = 0; f < nfrac; ++f) {
            uint8_t* o = d + fr[r * nfrac + f] * 512;
            // Rows 16f..16f+15 of the transposed square: T[row][col] = square[col][row].
            for (uint64_t i = 0; i < 16; ++i)
                for (uint64_t j = 0; j < S; ++j)
                    std::memcpy(o + (i * S + j) * sizeof(T), &sq[(j * S + 16 * f + i) * sizeof(T)], sizeof(T));
        }
    }
    twin::counters().bytes[dm == twin::Mem::L0A ? twin::Path::L1_L0A : twin::Path::L1_L0B] += R * unit;
}

template <class TC, class TA, class TB>
inline void Mmad(const LocalTensor<TC>& dst, const LocalTensor<TA>& fm, const LocalTensor<TB>& filter,
                 const MmadParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_M, "Mmad", loc);  // pipe tag
    static_assert(std::is_same_v<TA, TB>, "Mmad: A and B dtypes must match");
    static_assert((std::is_same_v<TA, int8_t> && std::is_same_v<TC, int32_t>) ||
                      ((std::is_same_v<TA, half> || std::is_same_v<TA, bfloat16_t>) && std::is_same_v<TC, float>),
                  "Mmad: supported combos are int8 x int8 -> int32, half x half -> float, bfloat16 x bfloat16 -> float");
    const char* api = "Mmad";
    if (!dst.twin_valid() || !fm.twin_valid() || !filter.twin_valid())
        twin::fail(loc, api, "tensor not allocated", "an operand is not a TPipe buffer tensor");
    if (fm.twin_mem() != twin::Mem::L0A) twin::fail(loc, api, "fm must be in L0A (A2)", twin::strf("fm is in %s", twin::mem_name(fm.twin_mem())));
    if (filter.twin_mem() != twin::Mem::L0B) twin::fail(loc, api, "filter must be in L0B (B2)", twin::strf("filter is in %s", twin::mem_name(filter.twin_mem())));
    if (dst.twin_mem() != twin::Mem::L0C) twin::fail(loc, api, "dst must be in L0C (CO1)", twin::strf("dst is in %s", twin::mem_name(dst.twin_mem())));
    twin::check_align(loc, api, "fm", twin::Mem::L0A, fm.twin_offset(), 512);
    twin::check_align(loc, api, "filter", twin::Mem::L0B, filter.twin_offset(), 512);
    twin::check_align(loc, api, "dst", twin::Mem::L0C, dst.twin_offset(), 1024);
    if (p.m > 4095 || p.n > 4095 || p.k > 4095)
        twin::fail(loc, api, "m, n, k must be <= 4095", twin::strf("m = %u, n = %u, k = %u", p.m, p.n, p.k));
    if (!p.cmatrixInitVal && p.cmatrixSource)
        twin::fail(loc, api, "C initial value from C2 (bias table) is not modelled", "cmatrixSource = true");
    constexpr uint32_t k0 = 32 / sizeof(TA);
    const uint64_t M1 = (p.m + 15) / 16, N1 = (p.n + 15) / 16, K1 = (p.k + k0 - 1) / k0;
    fm.twin_check_bytes(loc, api, "fm", M1 * K1 * 512);
    filter.twin_check_bytes(loc, api, "filter", K1 * N1 * 512);
    dst.twin_check_bytes(loc, api, "dst", M1 * N1 * 256 * sizeof(TC));
    twin::cube::mmad_compute<TC, TA>(dst.twin_ptr(), fm.twin_ptr(), filter.twin_ptr(), p.m, p.n, p.k,
                                     !p.cmatrixInitVal || p.isBias);  // cube_kernel.h
    twin::counters().cube_macs[int(twin::dtype_of<TA>())] += uint64_t(p.m) * p.n * p.k;
}

}  // namespace AscendC
namespace twin {
namespace fix {
using namespace ::AscendC;
inline float deq_scale(uint64_t s) {
    uint32_t u = uint32_t(s) & 0xFFFFE000u;  // the fixpipe keeps 10 mantissa bits of the scale
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
// `scale` is the DEQF16 scalar, or the column's entry of the quant tensor for VDEQF16 (tensor = true).
template <class T, class U>
inline T convert(const twin::SrcLoc& loc, U v, const FixpipeParamsV220& p, float scale, bool tensor = false) {
    float x;
    T out;
    switch (p.quantPre) {
        case QuantMode_t::NoQuant:
            if constexpr (std::is_same_v<T, U>) {
                out = v;
                if (p.reluEn && float(out) < 0) out = T(0);
                return out;
            } else {
                twin::fail(loc, "Fixpipe", "NoQuant needs dst dtype == src dtype", "dtypes differ");
            }
        case QuantMode_t::F322F16:
            if constexpr (std::is_same_v<U, float> && std::is_same_v<T, half>) {
                x = p.reluEn && v < 0 ? 0.0f : float(v);
                return half(x);
            }
            break;
        case QuantMode_t::F322BF16:
            if constexpr (std::is_same_v<U, float> && std::is_same_v<T, bfloat16_t>) {
                x = p.reluEn && v < 0 ? 0.0f : float(v);
                return bfloat16_t(x);
            }
            break;
        case QuantMode_t::VDEQF16:
            if (!tensor)
                twin::fail(loc, "Fixpipe", "VDEQF16 needs the quant tensor (the cbufWorkspace overload)",
                           "quantPre = VDEQF16 without cbufWorkspace");
            [[fallthrough]];
        case QuantMode_t::DEQF16:
            if (tensor && p.quantPre != QuantMode_t::VDEQF16)
                twin::fail(loc, "Fixpipe", "cbufWorkspace is only used with a tensor quant mode (VDEQF16 modelled)",
                           twin::strf("quantPre = %d", int(p.quantPre)));
            if constexpr (std::is_same_v<U, int32_t> && std::is_same_v<T, half>) {
                x = float(v) * scale;
                if (p.reluEn && x < 0) x = 0;
                return twin::vec::round_float<half>(x, RoundMode::CAST_RINT);  // saturating: no INF/NaN mode
            }
            break;
        default:
            twin::fail(loc, "Fixpipe", "quant mode not modelled by the twin",
                       twin::strf("quantPre = %d (supported: NoQuant, F322F16, F322BF16, DEQF16, VDEQF16)", int(p.quantPre)));
    }
    twin::fail(loc, "Fixpipe", "quant mode does not match the src/dst dtypes",
               twin::strf("quantPre = %d with src %s, dst %s", int(p.quantPre), twin::dtype_name(twin::dtype_of<U>()),
                          twin::dtype_name(twin::dtype_of<T>())));
}

// Moves L0C (NZ) to dst bytes; `put(elem_offset, value)` writes one dst element.
template <class T, class U, CO2Layout layout, class Put>
inline uint64_t run(const twin::SrcLoc& loc, const LocalTensor<U>& src, const FixpipeParamsV220& p, Put put,
                    uint64_t& max_dst_elem, const std::vector<float>* col_scale = nullptr) {
    static_assert(std::is_same_v<U, float> || std::is_same_v<U, int32_t>, "Fixpipe: src (CO1) dtype must be float or int32_t");
    const char* api = "Fixpipe";
    if (!src.twin_valid() || src.twin_mem() != twin::Mem::L0C)
        twin::fail(loc, api, "src must be in L0C (CO1)", twin::strf("src is in %s", twin::mem_name(src.twin_mem())));
    twin::check_align(loc, api, "src", twin::Mem::L0C, src.twin_offset(), 64);
    if (p.nSize < 1 || p.nSize > 4095) twin::fail(loc, api, "nSize must be in [1, 4095]", twin::strf("nSize = %u", p.nSize));
    if (layout == CO2Layout::ROW_MAJOR && (p.mSize < 1 || p.mSize > 8192))
        twin::fail(loc, api, "mSize must be in [1, 8192] with NZ2ND", twin::strf("mSize = %u", p.mSize));
    if (layout == CO2Layout::NZ && p.nSize % 16 != 0)
        twin::fail(loc, api, "nSize must be a multiple of 16 without NZ2ND", twin::strf("nSize = %u", p.nSize));
    if (p.dstStride == 0) twin::fail(loc, api, "dstStride must not be 0", "dstStride = 0");
    if (p.isChannelSplit) twin::fail(loc, api, "channel split is not modelled by the twin", "isChannelSplit = true");
    if (p.ndNum == 0) return 0;
    if (p.srcStride < (p.mSize + 15) / 16 * 16 && p.nSize > 16)
        twin::fail(loc, api, "srcStride must cover the mSize rows of one NZ column",
                   twin::strf("srcStride = %u (units of 16 elements), mSize = %u", p.srcStride, p.mSize));
    float scale = twin::fix::deq_scale(p.deqScalar ? p.deqScalar : twin::core().fixpipe_prequant);
    uint64_t n16 = (p.nSize + 15) / 16;
    uint64_t src_need = (uint64_t(p.ndNum) - 1) * p.srcNdStride * 1024 +
                        ((n16 - 1) * p.srcStride * 16 + uint64_t(p.mSize) * 16) * sizeof(U);
    src.twin_check_bytes(loc, api, "src", src_need);
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    max_dst_elem = 0;
    for (uint64_t nd = 0; nd < p.ndNum; ++nd)
        for (uint64_t m = 0; m < p.mSize; ++m)
            for (uint64_t n = 0; n < p.nSize; ++n) {
                U v;
                std::memcpy(&v, s + nd * p.srcNdStride * 1024 + ((n / 16) * p.srcStride * 16 + m * 16 + n % 16) * sizeof(U), sizeof(U));
                uint64_t o = layout == CO2Layout::ROW_MAJOR
                                 ? nd * p.dstNdStride + m * p.dstStride + n
                                 : (n / 16) * p.dstStride * 32 / sizeof(T) + m * 16 + n % 16;
                max_dst_elem = std::max(max_dst_elem, o + 1);
                put(o, col_scale ? convert<T, U>(loc, v, p, (*col_scale)[n], true) : convert<T, U>(loc, v, p, scale));
            }
    return uint64_t(p.ndNum) * p.mSize * p.nSize * sizeof(T);
}

// Records the GM bytes a Fixpipe actually writes for the cross-core race check: one record per run of
// consecutive elements (an NZ2ND row of nSize, or a 16-element NZ row), not the whole strided extent.
template <class T>
inline void record_bursts(const twin::SrcLoc& loc, const GlobalTensor<T>& dst, const std::vector<std::pair<uint64_t, T>>& out) {
    uintptr_t base = reinterpret_cast<uintptr_t>(dst.twin_ptr());
    size_t i = 0;
    while (i < out.size()) {
        uint64_t first = out[i].first, next = first + 1;
        size_t j = i + 1;
        while (j < out.size() && out[j].first == next) { ++next; ++j; }
        twin::gm_record_write(loc, base + first * sizeof(T), (next - first) * sizeof(T));
        i = j;
    }
}
}  // namespace fix
}  // namespace twin
namespace AscendC {

template <class T, class U, const FixpipeConfig& config = CFG_ROW_MAJOR>
inline void Fixpipe(const GlobalTensor<T>& dst, const LocalTensor<U>& src, const FixpipeParamsV220& p,
                    twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_FIX, "Fixpipe", loc);  // pipe tag
    // Compute into a staging map first so the range check precedes any GM write.
    std::vector<std::pair<uint64_t, T>> out;
    uint64_t mx = 0;
    uint64_t bytes = twin::fix::run<T, U, config.format>(loc, src, p, [&](uint64_t o, T v) { out.push_back({o, v}); }, mx);
    if (out.empty()) return;
    dst.twin_check_range(loc, "Fixpipe", 0, mx, false);
    twin::fix::record_bursts(loc, dst, out);
    T* d = dst.twin_ptr();
    twin::CoreCtx& cc = twin::core();
    if (cc.atomic == twin::AtomicOp::ADD)  // atomics.h
        twin::atomic_write<T>(cc, d, out.size(), [&out](uint64_t i) { return out[i].first; }, [&out](uint64_t i) { return out[i].second; });
    else
        for (auto& [o, v] : out) d[o] = v;
    twin::count_gm(twin::Path::L0C_GM, dst.twin_ptr(), bytes, true);
}

// Tensor quant (VDEQF16): cbufWorkspace holds one uint64 per output column n (C1 / L1), the column's
// float32 scale in the low 32 bits; the fixpipe keeps 10 mantissa bits of each scale, as for DEQF16.
template <class T, class U, const FixpipeConfig& config = CFG_ROW_MAJOR, class S = uint64_t,
          std::enable_if_t<std::is_same_v<S, uint64_t>, bool> = true>
inline void Fixpipe(const GlobalTensor<T>& dst, const LocalTensor<U>& src, const LocalTensor<S>& cbufWorkspace,
                    const FixpipeParamsV220& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_FIX, "Fixpipe", loc);  // pipe tag
    const char* api = "Fixpipe";
    if (!cbufWorkspace.twin_valid() || cbufWorkspace.twin_mem() != twin::Mem::L1)
        twin::fail(loc, api, "cbufWorkspace (quant tensor) must be in L1",
                   twin::strf("cbufWorkspace is in %s", twin::mem_name(cbufWorkspace.twin_mem())));
    twin::check_align(loc, api, "cbufWorkspace", twin::Mem::L1, cbufWorkspace.twin_offset(), 32);
    if (p.quantPre != QuantMode_t::VDEQF16)
        twin::fail(loc, api, "tensor quant mode not modelled by the twin (VDEQF16 only)",
                   twin::strf("quantPre = %d with cbufWorkspace", int(p.quantPre)));
    cbufWorkspace.twin_check_bytes(loc, api, "cbufWorkspace", uint64_t(p.nSize) * 8);
    std::vector<float> cs(p.nSize);
    for (uint32_t n = 0; n < p.nSize; ++n) cs[n] = twin::fix::deq_scale(cbufWorkspace.twin_ptr()[n]);
    std::vector<std::pair<uint64_t, T>> out;
    uint64_t mx = 0;
    uint64_t bytes = twin::fix::run<T, U, config.format>(loc, src, p, [&](uint64_t o, T v) { out.push_back({o, v}); }, mx, &cs);
    if (out.empty()) return;
    dst.twin_check_range(loc, api, 0, mx, false);
    twin::fix::record_bursts(loc, dst, out);
    T* d = dst.twin_ptr();
    twin::CoreCtx& cc = twin::core();
    if (cc.atomic == twin::AtomicOp::ADD)  // atomics.h
        twin::atomic_write<T>(cc, d, out.size(), [&out](uint64_t i) { return out[i].first; }, [&out](uint64_t i) { return out[i].second; });
    else
        for (auto& [o, v] : out) d[o] = v;
    twin::count_gm(twin::Path::L0C_GM, dst.twin_ptr(), bytes, true);
}

template <class T, class U, const FixpipeConfig& config = CFG_ROW_MAJOR>
inline void Fixpipe(const LocalTensor<T>& dst, const LocalTensor<U>& src, const FixpipeParamsV220& p,
                    twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::hz::Op hz_op(twin::hz::P_FIX, "Fixpipe", loc);  // pipe tag
    if (!dst.twin_valid() || dst.twin_mem() != twin::Mem::L1)
        twin::fail(loc, "Fixpipe", "local dst must be in L1", twin::strf("dst is in %s", twin::mem_name(dst.twin_mem())));
    twin::check_align(loc, "Fixpipe", "dst", twin::Mem::L1, dst.twin_offset(), 32);
    std::vector<std::pair<uint64_t, T>> out;
    uint64_t mx = 0;
    uint64_t bytes = twin::fix::run<T, U, config.format>(loc, src, p, [&](uint64_t o, T v) { out.push_back({o, v}); }, mx);
    if (out.empty()) return;
    dst.twin_check_bytes(loc, "Fixpipe", "dst", mx * sizeof(T));
    for (auto& [o, v] : out) std::memcpy(reinterpret_cast<uint8_t*>(dst.twin_ptr()) + o * sizeof(T), &v, sizeof(T));
    twin::counters().bytes[twin::Path::L0C_L1] += bytes;
}

}  // namespace AscendC
