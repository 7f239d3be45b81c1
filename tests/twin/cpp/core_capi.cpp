// A shared library for the C ABI test: run_copy(blocks, fail) launches a copy kernel on `blocks`
// AIV cores; with fail != 0 the kernel breaks the 32-byte rule.
#define TWIN_CAPI_IMPLEMENTATION
#include "kernel_operator.h"
#include "twin/capi.h"

using namespace AscendC;

static void copy_kernel(GM_ADDR x, int fail) {
    TPipe pipe;
    TBuf<TPosition::VECCALC> tb;
    pipe.InitBuffer(tb, 1024);
    GlobalTensor<float> g;
    g.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x) + GetBlockIdx() * 64, 64);
    DataCopy(tb.Get<float>(), g, fail ? 60 : 64);  // @rule:capi_fail
}

extern "C" __attribute__((visibility("default"))) int run_copy(int blocks, int fail) {
    void* x = GmAlloc(64 * 4 * blocks);
    twin::LaunchOptions o;
    o.numBlocks = blocks;
    o.kernel_name = "copy_kernel";
    twin::LaunchReport r = twin::launch(o, copy_kernel, static_cast<uint8_t*>(x), fail);
    GmFree(x);
    return r.ok ? 0 : 1;
}
