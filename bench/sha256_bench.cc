// sha256 of an API key (what authentication hashes on every request) and the constant-time
// comparison against a stored digest.
#include <string_view>

#include <benchmark/benchmark.h>

#include "cordon/common/sha256.h"

namespace {

constexpr std::string_view kApiKey = "ck-3f9a1c0e7b2d4a6f8e1c3b5d7f9a2c4e6b8d0f1a3c5e7b9d";

void bmSha256ApiKey(benchmark::State& state) {
  for (auto _ : state) {
    auto digest = cordon::sha256(kApiKey);
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(bmSha256ApiKey);

void bmSha256AndCompare(benchmark::State& state) {
  const cordon::Sha256Digest stored = cordon::sha256(kApiKey);
  for (auto _ : state) {
    const bool equal = cordon::constantTimeEqual(cordon::sha256(kApiKey), stored);
    benchmark::DoNotOptimize(equal);
  }
}
BENCHMARK(bmSha256AndCompare);

} // namespace
