// FusedMulAdd (dst = src0 * dst + src1), checked against numpy by tests/twin/test_fused_mul_add.py:
//   fused_mul_add <outdir>   the count form (float, half) and the mask form with a per-row broadcast src0
//                            (block stride 0), inputs and outputs as <name>.bin, and its vector work count
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_out;
template <class T> static void dump(const std::string& name, const T* p, size_t n) {
    std::ofstream f(g_out + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(p), n * sizeof(T));
}
static uint32_t g_seed = 99;
static float rnd() {  // in [-8, 8) with 1/64 steps
    g_seed = g_seed * 1664525u + 1013904223u;
    return float(int((g_seed >> 8) % 1024) - 512) / 64.0f;
}
template <class T> static void fill(const LocalTensor<T>& t, std::vector<float>& host, size_t n) {
    host.resize(n);
    for (size_t i = 0; i < n; ++i) {
        host[i] = rnd();
        t.SetValue(uint32_t(i), T(host[i]));
    }
}
template <class T> static void dump_local(const std::string& name, const LocalTensor<T>& t, size_t n) {
    PipeBarrier<PIPE_ALL>();
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = float(t.GetValue(uint32_t(i)));
    dump(name, v.data(), n);
}

extern "C" __global__ __aicore__ void fma_kernel()
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> b;
    pipe.InitBuffer(b, 65536);
    std::vector<float> d, s0, s1;
    // count form, float: 200 elements (a partial last repeat)
    auto fd = b.GetWithOffset<float>(256, 0), f0 = b.GetWithOffset<float>(256, 1024), f1 = b.GetWithOffset<float>(256, 2048);
    fill(fd, d, 200); fill(f0, s0, 200); fill(f1, s1, 200);
    dump("f32_dst", d.data(), 200); dump("f32_src0", s0.data(), 200); dump("f32_src1", s1.data(), 200);
    PipeBarrier<PIPE_ALL>();
    FusedMulAdd(fd, f0, f1, 200);
    dump_local("f32_out", fd, 200);
    // count form, half
    auto hd = b.GetWithOffset<half>(256, 4096), h0 = b.GetWithOffset<half>(256, 4608), h1 = b.GetWithOffset<half>(256, 5120);
    fill(hd, d, 256); fill(h0, s0, 256); fill(h1, s1, 256);
    dump("f16_dst", d.data(), 256); dump("f16_src0", s0.data(), 256); dump("f16_src1", s1.data(), 256);
    PipeBarrier<PIPE_ALL>();
    FusedMulAdd(hd, h0, h1, 256);
    dump_local("f16_out", hd, 256);
    // mask form: acc [4 rows, 128] = factor[row] (one 32 B block per row) * acc + tile [4, 128], 64 columns a call
    auto acc = b.GetWithOffset<float>(512, 8192), fac = b.GetWithOffset<float>(32, 12288), tile = b.GetWithOffset<float>(512, 16384);
    fill(acc, d, 512); fill(tile, s1, 512);
    std::vector<float> f(32);
    for (int r = 0; r < 4; ++r) {
        float v = rnd();
        for (int j = 0; j < 8; ++j) { f[r * 8 + j] = v; fac.SetValue(uint32_t(r * 8 + j), v); }
    }
    dump("row_acc", d.data(), 512); dump("row_factor", f.data(), 32); dump("row_tile", s1.data(), 512);
    PipeBarrier<PIPE_ALL>();
    const BinaryRepeatParams rp(1, 0, 1, 16, 1, 16);
    for (uint32_t c = 0; c < 128; c += 64) FusedMulAdd(acc[c], fac, tile[c], uint64_t(64), 4, rp);
    dump_local("row_out", acc, 512);
}

int main(int argc, char** argv)
{
    g_out = argc > 1 ? argv[1] : ".";
    SetKernelMode(KernelMode::AIV_MODE);
    ICPU_RUN_KF(fma_kernel, 1);
    std::printf("all done\n");
    return 0;
}
