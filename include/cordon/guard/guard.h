// Guardrails (docs/guardrails.md): pure checks on the texts of a request and of its answer. The
// gateway decides which guardrails apply (per model and tenant) and what their action does; this
// library only finds what fired and where. No I/O, no HTTP.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/classify/classifier.h"
#include "cordon/common/result.h"
#include "cordon/config/config.h"

namespace cordon::guard {

/// A half-open byte range [start, end) of a text.
struct Span {
  std::size_t start = 0;
  std::size_t end = 0;
};

// ---------------------------------------------------------------------------------------------
// Prompt injection

/// One reason a text looks like an attempt to override the model's instructions.
struct InjectionSignal {
  std::string_view rule; ///< A stable rule name ("instruction_override", "bidi_control", ...).
  double weight = 0;     ///< What it adds to the score (docs/guardrails.md lists every rule).
  Span span;
};

struct InjectionAssessment {
  /// In [0, 1]: 1 - prod(1 - weight) over the signals (each rule counted once, its strongest
  /// match), so independent weak signals add up but never pass 1.
  double score = 0;
  std::vector<InjectionSignal> signals;
};

/// Scores `text` (UTF-8; invalid bytes are treated as opaque, never crash) for prompt injection:
/// instruction-override phrases ("ignore all previous instructions", "disregard the system
/// prompt", in English, German, French and Spanish), role-play jailbreak markers ("you are now
/// DAN", "developer mode", "act as an unrestricted AI"), fake role or system markers
/// ("<|im_start|>system", "### System:"), and hidden text in unusual Unicode: bidi controls
/// (U+202A-U+202E, U+2066-U+2069), tag characters (U+E0000-U+E007F), runs of zero-width
/// characters (U+200B-U+200D, U+2060, U+FEFF). Ordinary support and medical text scores 0.
/// Thread-safe. The first call in the process compiles the rule database (well under a second);
/// call it once at start-up (any text, even empty) so that no request pays for it.
InjectionAssessment assessInjection(std::string_view text);

/// `text` without the hidden-Unicode characters assessInjection() looks for (the `redact` action
/// of a prompt_injection guardrail).
std::string stripHiddenText(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Deny lists

/// Every deny_words and deny_regex guardrail of a config, compiled into one Hyperscan database
/// once per config snapshot. Immutable and shared between workers; each worker scans with its
/// own scratch.
class DenyLists {
public:
  struct Match {
    std::size_t guardrail = 0; ///< Index into Config::guardrails.
    Span span;
  };

  /// Errc::BadRequest naming the guardrail when a regex does not compile (the config is then
  /// refused at load and at reload, never at request time). A config without deny guardrails
  /// yields an empty matcher that finds nothing.
  static Result<std::shared_ptr<const DenyLists>> build(const config::Config& config);

  class Scratch;
  using ScratchPtr = std::unique_ptr<Scratch, void (*)(Scratch*)>;
  ScratchPtr makeScratch() const;

  /// Appends the matches in `text` (whole words, case-insensitive, for word lists; leftmost
  /// start for regexes). Errc::Internal when the scan itself fails (callers fail closed).
  Result<void> scan(std::string_view text, Scratch& scratch, std::vector<Match>& out) const;

  ~DenyLists();
  DenyLists(const DenyLists&) = delete;
  DenyLists& operator=(const DenyLists&) = delete;

private:
  DenyLists() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Redaction and answers

/// `text` with each span replaced by `label` (spans may be unsorted and overlap; they are merged).
std::string redact(std::string_view text, std::vector<Span> spans, std::string_view label);

/// The findings of an answer that an output_entities guardrail reports: of a type in `watched`
/// (every type when empty), and whose value (the exact bytes) is not in `request_values` — a
/// value the client sent may come back (echoed, summarised, restored from a placeholder).
std::vector<classify::Finding> unseenFindings(std::string_view answer,
                                              const std::vector<classify::Finding>& findings,
                                              const std::vector<std::string>& request_values,
                                              const std::vector<std::string>& watched);

/// True when `text` is one valid JSON value (the json_output guardrail).
bool isValidJson(std::string_view text);

/// Screens a streamed answer's text for an output_entities guardrail, piece by piece, with the
/// same hold-back idea as the placeholder restorer: a suffix that could still be part of an
/// entity is held until more text shows it is not (at most `hold_bytes`), so no entity is ever
/// released unscreened, however the stream splits it. `scan` runs the detectors over a text.
/// `hold_bytes` must be longer than the longest entity `scan` can report (plus the text after it
/// the detector needs to decide): a longer entity can be released in part before it is seen.
/// The last 64 released bytes are scanned again with the held text (never starting inside a
/// finding) so that left boundaries and context words are seen as in a whole-text scan.
class StreamScreen {
public:
  using Scan = std::function<Result<std::vector<classify::Finding>>(std::string_view)>;

  StreamScreen(Scan scan, std::vector<std::string> request_values, std::vector<std::string> watched,
               config::GuardAction action, std::size_t hold_bytes = 256);

  /// Text safe to release now (redacted when the action is Redact). Errc::PolicyViolation naming
  /// the entity type when the action is Deny and an unseen entity was found; Errc::Internal when
  /// `scan` fails.
  Result<std::string> push(std::string_view piece);

  /// Releases what is still held (screened).
  Result<std::string> finish();

  /// Entity types found so far (for the audit and the Flag action), each once.
  const std::vector<std::string>& found() const noexcept { return found_; }

private:
  Result<std::string> release(bool final);

  Scan scan_;
  std::vector<std::string> request_values_;
  std::vector<std::string> watched_;
  config::GuardAction action_;
  std::size_t hold_bytes_;
  std::string pending_; ///< Received, not yet released.
  std::string context_; ///< The raw tail of what was released, scanned again for context.
  std::vector<std::string> found_;
};

} // namespace cordon::guard
