// The audit record (PRODUCT.md §5, docs/audit.md): one per request, refused and failed ones
// included, hash-chained per gateway instance so that an edited, missing or reordered record is
// found by `cordon audit verify`. Never holds prompt or answer text: types, counts, names of
// configured things, statuses and times only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/common/result.h"

namespace cordon::audit {

/// One try of one target (in the order they were tried).
struct Attempt {
  std::string backend; ///< backend name from the config
  std::string model;   ///< the upstream model name of the target
  unsigned status = 0; ///< HTTP status from the backend; 0 when none (connect error, timeout)
  std::int64_t latency_ms = 0;
  std::string error; ///< short reason when it failed ("timeout", "connect refused"), else ""

  friend bool operator==(const Attempt&, const Attempt&) = default;
};

/// What cordon did with one request. Filled by the gateway; `instance`, `sequence`, `prev_hash`
/// and `hash` are set by the writer when it chains the record.
struct Record {
  // Chain position (set by the writer).
  std::string instance;       ///< the gateway instance's id (one chain per instance)
  std::uint64_t sequence = 0; ///< 0, 1, 2, ... within the instance's chain
  std::string prev_hash;      ///< hex SHA-256 of the previous record of the chain; 64 '0' first
  std::string hash;           ///< hex SHA-256 of this record's canonical form (see canonical())

  // The request.
  std::string request_id;     ///< the x-cordon-request-id value
  std::int64_t time_ms = 0;   ///< Unix time in milliseconds when the request arrived
  std::string tenant;         ///< empty when the caller was not authenticated
  std::string key;            ///< API key name; empty when not authenticated
  std::string endpoint;       ///< "/v1/chat/completions", "/v1/cordon/explain", ...
  std::string model;          ///< the model the client asked for ("" when not decoded)
  std::string declared_level; ///< x-cordon-level, "" when absent
  std::string detected_level; ///< highest level of any finding, "" when nothing was found
  std::string level;          ///< the request's level (declared, floors, detected)
  std::map<std::string, std::uint32_t> entities; ///< finding counts per entity type

  // The decision and what came of it.
  std::string target;   ///< "backend:model" that answered (or was tried last), "" if none
  std::string boundary; ///< its boundary
  std::string region;   ///< its boundary's region
  bool pseudonymized = false;
  std::uint32_t pseudonymized_values = 0;
  std::string reason; ///< the rule that refused it, or why the target was eligible
  std::vector<Attempt> attempts;
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  /// "answered", "refused" (policy, 403), "rate_limited" (429: over a tenant's or key's limits),
  /// "rejected" (client error: 400/401/404/413...),
  /// "failed" (every eligible target failed: 502/504), "aborted" (the client went away or the
  /// stream broke after it started), "unavailable" (503: the audit itself cannot write),
  /// "explained" (POST /v1/cordon/explain: decided, nothing sent), kSealOutcome (a chain's end).
  std::string outcome;
  unsigned status = 0; ///< the HTTP status cordon answered with
  /// The prompt template applied, "name@version" (never its text); "" when none. Written (after
  /// `status`) only when set, so records from before templates keep their hashes.
  std::string prompt;
  /// Guardrails that fired: name -> what was done ("denied", "redacted", "flagged"). Written to
  /// the canonical form only when not empty (as `prompt`).
  std::map<std::string, std::string> guardrails;

