// `cordon audit verify`: walks the stored records in storage order, one chain per instance, and
// names the first record where a chain is broken. One pass over the sink with memory per chain
// only; a second pass is made only to tell a reorder from a deletion once a gap is seen.
#include <algorithm>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "cordon/audit/record.h"
#include "cordon/common/sha256.h"

namespace cordon::audit {
namespace {

// What the first record of a chain names as its predecessor.
constexpr std::string_view kGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct ChainState {
  std::uint64_t next = 0; ///< the sequence the next record must have
  std::string last_hash{kGenesis};
  bool sealed = false; ///< the last record so far is the chain's seal
};

/// The first gap seen: `instance` expected `expected` at storage position `position` but found
/// a later sequence there.
struct Gap {
  std::string instance;
  std::uint64_t expected = 0;
  std::uint64_t position = 0;
};

std::string missing(std::uint64_t from, std::uint64_t to) {
  return from == to ? fmt::format("missing record {}", from)
                    : fmt::format("missing records {}-{}", from, to);
}

} // namespace

Result<VerifyReport> verify(Sink& sink) {
  VerifyReport report;
  std::unordered_map<std::string, ChainState> chains;
  // Set when the first problem is a sequence ahead of the expected one: the record it names is
  // the broken one either way, but whether the expected record is missing or merely stored
  // later decides the wording, and needs the rest of the sink.
  std::optional<Gap> gap;
  std::uint64_t gap_sequence = 0;

  const auto fail = [&report](const Record& record, std::string_view what) {
    report.problem =
        fmt::format("instance {} record {}: {}", record.instance, record.sequence, what);
  };

  auto walked = sink.each([&](std::string_view text) {
    ++report.records;
    auto parsed = parseStored(text);
    if (!parsed) {
      if (report.intact() && !gap) {
        report.problem = fmt::format("stored record {}: not a record ({})", report.records,
                                     parsed.error().detail);
      }
      return;
    }
    const Record& record = *parsed;
    auto [state, fresh] = chains.try_emplace(record.instance);
    if (fresh) {
      ++report.chains;
    }
    if (!report.intact() || gap) {
      return; // only the counts from here on
    }
    ChainState& chain = state->second;
    // The hash first: an edit to any field (the sequence or the instance included) shows here,
    // and is then not mistaken for a gap or a reorder.
    if (toHex(sha256(canonical(record))) != record.hash) {
      fail(record, "edited (hash mismatch)");
      return;
    }
    if (record.sequence > chain.next) {
      gap = Gap{record.instance, chain.next, report.records};
      gap_sequence = record.sequence;
      fail(record, missing(chain.next, record.sequence - 1));
      return;
    }
    if (record.sequence < chain.next) {
      fail(record,
           fmt::format("repeated or out of order (stored after record {})", chain.next - 1));
      return;
    }
    if (record.prev_hash != chain.last_hash) {
      fail(record, record.sequence == 0 ? "edited (the first record's prev_hash is not zeros)"
                                        : "edited (prev_hash is not the previous record's hash)");
      return;
    }
    if (chain.sealed) {
      fail(record, "stored after the chain's seal");
      return;
    }
    chain.next = record.sequence + 1;
    chain.last_hash = record.hash;
    chain.sealed = record.outcome == kSealOutcome;
  });
  if (!walked) {
    return walked.error();
  }
  for (const auto& [instance, chain] : chains) {
    if (!chain.sealed) {
      report.open_chains.push_back(
          chain.next == 0 ? instance
                          : fmt::format("{} (last record {})", instance, chain.next - 1));
    }
  }
  std::sort(report.open_chains.begin(), report.open_chains.end());

  if (gap) {
    // Is the expected record stored after the one that came in its place? Then the chain was
    // reordered, not cut.
    bool later = false;
    std::uint64_t position = 0;
    auto rescanned = sink.each([&](std::string_view text) {
      if (++position <= gap->position || later) {
        return;
      }
      auto parsed = parseStored(text);
      later = parsed && parsed->instance == gap->instance && parsed->sequence == gap->expected;
    });
    if (!rescanned) {
      return rescanned.error();
    }
    if (later) {
      report.problem = fmt::format("instance {} record {}: out of order (record {} is stored after "
                                   "it)",
                                   gap->instance, gap_sequence, gap->expected);
    }
  }
  return report;
}

} // namespace cordon::audit
