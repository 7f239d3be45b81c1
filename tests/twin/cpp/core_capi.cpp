// A shared library for the C ABI test: run_copy(blocks, fail, in, out) launches a kernel on `blocks` AIV
// cores; block b copies its 64 floats of `in` to UB, adds b + 0.5 and copies them back to its 64 floats of
// `out` (in and out: host arrays of 64 * blocks floats). With fail != 0 the kernel breaks the 32-byte rule.
#include <cstring>

#define TWIN_CAPI_IMPLEMENTATION
#include "kernel_operator.h"
#include "twin/capi.h"

using namespace AscendC;

static void copy_kernel(GM_ADDR x, GM_ADDR y, int fail) {
    TPipe pipe;
    TQue<TPosition::VECIN, 1> qin;
    TQue<TPosition::VECOUT, 1> qout;
    pipe.InitBuffer(qin, 1, 256);
    pipe.InitBuffer(qout, 1, 256);
    GlobalTensor<float> gx, gy;
    gx.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x) + GetBlockIdx() * 64, 64);
    gy.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(y) + GetBlockIdx() * 64, 64);
    LocalTensor<float> a = qin.AllocTensor<float>();
    DataCopy(a, gx, fail ? 60 : 64);  // @rule:capi_fail
    qin.EnQue(a);
    a = qin.DeQue<float>();
    LocalTensor<float> b = qout.AllocTensor<float>();
    Adds(b, a, float(GetBlockIdx()) + 0.5f, 64);
    qin.FreeTensor(a);
    qout.EnQue(b);
    b = qout.DeQue<float>();
    DataCopy(gy, b, 64);
    qout.FreeTensor(b);
}

extern "C" __attribute__((visibility("default"))) int run_copy(int blocks, int fail, const float* in, float* out) {
    size_t bytes = 64 * sizeof(float) * size_t(blocks);
    void* x = GmAlloc(bytes);
    void* y = GmAlloc(bytes);
    std::memcpy(x, in, bytes);
    twin::LaunchOptions o;
    o.numBlocks = blocks;
    o.kernel_name = "copy_kernel";
    twin::LaunchReport r = twin::launch(o, copy_kernel, static_cast<uint8_t*>(x), static_cast<uint8_t*>(y), fail);
    std::memcpy(out, y, bytes);
    GmFree(x);
    GmFree(y);
    return r.ok ? 0 : 1;
}
