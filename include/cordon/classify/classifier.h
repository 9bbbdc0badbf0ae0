// Sensitive-data detection: a pure function from text to findings. One Hyperscan database holds
// every candidate pattern (built-in detectors and the config's custom entities) and is compiled
// once per config snapshot; validators (checksums, structure) and nearby context words then
// confirm or reject each candidate. Independent of HTTP: the gateway, `cordon scan` and
// `cordon explain` all call the same Classifier::scan.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/common/result.h"
#include "cordon/config/config.h"

namespace cordon::classify {

/// One detected entity in a scanned text.
struct Finding {
  /// Entity type (Presidio's names, e.g. "EMAIL_ADDRESS", or a custom entity's name). Points into
  /// storage owned by the Classifier; valid as long as the Classifier.
  std::string_view type;
  std::uint32_t start = 0; ///< Byte offset of the first byte.
  std::uint32_t end = 0;   ///< Byte offset one past the last byte.
  float score = 0;         ///< Confidence in [0, 1] after validation and context.

  friend bool operator==(const Finding&, const Finding&) = default;
};

/// Per-thread scan state (Hyperscan scratch and candidate buffers). Not thread-safe: make one per
/// worker thread with Classifier::makeScratch() and reuse it for every scan on that thread.
class Scratch;

struct ScratchDeleter {
  void operator()(Scratch* scratch) const noexcept;
};
using ScratchPtr = std::unique_ptr<Scratch, ScratchDeleter>;

class Classifier;
using ClassifierConstSharedPtr = std::shared_ptr<const Classifier>;

class Classifier {
public:
  /// Compiles the built-in detectors plus `custom` (word lists: case-insensitive, whole words;
  /// regexes) into one database. Fails with Errc::BadRequest naming the custom entity when
  /// Hyperscan cannot compile its regex (the config is then refused at load, never a runtime
  /// blow-up).
  static Result<ClassifierConstSharedPtr> build(const std::vector<config::CustomEntity>& custom);

  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  /// A scratch sized for this classifier's database.
  ScratchPtr makeScratch() const;

  /// Scans `text` (any bytes: invalid UTF-8 is scanned as bytes and offsets stay valid) and
  /// appends the findings to `out`, sorted by start; overlapping candidates are resolved so that
  /// no two findings overlap. Fails only on an internal Hyperscan error (e.g. a scratch made for
  /// another classifier), with Errc::Internal — callers fail closed on it.
  Result<void> scan(std::string_view text, Scratch& scratch, std::vector<Finding>& out) const;

  /// Every type this classifier can report (built-in and custom).
  const std::vector<std::string>& types() const noexcept;

private:
  struct Impl;
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Hyperscan pattern text that matches `word` literally: every byte but ASCII letters and digits
/// hex-escaped (\xHH), so no byte of a word list can act as regex syntax.
std::string escapeLiteral(std::string_view word);

} // namespace cordon::classify
