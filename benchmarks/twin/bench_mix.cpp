// Wall time of one launch of the MIX example (ascendc/twin/examples/mix_matmul_softmax.cpp, 24 AI cores =
// 72 simulated cores): `bench_mix [reps] [threads]` prints the minimum and median over reps launches and
// a hash of the output (identical for every thread count).
#define main example_main
#include "../../ascendc/twin/examples/mix_matmul_softmax.cpp"
#undef main

#include <algorithm>
#include <chrono>
#include <vector>

int main(int argc, char** argv) {
    const int reps = argc > 1 ? std::atoi(argv[1]) : 20;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
    const int rows = BLOCKS * M;
    half* q = (half*)GmAlloc(rows * D * sizeof(half));
    half* k = (half*)GmAlloc(N * D * sizeof(half));
    float* p = (float*)GmAlloc(rows * N * sizeof(float));
    uint8_t* ws = (uint8_t*)GmAlloc(rows * N * sizeof(float));
    MixTiling* td = (MixTiling*)GmAlloc(sizeof(MixTiling));
    td->scale = 1.0f / std::sqrt(float(D));
    for (int i = 0; i < rows * D; ++i) q[i] = half(std::sin(0.37f * float(i)) * 2.0f);
    for (int i = 0; i < N * D; ++i) k[i] = half(std::cos(0.11f * float(i)) * 2.0f);
    twin::LaunchOptions o;
    o.mode = twin::Mode::MIX_1_2;
    o.numBlocks = BLOCKS;
    o.threads = threads;
    std::vector<double> t;
    twin::LaunchReport rep;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        rep = twin::launch(o, mix_matmul_softmax, (uint8_t*)q, (uint8_t*)k, (uint8_t*)p, ws, (uint8_t*)td);
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (!rep.ok) {
            std::printf("%s\n", rep.error.c_str());
            return 1;
        }
    }
    std::sort(t.begin(), t.end());
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size_t(rows) * N * sizeof(float); ++i) h = (h ^ reinterpret_cast<uint8_t*>(p)[i]) * 1099511628211ull;
    uint64_t flat[twin::Counters::kFlatLen];
    rep.total.flatten(flat);
    uint64_t hc = 1469598103934665603ull;
    for (uint64_t v : flat) hc = (hc ^ v) * 1099511628211ull;
    std::printf("mix_matmul_softmax launch (72 cores, threads=%s): min %.2f ms, median %.2f ms over %d; output hash %016llx, "
                "counters hash %016llx\n",
                threads ? std::to_string(threads).c_str() : "host", t[0] * 1e3, t[t.size() / 2] * 1e3, reps,
                (unsigned long long)h, (unsigned long long)hc);
    return 0;
}
