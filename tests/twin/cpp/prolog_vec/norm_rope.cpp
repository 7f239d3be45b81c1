// ascendc/common/norm.h and rope.h on the twin. Usage: norm_rope <dir>: reads the inputs <name>.bin (fp32)
// numpy wrote into <dir>, runs each header function in one AIV launch and writes <case>.bin next to them.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_operator.h"
#include "common/norm.h"
#include "common/rope.h"

using namespace AscendC;

static std::string g_dir;

static void load(const char* name, const LocalTensor<float>& t, size_t n)
{
    std::ifstream f(g_dir + "/" + name + ".bin", std::ios::binary);
    std::vector<float> v(n);
    f.read(reinterpret_cast<char*>(v.data()), n * sizeof(float));
    if (!f) { std::fprintf(stderr, "cannot read %s\n", name); std::exit(1); }
    for (size_t i = 0; i < n; ++i) t.twin_ptr()[i] = v[i];
}
static void dump(const char* name, const LocalTensor<float>& t, size_t n)
{
    std::ofstream f(g_dir + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(t.twin_ptr()), n * sizeof(float));
}

// Host writes into UB stand for an MTE2 copy: order them before the vector work like one.
static void Arrived()
{
    SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
}

static void kernel()
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> xb, gb, bb, sb, cb;
    pipe.InitBuffer(xb, 80 * 192 * 4);
    pipe.InitBuffer(gb, 1536 * 4);
    pipe.InitBuffer(bb, 128 * 4);
    pipe.InitBuffer(cb, 2 * 6 * 64 * 4);
    pipe.InitBuffer(sb, 3 * 40 * 64 * 4 + 4096);
    LocalTensor<float> x = xb.Get<float>(), g = gb.Get<float>(), beta = bb.Get<float>(), s = sb.Get<float>();
    LocalTensor<float> cos = cb.Get<float>(), sin = cos[6 * 64];

    // RMSNorm in place, d = 1536 (cq) and d = 512 in rows 640 apart (c_kv inside a [c_kv | k_pe] row).
    load("rms_x", x, 3 * 1536);
    load("rms_g", g, 1536);
    Arrived();
    dsa::RmsNormRows(x, x, g, s, 3, 1536, 1536, 1e-5f);
    dump("rms_1536", x, 3 * 1536);
    load("rms_kv", x, 3 * 640);
    load("rms_g512", g, 512);
    Arrived();
    dsa::RmsNormRows(x, x, g, s, 3, 512, 640, 1e-5f);
    dump("rms_512", x, 3 * 640);

    // LayerNorm, d = 128 (the indexer's k), into a second buffer.
    load("ln_x", x, 4 * 128);
    load("ln_g", g, 128);
    load("ln_b", beta, 128);
    Arrived();
    dsa::LayerNormRows(x[1024], x, g, beta, s, 4, 128, 128, 1e-6f);
    dump("ln", x[1024], 4 * 128);

    // Interleaved RoPE of the rope part of q rows [nope 128 | pe 64] (40 heads, 192 apart) into 64-wide rows.
    load("rope_q", x, 40 * 192);
    load("cos", cos, 64);
    load("sin", sin, 64);
    Arrived();
    dsa::RopeInterleavedRows(x[40 * 192], 64, x[128], 192, cos, sin, 0, s, 40, 64);
    dump("rope_inter", x[40 * 192], 40 * 64);

    // Half-split RoPE in place on the first 64 of 128 values (the indexer form), 7 rows.
    load("rope_k", x, 7 * 128);
    Arrived();
    dsa::RopeHalfRows(x, 128, x, 128, cos, sin, 0, s, 7, 64);
    dump("rope_half", x, 7 * 128);

    // Interleaved RoPE in place with one cos / sin row per row (one token per row), 6 rows 64 apart.
    load("rope_t", x, 6 * 64);
    load("cos6", cos, 6 * 64);
    load("sin6", sin, 6 * 64);
    Arrived();
    dsa::RopeInterleavedRows(x, 64, x, 64, cos, sin, 64, s, 6, 64);
    dump("rope_rows", x, 6 * 64);
    SetFlag<HardEvent::V_S>(EVENT_ID0);  // the host reads of the dumps stand for a copy out
    WaitFlag<HardEvent::V_S>(EVENT_ID0);
}

int main(int argc, char** argv)
{
    if (argc < 2) return 2;
    g_dir = argv[1];
    twin::LaunchOptions opt;
    opt.mode = twin::Mode::AIV_ONLY;
    opt.numBlocks = 1;
    auto r = twin::launch(opt, kernel);
    if (!r.ok) { std::printf("%s\n", r.error.c_str()); return 1; }
    std::printf("%s", r.summary().c_str());
    return 0;
}
