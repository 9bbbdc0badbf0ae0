// Scan throughput of the detection engine on prose with ~1 % of its bytes entities (1 KB, 16 KB,
// 1 MB) and on entity-dense text; and the scan of one chat request's texts as the gateway does it
// (bench/load.py's request: five messages of 100-720 bytes, each scanned on its own).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "cordon/classify/classifier.h"

namespace {

constexpr std::array<std::string_view, 12> kProse{
    "The quarterly report shows revenue grew 4.2% to $1,234,567 across 17 regions. ",
    "Please review the attached invoice INV-2024-00017 before Friday's meeting at 10:30. ",
    "Our build 3.14.2 fixed the crash in std::vector<int>::at() reported in ticket 48213. ",
    "Der Bericht wurde am 12.05.2024 an das Team in München gesendet, bitte prüfen. ",
    "El pedido 100234567 salió del almacén y llegará el martes por la mañana. ",
    "Commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 touched twelve files in src/. ",
    "Latency p99 dropped from 412 ms to 187 ms after the cache change went live. ",
    "We will migrate request 123e4567-e89b-12d3-a456-426614174000 to the new queue. ",
    "The customer asked whether the discount applies to orders above 250 units. ",
    "Le rapport annuel présente une croissance de 8 % du chiffre d'affaires. ",
    "2024-05-17T12:30:45.123Z INFO worker-3 processed 1024 items in 2.5 s. ",
    "Summarise the following thread and list the open action items for each owner. ",
};

constexpr std::array<std::string_view, 8> kEntities{
    "john.doe@example.com ",
    "4111 1111 1111 1111 ",
    "DE89 3704 0044 0532 0130 00 ",
    "SSN 111-22-3333 ",
    "192.168.1.100 ",
    "https://www.example.com/a?b=c ",
    "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 ",
    "+44 20 7946 0958 ",
};

/// `size` bytes of prose with one entity per `every` bytes.
std::string makeText(std::size_t size, std::size_t every) {
  std::string text;
  text.reserve(size + 256);
  std::size_t next_entity = std::min(every / 2, size / 4);
  std::size_t p = 0;
  std::size_t e = 0;
  while (text.size() < size) {
    if (text.size() >= next_entity) {
      text += kEntities[e++ % kEntities.size()];
      next_entity += every;
    } else {
      text += kProse[p++ % kProse.size()];
    }
  }
  text.resize(size);
  return text;
}

void scanBench(benchmark::State& state, std::size_t every) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::string text = makeText(size, every);
  auto classifier = cordon::classify::Classifier::build({}).value();
  auto scratch = classifier->makeScratch();
  std::vector<cordon::classify::Finding> out;
  for (auto _ : state) {
    out.clear();
    auto result = classifier->scan(text, *scratch, out);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(size));
  state.counters["findings"] = static_cast<double>(out.size());
}

/// The texts of bench/load.py's ~2 KB request (a name and an e-mail address in the first user
/// message), scanned one by one: the per-scan fixed costs weigh here as they do in the gateway.
void bmClassifyChatRequest(benchmark::State& state) {
  const std::string filler =
      "Our customer reports that the monthly statement shows two charges for the same "
      "subscription period. Please check the billing history, explain the likely cause in "
      "plain words and propose the next steps for the support agent. ";
  const std::vector<std::string> texts{
      "You are a careful support assistant for a retail bank. Answer briefly, never invent "
      "account data, and escalate when unsure.",
      "The customer is Jane Roe (jane.roe@example.com). " + filler + filler + filler,
      "I can help with that. Could you tell me which subscription and which two dates appear on "
      "the statement?",
      filler + filler + filler,
      "Please draft the reply to Jane Roe at jane.roe@example.com: apologise for the double "
      "charge and confirm that the refund follows within five working days.",
  };
  auto classifier = cordon::classify::Classifier::build({}).value();
  auto scratch = classifier->makeScratch();
  std::vector<cordon::classify::Finding> out;
  std::size_t bytes = 0;
  for (const std::string& text : texts) {
    bytes += text.size();
  }
  // Arg 1: between requests, 8 MiB of other data pass through the caches, as the rest of a
  // gateway's work (and the kernel's) does between two scans on one worker.
  std::vector<std::uint64_t> other(state.range(0) != 0 ? (8U << 20U) / sizeof(std::uint64_t) : 0);
  for (auto _ : state) {
    if (!other.empty()) {
      state.PauseTiming();
      for (std::uint64_t& word : other) {
        word += 1;
      }
      benchmark::ClobberMemory();
      state.ResumeTiming();
    }
    for (const std::string& text : texts) {
      out.clear();
      auto result = classifier->scan(text, *scratch, out);
      benchmark::DoNotOptimize(result);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes));
}

void bmClassifyMixed(benchmark::State& state) {
  scanBench(state, 2000); // ~20-byte entity per 2 KB: ~1 % of the bytes
}
void bmClassifyDense(benchmark::State& state) {
  scanBench(state, 40);
}

} // namespace

BENCHMARK(bmClassifyMixed)->Arg(1 << 10)->Arg(16 << 10)->Arg(1 << 20);
BENCHMARK(bmClassifyDense)->Arg(16 << 10)->Arg(1 << 20);
BENCHMARK(bmClassifyChatRequest)->ArgName("cold")->Arg(0)->Arg(1);