  friend bool operator==(const Record&, const Record&) = default;
};

/// The outcome of the record a gateway appends to its chain when it stops cleanly: after it,
/// the chain takes no more records, so records cut from a sealed chain's end are seen.
inline constexpr std::string_view kSealOutcome = "sealed";

/// The record's canonical form: JSON with a fixed key order, no insignificant whitespace,
/// integers only, strings escaped minimally and identically everywhere (docs/audit.md), without
/// the `hash` field. `hash` = hex SHA-256 of exactly these bytes. Stable across versions: a
/// field is only ever added at the end, and only when non-default.
///
/// Keys in declaration order of Record (attempts: of Attempt); `entities` as an object sorted by
/// key (byte order); `pseudonymized` as true/false. Strings: '"' and '\\' backslash-escaped,
/// U+0008/0009/000A/000C/000D as \b \t \n \f \r, every other byte below 0x20 as \u00xx
/// (lower-case hex), everything else (DEL and non-ASCII included) copied as UTF-8; a byte that
/// is not part of valid UTF-8 is written as U+FFFD, so the output is always valid JSON.
std::string canonical(const Record& record);

/// The stored form: canonical() with `"hash":"..."` appended as the last member.
std::string stored(const Record& record);

/// Parses a stored record back (Errc::BadRequest naming the problem when it is not one): a JSON
/// object with every field of this version (types checked, integers in range), `hash` and
/// `prev_hash` as 64 lower-case hex digits, and no unknown field. It does not check the hash
/// (verify() does), so an edited record still parses.
Result<Record> parseStored(std::string_view json);

/// Sets `record.instance`, `sequence`, `prev_hash` and `hash` as the next record of a chain.
class Chain {
public:
  explicit Chain(std::string instance, std::uint64_t next_sequence = 0,
                 std::string last_hash = std::string(64, '0'));
  void link(Record& record);
  const std::string& instance() const noexcept { return instance_; }

private:
  std::string instance_;
  std::uint64_t next_ = 0;
  std::string last_hash_;
};

/// Where records are kept: "sqlite:PATH", "jsonl:PATH" or "postgresql://...".
/// Used by one writer thread at a time (append) or by the CLI (each/verify/flows). healthy() may
/// be called from another thread (the readiness probe) while append() runs: sinks serialise
/// their calls internally.
class Sink {
public:
  virtual ~Sink() = default;
  /// Appends `batch` (already chained, in chain order) durably: one transaction / one fsync for
  /// the whole batch. On failure nothing of the batch may be visible as committed (or, for
  /// jsonl, a torn last line is ignored by readers).
  virtual Result<void> append(std::span<const Record> batch) = 0;
  /// Calls `visit` with the stored text (stored()) of every record, in the order they were
  /// appended (SQL: insertion order; jsonl: file order), so that verify sees reorders.
  virtual Result<void> each(const std::function<void(std::string_view stored_json)>& visit) = 0;
  /// True when the sink can take records now (readiness probe).
  virtual bool healthy() = 0;
};

/// How a sink is opened.
enum class OpenMode : std::uint8_t {
  Append, ///< the gateway: create the file / tables / indexes on first use
  Read,   ///< the CLI (verify, flows): a sink that does not exist is an error, never created
};

/// Opens the sink `spec` names: "sqlite:PATH", "jsonl:PATH" (a relative PATH is relative to the
/// process's working directory) or "postgresql://..." / "postgres://..." (libpq's url form).
/// Errors (Errc::BadRequest for a malformed spec, Errc::Unavailable when it cannot be opened)
/// never repeat a postgresql url, which may carry a password.
Result<std::unique_ptr<Sink>> openSink(std::string_view spec, OpenMode mode);

/// openSink(spec, OpenMode::Append): opens and creates on first use.
Result<std::unique_ptr<Sink>> openSink(std::string_view spec);

/// What `cordon audit verify` found.
struct VerifyReport {
  std::uint64_t records = 0;
  std::uint64_t chains = 0;
  /// Chains whose last record is not a seal (kSealOutcome), as "INSTANCE (last record N)": the
  /// gateway is still running, stopped without draining (a crash, kill -9), or records were cut
  /// from the chain's end; only the last is tampering, and a running gateway's chain is open.
  std::vector<std::string> open_chains;
  /// Empty when every chain is intact; else the first broken record in storage order and what
  /// is wrong: "instance I record 17: edited (hash mismatch)", "... missing records 5-6",
  /// "... out of order", "stored record 12: not a record" (storage position, 1-based, when the
  /// text does not parse, so there is no instance or sequence to name).
  /// `records` and `chains` count everything stored, also past a problem.
  std::string problem;
  bool intact() const noexcept { return problem.empty(); }
};

/// Walks every chain of `sink`. A chain's end cut off shows as an open chain (no seal); a whole
/// chain removed cannot be seen (docs/audit.md). Errors only when the sink cannot be read.
Result<VerifyReport> verify(Sink& sink);

} // namespace cordon::audit
