// Regression check of common/prolog_gemm.h's A-block reuse: one AIC runs a unit of job 0 (A = x, K part 0 of
// 512 columns) and then a unit of job 1 (the same x, K part 0 of 1024 columns). The A block in L1 may be
// reused only when it is the same K range; the second unit needs all 1024 columns.
//   prolog_gemm_akey <dir>: reads x [16, 1024] bf16, w0_nz [1024, 64] and w1_nz [1024, 64] (FRACTAL_NZ bf16),
//   writes out0 (fp32 [2, 16, 64], job 0's two K parts) and out1 (fp32 [16, 64]).
#include <cstdio>
#include <fstream>
#include <string>

#include "kernel_operator.h"
#include "common/prolog_gemm.h"

using namespace AscendC;

static std::string g_dir;

static uint8_t* load(const std::string& name, size_t bytes)
{
    uint8_t* p = static_cast<uint8_t*>(GmAlloc(bytes));
    std::ifstream f(g_dir + "/" + name + ".bin", std::ios::binary);
    f.read(reinterpret_cast<char*>(p), std::streamsize(bytes));
    if (size_t(f.gcount()) != bytes) std::exit(4);
    return p;
}

int main(int argc, char** argv)
{
    if (argc < 2) return 2;
    g_dir = argv[1];
    constexpr uint32_t M = 16, K = 1024, N = 64;
    dsa::PrologGemmJob jobs[2];
    jobs[0].a = jobs[1].a = load("x", M * K * 2);
    jobs[0].w = load("w0_nz", K * N * 2);
    jobs[1].w = load("w1_nz", K * N * 2);
    jobs[0].out = static_cast<uint8_t*>(GmAlloc(2 * M * N * 4));
    jobs[1].out = static_cast<uint8_t*>(GmAlloc(M * N * 4));
    jobs[0].k = jobs[1].k = K;
    jobs[0].n = jobs[1].n = N;
    jobs[0].nTile = jobs[1].nTile = N;
    jobs[0].kPart = 512;
    jobs[1].kPart = 1024;
    twin::LaunchOptions o;
    o.mode = twin::Mode::AIC_ONLY;
    o.numBlocks = 1;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        dsa::PrologGemm gemm;
        gemm.Init(&pipe);
        gemm.RunUnit(jobs[0], 0, 0, M);  // x[:, 0:512] in L1
        gemm.RunUnit(jobs[1], 0, 0, M);  // needs x[:, 0:1024]
        gemm.RunUnit(jobs[0], 1, 0, M);
        gemm.DrainEvents();
    });
    if (!r.ok) {
        std::printf("launch failed: %s\n", r.error.c_str());
        return 1;
    }
    std::ofstream(g_dir + "/out0.bin", std::ios::binary).write(reinterpret_cast<const char*>(jobs[0].out), 2 * M * N * 4);
    std::ofstream(g_dir + "/out1.bin", std::ios::binary).write(reinterpret_cast<const char*>(jobs[1].out), M * N * 4);
    return 0;
}
