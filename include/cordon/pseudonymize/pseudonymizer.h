// Pseudonymization (PRODUCT.md §1): pseudonymizable findings are replaced by placeholders such as
// <PERSON_1> before a request leaves for a target that may only see it that way, and the original
// values are put back in the answer, streamed or not, tool-call arguments included. Pure
// functions and value types: no I/O, no JSON library, no config; the gateway decides what to
// replace and calls these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/classify/classifier.h"

namespace cordon::pseudonymize {

/// The placeholders of one request and the values they stand for. Placeholders are written
/// `<TYPE_N>` (TYPE the entity type, N = 1, 2, ... per type); the same value, after
/// normalisation (see docs/pseudonymization.md: case for e-mail addresses, spaces, dashes, dots
/// and parentheses for digit-shaped values), gets the same placeholder throughout the request.
class PlaceholderMap {
public:
  /// The original value a placeholder stands for, given the placeholder exactly as cordon wrote
  /// it ("<PERSON_1>"); null when this request has no such placeholder.
  const std::string* find(std::string_view placeholder) const noexcept;
  /// Distinct values replaced (the x-cordon-pseudonymized header).
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }

  struct Entry {
    std::string placeholder; ///< "<PERSON_1>"
    std::string original;    ///< the value as it first appeared in the request
    std::string type;        ///< "PERSON"
  };
  /// Every placeholder in the order they were made (tests and the demo print them).
  const std::vector<Entry>& entries() const noexcept;

private:
  friend class Pseudonymizer;
  friend class StreamRestorer;
  std::vector<Entry> entries_;
  // Lookup structures (sorted names, JSON-escaped originals), built once by take() and shared by
  // copies: the map is immutable afterwards, so one can serve every stream of the answer.
  struct Index;
  std::shared_ptr<const Index> index_;
};

/// Builds a request's placeholders. Use: reserve() every text of the request first, then apply()
/// every text with its findings, then take the map.
class Pseudonymizer {
public:
  Pseudonymizer();
  ~Pseudonymizer();
  Pseudonymizer(Pseudonymizer&&) noexcept;
  Pseudonymizer& operator=(Pseudonymizer&&) noexcept;

  /// Notes every placeholder-shaped string already in `text` ("<PERSON_1>", typed by the user or
  /// pasted from an earlier answer) so that no placeholder made for this request equals one, in
  /// any spelling restore would accept: restore then can never turn the user's own text into
  /// someone's value.
  void reserve(std::string_view text);

  /// `text` with each finding replaced by its value's placeholder. `findings` are the
  /// classifier's for this very text (byte offsets, sorted by start, non-overlapping); only those
  /// for which `replace(type)` is true are replaced, the others are left as they are.
  template <typename Predicate>
  std::string apply(std::string_view text, std::span<const classify::Finding> findings,
                    Predicate&& replace) {
    std::vector<const classify::Finding*> chosen;
    chosen.reserve(findings.size());
    for (const classify::Finding& finding : findings) {
      if (replace(finding.type)) {
        chosen.push_back(&finding);
      }
    }
    return applyChosen(text, chosen);
  }

  /// The placeholders made so far (moves them out; the pseudonymizer is spent).
  PlaceholderMap take() &&;

private:
  std::string applyChosen(std::string_view text, std::span<const classify::Finding* const> chosen);
  struct State;
  std::unique_ptr<State> state_;
};

/// Where restored values land: plain text (message content), or the inside of a JSON string
/// (tool-call arguments are JSON text, so a value's quotes, backslashes and control characters
/// are escaped there).
enum class Context : std::uint8_t { Text, JsonString };

/// `text` with every placeholder of `map` replaced by its original value. Accepted spellings
/// (the documented tolerance rule, docs/pseudonymization.md): the type in any letter case, up to
/// two spaces or tabs right after '<' and right before '>'; nothing else (no other separator, no
/// leading zero, no missing bracket). A placeholder-shaped string the map does not hold (the
/// user's own, or one the model invented) is left as it is. One pass, linear in `text`; a
/// hand-written scanner, not a regex (see restore.cc).
std::string restore(std::string_view text, const PlaceholderMap& map,
                    Context context = Context::Text);

/// Restore over one stream of text fragments (one choice's content, or one tool call's
/// arguments): everything that cannot be part of a placeholder is released at once; only the
/// shortest suffix that could still be the start of a spelling of one of the map's placeholders
/// is held back (so never more than the longest such spelling, and nothing at all with an empty
/// map), however many fragments a placeholder is split over. The outputs of all feed() calls and
/// finish(), concatenated, equal restore() of the fragments concatenated, for any split. The map
/// must outlive the restorer.
class StreamRestorer {
public:
  explicit StreamRestorer(const PlaceholderMap& map, Context context = Context::Text);

  /// Appends to `out` what can be released after `fragment`.
  void feed(std::string_view fragment, std::string& out);
  /// End of the stream (or a stream cut short): appends what is held, restored if it is a whole
  /// placeholder, otherwise as it is.
  void finish(std::string& out);
  /// Bytes currently held back.
  std::size_t held() const noexcept { return pending_.size(); }

private:
  // Where the scanner stands inside pending_ (which, when not empty, starts with '<' and holds no
  // other '<'): the spelling's grammar is '<' pad{0,2} NAME pad{0,2} '>', and NAME is matched
  // against the map's sorted names one byte at a time, [lo_, hi_) being the names that still
  // start with the bytes seen so far.
  enum class Phase : std::uint8_t { LeadPad, Name, TrailPad };

  void start();
  bool step(char c, std::string& out);
  void release(std::string& out);

  const PlaceholderMap* map_;
  const PlaceholderMap::Index* index_;
  Context context_;
  std::string pending_;
  Phase phase_ = Phase::LeadPad;
  std::uint8_t pads_ = 0;
  std::uint32_t name_length_ = 0;
  std::uint32_t lo_ = 0;
  std::uint32_t hi_ = 0;
};

} // namespace cordon::pseudonymize
