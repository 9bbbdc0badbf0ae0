// What one audit record costs the writer thread: linking it into its chain (canonical JSON and
// SHA-256), and appending batches of records to each file sink. The sink figures include the
// fsync that makes a batch durable, so they depend on the disk the temporary directory ($TMPDIR,
// else /tmp) is on: they are the writer's part of issue 5's sqlite + sync figures, the workers'
// wake-ups excluded. CPU/op is the process's CPU time, the kernel's part of the fsync included.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "cordon/audit/record.h"
#include "unit/audit/support.h"

namespace {

namespace audit = cordon::audit;

/// A record as the gateway writes one for bench/load.py's request: authenticated, a name and an
/// e-mail address found, pseudonymized, answered by the first target.
audit::Record realisticRecord() {
  audit::Record record;
  record.request_id = "4f1c2a9be07d4c51a3e2b6d0c9f87a12";
  record.time_ms = 1'764'000'000'000;
  record.tenant = "bench";
  record.key = "bench";
  record.endpoint = "/v1/chat/completions";
  record.model = "bench";
  record.detected_level = "confidential";
  record.level = "confidential";
  record.entities = {{"EMAIL_ADDRESS", 2}, {"PERSON", 2}};
  record.target = "sim:bench-model";
  record.boundary = "cloud";
  record.region = "eu";
  record.pseudonymized = true;
  record.pseudonymized_values = 2;
  record.reason = "cleared for internal once pseudonymized";
  record.attempts.push_back({"sim", "bench-model", 200, 1, ""});
  record.tokens_in = 512;
  record.tokens_out = 38;
  record.outcome = "answered";
  record.status = 200;
  return record;
}

void bmChainLink(benchmark::State& state) {
  audit::Chain chain("0123456789abcdef");
  const audit::Record prototype = realisticRecord();
  for (auto _ : state) {
    audit::Record record = prototype;
    chain.link(record);
    benchmark::DoNotOptimize(record.hash.data());
  }
}

void bmStored(benchmark::State& state) {
  audit::Record record = realisticRecord();
  audit::Chain("0123456789abcdef").link(record);
  for (auto _ : state) {
    std::string text = audit::stored(record);
    benchmark::DoNotOptimize(text.data());
  }
}

/// Appends batches of state.range(0) chained records to a fresh sink; items = records.
void appendBench(benchmark::State& state, const std::string& scheme, const std::string& file) {
  const audit::testing::TempDir dir; // the audit tests' own (tests/unit/audit/support.h)
  auto sink = audit::openSink(scheme + ":" + dir.file(file));
  if (!sink) {
    state.SkipWithError(sink.error().detail.c_str());
    return;
  }
  audit::Chain chain("0123456789abcdef");
  const audit::Record prototype = realisticRecord();
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  std::vector<audit::Record> batch(batch_size, prototype);
  for (auto _ : state) {
    for (audit::Record& record : batch) {
      record = prototype;
      chain.link(record);
    }
    if (!(*sink)->append(batch)) {
      state.SkipWithError("append failed");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(batch_size));
}

void bmSqliteAppend(benchmark::State& state) {
  appendBench(state, "sqlite", "audit.db");
}
void bmJsonlAppend(benchmark::State& state) {
  appendBench(state, "jsonl", "audit.jsonl");
}

} // namespace

BENCHMARK(bmChainLink);
BENCHMARK(bmStored);
// Batches of 1 (c=1 in sync mode), 5 (what c=16 gives), 64 (a backlog).
BENCHMARK(bmSqliteAppend)->ArgName("batch")->Arg(1)->Arg(5)->Arg(64)->UseRealTime();
BENCHMARK(bmJsonlAppend)->ArgName("batch")->Arg(1)->Arg(5)->Arg(64)->UseRealTime();
