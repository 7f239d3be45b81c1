// SoC profiles: core counts, clock and local memory capacities (CANN platform configs).
#pragma once

#include <cstdint>
#include <cstring>

namespace twin {

struct SocProfile {
    const char* name;
    int aic;  // cube cores (= AI cores)
    int aiv;  // vector cores (2 per AI core on A2/A3)
    int mhz;
    uint32_t ub;   // per AIV
    uint32_t l1;   // per AIC
    uint32_t l0a;
    uint32_t l0b;
    uint32_t l0c;
    uint32_t bt;   // bias table
    uint32_t fb;   // fixpipe buffer (quant parameters)
    uint64_t hbm_bytes;
    double hbm_gbps;  // device HBM bandwidth, GB/s (cost model input)
};

// A3 dies (Ascend910_93xx) are configured exactly like the 910B of the same row.
inline const SocProfile kSocProfiles[] = {
    // name            aic aiv  MHz   UB       L1       L0A    L0B    L0C     BT    FB    HBM                 GB/s
    {"ascend910b",      24, 48, 1850, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910b1",     24, 48, 1850, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910b2",     24, 48, 1800, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910b3",     20, 40, 1800, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910b4",     20, 40, 1500, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 32ull << 30, 1600.0},
    {"ascend910_93",    24, 48, 1850, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910_9391",  24, 48, 1850, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910_9392",  24, 48, 1850, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910_9381",  24, 48, 1800, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910_9382",  24, 48, 1800, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910_9372",  20, 40, 1800, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
    {"ascend910_9362",  20, 40, 1500, 196608, 524288, 65536, 65536, 131072, 1024, 2048, 64ull << 30, 1600.0},
};
constexpr int kSocCount = sizeof(kSocProfiles) / sizeof(kSocProfiles[0]);
constexpr const char* kDefaultSoc = "ascend910b";

// Case-insensitive lookup; nullptr when unknown.
inline const SocProfile* find_soc(const char* name) {
    if (!name) return nullptr;
    for (const SocProfile& p : kSocProfiles) {
        const char* a = p.name;
        const char* b = name;
        while (*a && *b && (*a == ((*b >= 'A' && *b <= 'Z') ? *b - 'A' + 'a' : *b))) { ++a; ++b; }
        if (*a == 0 && *b == 0) return &p;
    }
    return nullptr;
}

}  // namespace twin
