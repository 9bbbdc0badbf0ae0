// One Hyperscan block-mode database for the candidate patterns (built-in table + custom
// entities). Start-of-match tracking is what makes such a database slow, so it is asked for only
// where the start cannot be had otherwise: a fixed-width pattern starts `width` bytes before its
// end, a bare digit-run row (\d{k}) is found by a plain loop over the digit runs instead of by
// Hyperscan, and an Extend::Rescan row gets its start from a rescan of the few bytes before its
// end. The rows shaped around digits (cards, phones, dates, national IDs) are not in Hyperscan at
// all: together they made its automaton slow on every byte, so DigitRows (digit_rows.h) matches
// them near the digit runs; nor are the base64-run secrets, the URL row anchored on a top-level
// domain and the e-mail row, which TokenRows, TldRow and EmailRow (token_rows.h) match, nor the
// PERSON rows anchored on a title, a capitalised pair or a closing line (names.h). What remains is
// mostly literals and the secrets' prefixes. The match callback only records candidates (after the
// cheap whole-token checks), which are then put in (end, pattern) order so that the result does not
// depend on the order in which Hyperscan happens to report; validators, context words, thresholds
// and overlap resolution run afterwards on that short list.
#include "cordon/classify/classifier.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <hs/hs.h>

#include "classify/digit_rows.h"
#include "classify/names.h"
#include "classify/patterns.h"
#include "classify/radix_sort.h"
#include "classify/token_rows.h"
#include "classify/validators.h"
#include "classify/validators_secrets.h"

namespace cordon::classify {
namespace {

struct PatternMeta {
  std::uint32_t type_index = 0;
  Check check = Check::None;
  Validator valid = nullptr;
  bool skip_as_line_prefix = false;
  bool shy_of_codes = false;
  Boundary boundary = Boundary::None;
  bool custom_word = false;
  Extend extend = Extend::None;
  /// Non-zero: every match is this long, so the start needs no SOM.
  std::uint32_t width = 0;
  /// The Extend::Rescan row alone, with SOM.
  hs_database_t* rescan = nullptr;
  float score = 1.0F;
  float threshold = 0.5F;
  std::string_view context;
  std::string_view negative;
};

struct Candidate {
  std::uint32_t id = 0;
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  float score = 0;
};

/// The start of an Extend::Rescan candidate before its rescan.
constexpr std::uint32_t kPendingStart = std::numeric_limits<std::uint32_t>::max();
/// No pattern id: the end of a next_sharing chain.
constexpr std::uint32_t kNoRow = std::numeric_limits<std::uint32_t>::max();

/// A \d{k} row scanned as digit runs (see scanDigitRuns).
struct DigitRunRow {
  std::uint32_t id = 0;
  std::uint32_t length = 0;
  EdgeSet start_ok; ///< leftOk and rightOk of the row, per edge code of a run (see edgesOk).
  EdgeSet end_ok;
};

/// The longest digit run an Extend::Digits row reports (longer runs are part of something bigger).
constexpr std::size_t kMaxDigitRun = 20;

bool isAlnumByte(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigitByte(unsigned char c) noexcept {
  return c >= '0' && c <= '9';
}
bool isAlphaByte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lowerByte(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool isTokenByte(Boundary boundary, unsigned char c) noexcept {
  switch (boundary) {
  case Boundary::None:
    return false;
  case Boundary::Alnum:
    return isAlnumByte(c);
  case Boundary::Token:
    return isAlnumByte(c) || c == '_' || c == '-';
  case Boundary::HexColon:
    return isAlnumByte(c) || c == ':';
  }
  return false;
}

/// Custom words: whole words in the \b sense ([A-Za-z0-9_]).
bool isWordByte(unsigned char c) noexcept {
  return isAlnumByte(c) || c == '_';
}

bool leftOk(const PatternMeta& meta, const unsigned char* data, std::size_t start) noexcept {
  if (start == 0) {
    return true;
  }
  const unsigned char prev = data[start - 1];
  if (meta.custom_word) {
    return !isWordByte(prev) || !isWordByte(data[start]);
  }
  if (meta.boundary == Boundary::None) {
    return true;
  }
  if (isTokenByte(meta.boundary, prev)) {
    return false;
  }
  return !((prev == '.' || prev == '-') && start >= 2 && isAlnumByte(data[start - 2]));
}

bool rightOk(const PatternMeta& meta, const unsigned char* data, std::size_t size,
             std::size_t end) noexcept {
  if (end >= size) {
    return true;
  }
  const unsigned char next = data[end];
  if (meta.custom_word) {
    return !isWordByte(next) || !isWordByte(data[end - 1]);
  }
  if (meta.boundary == Boundary::None) {
    return true;
  }
  if (isTokenByte(meta.boundary, next)) {
    return false;
  }
  return !((next == '.' || next == '-') && end + 1 < size && isAlnumByte(data[end + 1]));
}

struct MatchContext {
  const PatternMeta* metas;
  const unsigned char* data;
  std::size_t size;
  std::vector<Candidate>* out;
};

bool isEmailLocalByte(unsigned char c) noexcept {
  return isAlnumByte(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool isHostByte(unsigned char c) noexcept {
  return isAlnumByte(c) || c == '.' || c == '-';
}

/// The candidate start for Extend patterns (see patterns.h); SIZE_MAX when there is none.
std::size_t findStart(Extend extend, const unsigned char* data, std::size_t from,
                      std::size_t to) noexcept {
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t start = from;
  std::size_t limit = 0;
  bool (*allowed)(unsigned char) noexcept = nullptr;
  switch (extend) {
  case Extend::None:
  case Extend::Rescan:
  case Extend::CapitalisedPair:
  case Extend::TitleAnchor:
  case Extend::ClosingAnchor:
    return from;
  case Extend::Digits:
    start = to;
    limit = kMaxDigitRun;
    allowed = isDigitByte;
    break;
  case Extend::EmailLocal:
    limit = 64;
    allowed = isEmailLocalByte;
    break;
  case Extend::Hostname:
    limit = 253;
    allowed = isHostByte;
    break;
  }
  const std::size_t anchor = start;
  while (start > 0 && allowed(data[start - 1])) {
    if (anchor - start == limit) {
      return kNone; // run too long: part of something bigger
    }
    --start;
  }
  return start == anchor ? kNone : start;
}

/// Records a match of row `id` as a candidate after the cheap whole-token checks, the same for a
/// Hyperscan report and for one of DigitRows.
void addMatch(const MatchContext& ctx, std::uint32_t id, std::size_t from, std::size_t to) {
  const PatternMeta& meta = ctx.metas[id];
  // An IBAN match is only its first eight characters; its end is decided in growIban.
  if (meta.check != Check::Iban && !rightOk(meta, ctx.data, ctx.size, to)) {
    return;
  }
  if (meta.extend == Extend::Rescan) {
    ctx.out->push_back(Candidate{id, kPendingStart, static_cast<std::uint32_t>(to), 0});
    return;
  }
  if (meta.width != 0) {
    from = to - meta.width;
  }
  from = findStart(meta.extend, ctx.data, from, to);
  if (from >= to || !leftOk(meta, ctx.data, from)) {
    return;
  }
  ctx.out->push_back(
      Candidate{id, static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to), 0});
}

int onMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/,
            void* user) {
  addMatch(*static_cast<const MatchContext*>(user), id, static_cast<std::size_t>(from),
           static_cast<std::size_t>(to));
  return 0;
}

/// Per edge code of a digit run (see digit_rows.h), whether addMatch keeps a candidate of `meta`
/// that starts right after it (`start`) or ends right before it; found by asking leftOk / rightOk
/// about a few bytes with that edge, so the two never disagree.
EdgeSet edgesOk(const PatternMeta& meta, bool start) {
  EdgeSet ok;
  for (std::size_t code = 0; code < kEdgeCodes; ++code) {
    std::array<unsigned char, 3> bytes{};
    const auto edge = static_cast<unsigned char>(code < 256              ? code
                                                 : code == kEdgeDotAlnum ? '.'
                                                                         : '-');
    if (start) {
      bytes = {code < 256 ? static_cast<unsigned char>(' ') : static_cast<unsigned char>('a'), edge,
               '0'};
      ok[code] = leftOk(meta, bytes.data(), code == kEdgeText ? 0 : 2);
    } else if (meta.check == Check::Iban) {
      ok[code] = true; // its end is decided in growIban
    } else {
      bytes = {'0', edge,
               code < 256 ? static_cast<unsigned char>(' ') : static_cast<unsigned char>('a')};
      ok[code] = rightOk(meta, bytes.data(), code == kEdgeText ? 1 : 3, 1);
    }
  }
  return ok;
}

/// Candidates of the \d{k} rows, as Hyperscan and findStart would give them: a maximal run of
/// k to kMaxDigitRun digits, whole-token on both sides, for each row with k no longer than the run.
/// The runs are the ones DigitRows found.
void scanDigitRuns(std::span<const DigitRunRow> rows, std::uint32_t min_length,
                   std::span<const DigitRun> runs, std::vector<Candidate>& out) {
  for (const DigitRun& run : runs) {
    const std::size_t length = run.end - run.start;
    if (length < min_length || length > kMaxDigitRun) {
      continue;
    }
    for (const DigitRunRow& row : rows) {
      if (row.length <= length && row.end_ok[run.after] && row.start_ok[run.before]) {
        out.push_back(Candidate{row.id, run.start, run.end, 0});
      }
    }
  }
}

/// Bytes that may be \s (more than Hyperscan's set errs towards a larger rescan window).
bool maybeSpaceByte(unsigned char c) noexcept {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
}

int onRescanMatch(unsigned int /*id*/, unsigned long long from, unsigned long long to,
                  unsigned int /*flags*/, void* user) {
  auto* found = static_cast<std::pair<unsigned long long, unsigned long long>*>(user);
  if (to == found->first) {
    found->second = std::min(found->second, from);
  }
  return 0;
}

/// The leftmost start of an Extend::Rescan match ending at `end`, from the row alone scanned
/// over every byte such a match can span; kPendingStart when there is none.
std::uint32_t rescanStart(const PatternMeta& meta, const unsigned char* data, std::uint32_t end,
                          hs_scratch_t* scratch) {
  std::size_t from = end;
  std::size_t budget = kRescanNonSpace;
  while (from > 0) {
    if (!maybeSpaceByte(data[from - 1])) {
      if (budget == 0) {
        break;
      }
      --budget;
    }
    --from;
  }
  std::pair<unsigned long long, unsigned long long> found{end - from, kPendingStart};
  if (hs_scan(meta.rescan, reinterpret_cast<const char*>(data) + from,
              static_cast<unsigned int>(end - from), 0, scratch, onRescanMatch,
              &found) != HS_SUCCESS ||
      found.second == kPendingStart) {
    return kPendingStart;
  }
  return static_cast<std::uint32_t>(from + found.second);
}

/// The lower-cased bytes of the window before a candidate's start. Kept for the next question
/// about the same start: a digit run's rows, and the context and negative word lists, ask in turn.
class LoweredWindow {
public:
  std::string_view before(std::string_view text, std::uint32_t start) noexcept {
    if (start != start_) {
      start_ = start;
      const std::size_t from = start > kContextWindow ? start - kContextWindow : 0;
      size_ = start - from;
      for (std::size_t i = 0; i < size_; ++i) {
        bytes_[i] = lowerByte(text[from + i]);
      }
    }
    return {bytes_.data(), size_};
  }

private:
  std::array<char, kContextWindow> bytes_{};
  std::size_t size_ = 0;
  std::uint32_t start_ = kPendingStart;
};

/// True when one of the '|'-separated lower-case `words` starts a word within the window before
/// `start` (lowered only when there are words to look for: most rows have none).
bool hasContext(LoweredWindow& lowered, std::string_view text, std::uint32_t start,
                std::string_view words) noexcept {
  if (words.empty()) {
    return false;
  }
  const std::string_view window = lowered.before(text, start);
  if (window.empty()) {
    return false;
  }
  while (!words.empty()) {
    const std::size_t bar = words.find('|');
    const std::string_view word = words.substr(0, bar);
    words = bar == std::string_view::npos ? std::string_view{} : words.substr(bar + 1);
    std::size_t pos = window.find(word);
    while (pos != std::string_view::npos) {
      if (pos == 0 || !isAlphaByte(static_cast<unsigned char>(window[pos - 1]))) {
        return true;
      }
      pos = window.find(word, pos + 1);
    }
  }
  return false;
}

/// Trailing sentence punctuation is not part of a URL; a ')' is only when it closes a '('.
std::uint32_t trimUrlEnd(std::string_view text, std::uint32_t start, std::uint32_t end) noexcept {
  while (end > start) {
    const char c = text[end - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '*' ||
        c == ']' || c == '}') {
      --end;
      continue;
    }
    if (c == ')') {
      const std::string_view span = text.substr(start, end - start);
      if (std::count(span.begin(), span.end(), '(') < std::count(span.begin(), span.end(), ')')) {
        --end;
        continue;
      }
    }
    break;
  }
  return end;
}

/// An e-mail-shaped run inside a URL's authority ("https://user:pass@host") is not an address.
bool insideUrl(std::string_view text, std::uint32_t start) noexcept {
  const std::size_t floor = start > 256 ? start - 256 : 0;
  for (std::size_t i = start; i > floor + 2; --i) {
    const char c = text[i - 1];
    if (c == ' ' || c == '\n' || c == '\t' || c == '"' || c == '\'' || c == '<') {
      return false;
    }
    if (c == '/' && text[i - 2] == '/' && text[i - 3] == ':') {
      return true;
    }
  }
  return false;
}

/// A card-shaped match followed by more digit groups with the same separator (a longer run).
bool partOfGroupedRun(std::string_view text, std::uint32_t start, std::uint32_t end) noexcept {
  const std::string_view span = text.substr(start, end - start);
  for (const char sep : {' ', '-'}) {
    if (span.find(sep) == std::string_view::npos) {
      continue;
    }
    if (end + 1 < text.size() && text[end] == sep &&
        isDigitByte(static_cast<unsigned char>(text[end + 1]))) {
      return true;
    }
  }
  return false;
}

/// "23.2.2.1", "20.11.4.3": every part at most 30 reads as a section number more than as an
/// address, so such a quad needs an address word nearby (10.x and 127.x are addresses).
bool sectionNumberLike(std::string_view quad) noexcept {
  int part = 0;
  int index = 0;
  int first = 0;
  bool small = true;
  for (std::size_t i = 0; i <= quad.size(); ++i) {
    if (i == quad.size() || quad[i] == '.') {
      if (index == 0) {
        first = part;
      }
      small = small && part <= 30;
      part = 0;
      ++index;
    } else {
      part = part * 10 + (quad[i] - '0');
    }
  }
  return small && first != 10 && first != 127;
}

/// Grows an IBAN candidate from its first characters to its country's length (groups of four
/// separated by single spaces when the first group is), then checks the right boundary.
bool growIban(const PatternMeta& meta, std::string_view text, Candidate& cand) noexcept {
  const std::size_t start = cand.start;
  const int length = ibanLength(text[start], text[start + 1]);
  if (length == 0) {
    return false;
  }
  const bool spaced = text[start + 4] == ' ';
  std::size_t i = start + 4;
  for (int n = 4; n < length; ++n) {
    if (spaced && n % 4 == 0) {
      if (i >= text.size() || text[i] != ' ') {
        return false;
      }
      ++i;
    }
    if (i >= text.size()) {
      return false;
    }
    const char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
    ++i;
  }
  if (!rightOk(meta, reinterpret_cast<const unsigned char*>(text.data()), text.size(), i)) {
    return false;
  }
  cand.end = static_cast<std::uint32_t>(i);
  return ibanValid(text.substr(start, i - start));
}

/// True when [start, end) opens its line (optionally after '[') and the line goes on with more
/// text after a space: the shape of a log record's timestamp.
bool isLinePrefix(std::string_view text, std::uint32_t start, std::uint32_t end) noexcept {
  std::uint32_t line_start = start;
  if (line_start > 0 && text[line_start - 1] == '[') {
    --line_start;
  }
  if (line_start > 0 && text[line_start - 1] != '\n') {
    return false;
  }
  std::uint32_t after = end;
  if (after < text.size() && text[after] == ']') {
    ++after;
  }
  return after + 1 < text.size() && text[after] == ' ' && text[after + 1] != '\n';
}

/// Narrows a credential candidate to the secret inside it (see credentialSecret).
bool narrowToSecret(std::string_view text, Candidate& cand) noexcept {
  const char left = cand.start > 0 ? text[cand.start - 1] : '\0';
  const char right = cand.end < text.size() ? text[cand.end] : '\0';
  const SecretSpan secret =
      credentialSecret(text.substr(cand.start, cand.end - cand.start), left, right);
  if (secret.length == 0) {
    return false;
  }
  cand.start += static_cast<std::uint32_t>(secret.offset);
  cand.end = cand.start + static_cast<std::uint32_t>(secret.length);
  return true;
}

/// A letters-and-digits code: at least four bytes, a digit and an upper-case letter, no
/// lower-case letter.
bool isCodeToken(std::string_view token) noexcept {
  if (token.size() < 4) {
    return false;
  }
  bool digit = false;
  bool upper = false;
  for (const char c : token) {
    digit = digit || isDigitByte(static_cast<unsigned char>(c));
    upper = upper || (c >= 'A' && c <= 'Z');
    if (c >= 'a' && c <= 'z') {
      return false;
    }
  }
  return digit && upper;
}

/// True when a one-token candidate has a code (isCodeToken) as the token just before or after
/// it, across spaces and commas.
bool besideCode(std::string_view text, std::uint32_t start, std::uint32_t end) noexcept {
  const std::string_view span = text.substr(start, end - start);
  if (span.find(' ') != std::string_view::npos) {
    return false;
  }
  const auto gap = [](char c) { return c == ' ' || c == ','; };
  const auto token_byte = [](char c) { return isAlnumByte(static_cast<unsigned char>(c)); };
  std::size_t left = start;
  while (left > 0 && gap(text[left - 1])) {
    --left;
  }
  std::size_t left_start = left;
  while (left_start > 0 && token_byte(text[left_start - 1])) {
    --left_start;
  }
  std::size_t right = end;
  while (right < text.size() && gap(text[right])) {
    ++right;
  }
  std::size_t right_end = right;
  while (right_end < text.size() && token_byte(text[right_end])) {
    ++right_end;
  }
  return (left < start && isCodeToken(text.substr(left_start, left - left_start))) ||
         (right > end && isCodeToken(text.substr(right, right_end - right)));
}

bool validate(const PatternMeta& meta, std::string_view text, Candidate& cand) noexcept {
  switch (meta.check) {
  case Check::None:
    return true;
  case Check::CreditCard:
    return creditCardValid(text.substr(cand.start, cand.end - cand.start)) &&
           !partOfGroupedRun(text, cand.start, cand.end);
  case Check::Iban:
    return growIban(meta, text, cand);
  case Check::UsSsn:
    return usSsnValid(text.substr(cand.start, cand.end - cand.start));
  case Check::Aba:
    return abaRoutingValid(text.substr(cand.start, cand.end - cand.start));
  case Check::Ipv4:
    return ipv4Valid(text.substr(cand.start, cand.end - cand.start));
  case Check::Ipv6:
    return ipv6Valid(text.substr(cand.start, cand.end - cand.start));
  case Check::Email:
    return emailValid(text.substr(cand.start, cand.end - cand.start)) &&
           !insideUrl(text, cand.start);
  case Check::Url:
    // "log.info(" and "self.app(": a bare host name right before '(' is a method call.
    if (meta.extend == Extend::Hostname && cand.end < text.size() && text[cand.end] == '(') {
      return false;
    }
    cand.end = trimUrlEnd(text, cand.start, cand.end);
    return urlValid(text.substr(cand.start, cand.end - cand.start));
  case Check::Phone: {
    const int digits = digitCount(text.substr(cand.start, cand.end - cand.start));
    return digits >= 8 && digits <= 18;
  }
  case Check::PhoneBare: {
    const std::uint32_t len = cand.end - cand.start;
    return len == 10 || (len == 11 && text[cand.start] == '1' && text[cand.start + 1] >= '3');
  }
  case Check::FiHetu:
    return fiPersonalIdentityCodeValid(text.substr(cand.start, cand.end - cand.start));
  case Check::TrNationalId:
    return trNationalIdValid(text.substr(cand.start, cand.end - cand.start));
  case Check::SePersonnummer:
    return sePersonnummerValid(text.substr(cand.start, cand.end - cand.start));
  case Check::Secret:
    return shannonEntropy(text.substr(cand.start, cand.end - cand.start)) >= 3.0;
  case Check::Custom:
    return meta.valid != nullptr && meta.valid(text.substr(cand.start, cand.end - cand.start));
  case Check::Credential:
    return narrowToSecret(text, cand);
  case Check::Name:
    return refineName(text, cand.start, cand.end);
  }
  return false;
}

/// k when `regex` is exactly \d{k} or [0-9]{k}, else 0.
std::uint32_t digitRunLength(std::string_view regex) noexcept {
  for (const std::string_view prefix : {std::string_view("\\d{"), std::string_view("[0-9]{")}) {
    if (regex.size() > prefix.size() + 1 && regex.substr(0, prefix.size()) == prefix &&
        regex.back() == '}') {
      std::uint32_t length = 0;
      for (const char c : regex.substr(prefix.size(), regex.size() - prefix.size() - 1)) {
        if (!isDigitByte(static_cast<unsigned char>(c)) || length > 1000) {
          return 0;
        }
        length = length * 10 + static_cast<std::uint32_t>(c - '0');
      }
      return length;
    }
  }
  return 0;
}

/// How many letters and digits every match of `regex` starts with, literally (0 for a regex
/// with alternatives at its top level).
std::size_t literalPrefixLength(std::string_view regex) noexcept {
  int depth = 0;
  for (const char c : regex) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (c == '|' && depth == 0) {
      return 0;
    }
  }
  std::size_t length = 0;
  while (length < regex.size() && isAlnumByte(static_cast<unsigned char>(regex[length]))) {
    ++length;
  }
  // A quantifier after the run applies to its last byte only.
  if (length > 0 && length < regex.size() &&
      (regex[length] == '?' || regex[length] == '*' || regex[length] == '{')) {
    --length;
  }
  return length;
}

/// The width of every match of `regex` when it has only one, else 0.
std::uint32_t fixedWidth(const std::string& regex, unsigned int flags) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(regex.c_str(), flags, &info, &error) != HS_SUCCESS) {
    hs_free_compile_error(error);
    return 0;
  }
  const std::uint32_t width = info->min_width == info->max_width ? info->min_width : 0;
  std::free(info); // NOLINT(cppcoreguidelines-no-malloc): hs_expression_info's malloc.
  return width;
}

std::string compileMessage(hs_compile_error_t* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown";
  hs_free_compile_error(error);
  return message;
}

} // namespace

/// Clusters up to this size take the sorted-insert path; larger ones acceptLarge, whose cost does
/// not grow with the square of the cluster.
constexpr std::size_t kSmallCluster = 64;

class Scratch {
public:
  hs_scratch_t* hs = nullptr;
  const void* owner = nullptr;
  std::vector<Candidate> candidates;
  std::vector<Candidate> accepted;
  std::vector<std::uint32_t> bounds; ///< Overlap resolution of large clusters (see acceptLarge).
  std::vector<std::uint32_t> taken;
  DigitScratch digit_work;
  DigitScratch colon_work;
  std::vector<RowMatch> row_matches;
  CapitalAnchors capitals;
  std::vector<NameAnchor> closings;
  std::vector<Candidate> sorted; ///< The candidates' sources merged (see Classifier::scan).
};

namespace {

/// Sorts `cands` by (end, id), as by_end in Classifier::scan: a long stretch by radix, by id and
/// then stably by end (`spare` is working storage).
void sortByEnd(std::span<Candidate> cands, std::vector<Candidate>& spare) {
  constexpr std::size_t kRadixFrom = 1024;
  if (cands.size() < kRadixFrom) {
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      return a.end != b.end ? a.end < b.end : a.id < b.id;
    });
    return;
  }
  radixSortBy(cands, spare, [](const Candidate& c) { return c.id; });
  radixSortBy(cands, spare, [](const Candidate& c) { return c.end; });
}

/// Takes each of `ranked` (best first) that overlaps none taken before, into scratch.accepted
/// (unordered). The spans are cut at every candidate's bounds; a Fenwick tree counts the taken
/// pieces, so each candidate costs a few logarithmic steps.
void acceptLarge(std::span<const Candidate> ranked, Scratch& scratch) {
  std::vector<std::uint32_t>& bounds = scratch.bounds;
  bounds.clear();
  for (const Candidate& c : ranked) {
    bounds.push_back(c.start);
    bounds.push_back(c.end);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::vector<std::uint32_t>& taken = scratch.taken; // Fenwick tree over the pieces, 1-based.
  taken.assign(bounds.size() + 1, 0);
  const auto piece = [&](std::uint32_t at) {
    return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), at) -
                                    bounds.begin());
  };
  const auto taken_before = [&](std::size_t n) { // pieces [0, n)
    std::uint32_t sum = 0;
    for (; n > 0; n &= n - 1) {
      sum += taken[n];
    }
    return sum;
  };
  for (const Candidate& c : ranked) {
    const std::size_t first = piece(c.start);
    const std::size_t last = piece(c.end);
    if (taken_before(last) != taken_before(first)) {
      continue;
    }
    for (std::size_t p = first; p < last; ++p) {
      for (std::size_t n = p + 1; n < taken.size(); n += n & (~n + 1)) {
        ++taken[n];
      }
    }
    scratch.accepted.push_back(c);
  }
}

} // namespace

void ScratchDeleter::operator()(Scratch* scratch) const noexcept {
  if (scratch != nullptr) {
    hs_free_scratch(scratch->hs);
    delete scratch; // NOLINT(cppcoreguidelines-owning-memory): ScratchPtr's deleter.
  }
}

struct Classifier::Impl {
  hs_database_t* db = nullptr;
  std::vector<hs_database_t*> rescan_dbs;
  std::vector<std::string> types;
  std::vector<PatternMeta> metas;
  std::vector<DigitRunRow> digit_rows;
  DigitRows shaped;
  /// The digit-shaped rows past the first kMaxDigitRows, matched over the runs `shaped` found.
  DigitRows more_shaped;
  /// Rows with the regex, case and edges of an earlier digit-shaped row are not built again:
  /// that row's reports count for each of them too. Per pattern id, the next id sharing its
  /// row (kNoRow: none); a report of id walks the chain.
  std::vector<std::uint32_t> next_sharing;
  /// The IPv6 row: in prose "::" is common, a match around it rare.
  DigitRows colon_shaped{":"};
  /// The base64-run secrets, the URL row anchored on a top-level domain and the e-mail row
  /// (token_rows.h).
  TokenRows token_runs;
  TldRow tld;
  EmailRow email;
  std::vector<std::uint32_t> pair_rows;    ///< Extend::CapitalisedPair rows.
  std::vector<std::uint32_t> title_rows;   ///< Extend::TitleAnchor rows.
  std::vector<std::uint32_t> closing_rows; ///< Extend::ClosingAnchor rows.
  std::uint32_t min_digit_run = std::numeric_limits<std::uint32_t>::max();

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    hs_free_database(db);
    for (hs_database_t* rescan : rescan_dbs) {
      hs_free_database(rescan);
    }
  }

  std::uint32_t typeIndex(std::string_view name) {
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (types[i] == name) {
        return static_cast<std::uint32_t>(i);
      }
    }
    types.emplace_back(name);
    return static_cast<std::uint32_t>(types.size() - 1);
  }
};

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

Result<ClassifierConstSharedPtr>
Classifier::build(const std::vector<config::CustomEntity>& custom) {
  auto impl = std::make_unique<Impl>();
  std::vector<std::string> expressions;
  std::vector<unsigned int> flags;
  std::vector<unsigned int> ids;
  // SOM only where the start cannot be had from the width.
  const auto add = [&](std::string expression, unsigned int expression_flags) {
    PatternMeta& meta = impl->metas.back();
    if (meta.extend == Extend::None) {
      meta.width = fixedWidth(expression, expression_flags);
      if (meta.width != 0) {
        expression_flags &= ~static_cast<unsigned int>(HS_FLAG_SOM_LEFTMOST);
      }
    }
    expressions.push_back(std::move(expression));
    flags.push_back(expression_flags);
    ids.push_back(static_cast<unsigned int>(impl->metas.size() - 1));
  };

  struct ShapedRow {
    std::string_view regex;
    bool caseless = false;
    EdgeSet start_ok;
    EdgeSet end_ok;
    std::uint32_t id = 0;
  };
  std::vector<ShapedRow> shaped_rows; // the digit-shaped rows built, to share (next_sharing)
  for (const PatternSpec& spec : builtinPatterns()) {
    PatternMeta meta;
    meta.type_index = impl->typeIndex(spec.type);
    meta.check = spec.check;
    meta.valid = spec.valid;
    meta.skip_as_line_prefix = spec.skip_as_line_prefix;
    meta.shy_of_codes = spec.shy_of_codes;
    meta.boundary = spec.boundary;
    meta.score = spec.score;
    meta.threshold = spec.threshold;
    meta.context = spec.context;
    meta.negative = spec.negative;
    meta.extend = spec.extend;
    impl->metas.push_back(meta);
    const auto id = static_cast<std::uint32_t>(impl->metas.size() - 1);
    const unsigned int caseless = spec.caseless ? HS_FLAG_CASELESS : 0U;
    if (spec.extend == Extend::Digits) {
      const std::uint32_t length = digitRunLength(spec.regex);
      // A run's edge codes stand for leftOk and rightOk, except at an IBAN's end (edgesOk).
      if (length != 0 && length <= kMaxDigitRun && spec.check != Check::Iban) {
        impl->digit_rows.push_back(
            DigitRunRow{id, length, edgesOk(meta, true), edgesOk(meta, false)});
        impl->min_digit_run = std::min(impl->min_digit_run, length);
      } else {
        add(std::string(spec.regex), caseless);
      }
      continue;
    }
    if (spec.extend == Extend::CapitalisedPair) {
      impl->pair_rows.push_back(id);
      continue;
    }
    if (spec.extend == Extend::TitleAnchor) {
      impl->title_rows.push_back(id);
      continue;
    }
    if (spec.extend == Extend::ClosingAnchor) {
      impl->closing_rows.push_back(id);
      continue;
    }
    if (spec.extend == Extend::Rescan) {
      hs_database_t* rescan = nullptr;
      hs_compile_error_t* error = nullptr;
      if (hs_compile(std::string(spec.regex).c_str(), HS_FLAG_SOM_LEFTMOST | caseless,
                     HS_MODE_BLOCK, nullptr, &rescan, &error) != HS_SUCCESS) {
        return makeError(Errc::Internal,
                         "detector database cannot be compiled: " + compileMessage(error));
      }
      impl->rescan_dbs.push_back(rescan);
      impl->metas.back().rescan = rescan;
      add(std::string(spec.regex), caseless);
      continue;
    }
    if (!spec.caseless &&
        ((spec.extend == Extend::None && impl->token_runs.add(id, spec.regex)) ||
         (spec.extend == Extend::Hostname && impl->tld.add(id, spec.regex)) ||
         (spec.extend == Extend::EmailLocal && impl->email.add(id, spec.regex)))) {
      continue;
    }
    // A row that starts with a literal is nearly free in Hyperscan (its literal matcher finds
    // the few places to look at); DigitRows' kMaxDigitRows rows are kept for the others.
    constexpr std::size_t kLiteralEnough = 2;
    if (spec.extend == Extend::None &&
        (spec.caseless || literalPrefixLength(spec.regex) < kLiteralEnough)) {
      const EdgeSet start_ok = edgesOk(meta, true);
      const EdgeSet end_ok = edgesOk(meta, false);
      const auto same = std::find_if(shaped_rows.begin(), shaped_rows.end(), [&](const auto& row) {
        return row.regex == spec.regex && row.caseless == spec.caseless &&
               row.start_ok == start_ok && row.end_ok == end_ok;
      });
      if (same != shaped_rows.end()) {
        impl->next_sharing.resize(impl->metas.size(), kNoRow);
        std::uint32_t last = same->id;
        while (impl->next_sharing[last] != kNoRow) {
          last = impl->next_sharing[last];
        }
        impl->next_sharing[last] = id;
        continue;
      }
      if (impl->shaped.add(id, spec.regex, spec.caseless, start_ok, end_ok) ||
          (!impl->shaped.hasRoom() &&
           impl->more_shaped.add(id, spec.regex, spec.caseless, start_ok, end_ok))) {
        shaped_rows.push_back(ShapedRow{spec.regex, spec.caseless, start_ok, end_ok, id});
        continue;
      }
    }
    if (spec.extend == Extend::None &&
        impl->colon_shaped.add(id, spec.regex, spec.caseless, edgesOk(meta, true),
                               edgesOk(meta, false))) {
      continue;
    }
    add(std::string(spec.regex), HS_FLAG_SOM_LEFTMOST | caseless);
  }

  for (const config::CustomEntity& entity : custom) {
    const std::uint32_t type_index = impl->typeIndex(entity.policy.type);
    for (const std::string& word : entity.words) {
      if (word.empty()) {
        continue;
      }
      PatternMeta meta;
      meta.type_index = type_index;
      meta.custom_word = true;
      impl->metas.push_back(meta);
      add(escapeLiteral(word), HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS);
    }
    if (!entity.regex.empty()) {
      // Compiled alone first so a failure names its entity.
      hs_database_t* probe = nullptr;
      hs_compile_error_t* error = nullptr;
      if (hs_compile(entity.regex.c_str(), HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, nullptr, &probe,
                     &error) != HS_SUCCESS) {
        return makeError(Errc::BadRequest,
                         "custom_entities." + entity.policy.type +
                             ".regex cannot be compiled: " + compileMessage(error));
      }
      hs_free_database(probe);
      PatternMeta meta;
      meta.type_index = type_index;
      impl->metas.push_back(meta);
      add(entity.regex, HS_FLAG_SOM_LEFTMOST);
    }
  }
  impl->next_sharing.resize(impl->metas.size(), kNoRow); // every id has its entry

  std::vector<const char*> pointers;
  pointers.reserve(expressions.size());
  for (const std::string& expression : expressions) {
    pointers.push_back(expression.c_str());
  }
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                       static_cast<unsigned int>(pointers.size()), HS_MODE_BLOCK, nullptr,
                       &impl->db, &error) != HS_SUCCESS) {
    const int index = error != nullptr ? error->expression : -1;
    std::string what = "detector database cannot be compiled";
    const std::size_t builtin_count = builtinPatterns().size();
    if (index >= 0 && static_cast<std::size_t>(index) < ids.size() &&
        ids[static_cast<std::size_t>(index)] >= builtin_count) {
      const PatternMeta& meta = impl->metas[ids[static_cast<std::size_t>(index)]];
      what = "custom_entities." + impl->types[meta.type_index] + " cannot be compiled";
      return makeError(Errc::BadRequest, what + ": " + compileMessage(error));
    }
    return makeError(Errc::Internal, what + ": " + compileMessage(error));
  }
  return ClassifierConstSharedPtr(new Classifier(std::move(impl)));
}

ScratchPtr Classifier::makeScratch() const {
  ScratchPtr scratch(new Scratch());
  if (hs_alloc_scratch(impl_->db, &scratch->hs) != HS_SUCCESS) {
    return nullptr;
  }
  for (hs_database_t* rescan : impl_->rescan_dbs) {
    if (hs_alloc_scratch(rescan, &scratch->hs) != HS_SUCCESS) {
      return nullptr;
    }
  }
  scratch->owner = impl_.get();
  return scratch;
}

const std::vector<std::string>& Classifier::types() const noexcept {
  return impl_->types;
}

Result<void> Classifier::scan(std::string_view text, Scratch& scratch,
                              std::vector<Finding>& out) const {
  if (scratch.owner != impl_.get() || scratch.hs == nullptr) {
    return makeError(Errc::Internal, "scan: scratch belongs to another classifier");
  }
  if (text.size() > std::numeric_limits<std::uint32_t>::max()) {
    return makeError(Errc::Internal, "scan: text over 4 GiB");
  }
  std::vector<Candidate>& cands = scratch.candidates;
  cands.clear();
  MatchContext ctx{impl_->metas.data(), reinterpret_cast<const unsigned char*>(text.data()),
                   text.size(), &cands};
  const hs_error_t rc = hs_scan(impl_->db, text.data(), static_cast<unsigned int>(text.size()), 0,
                                scratch.hs, onMatch, &ctx);
  if (rc != HS_SUCCESS) {
    return makeError(Errc::Internal, "scan: hyperscan error " + std::to_string(rc));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  for (Candidate& cand : cands) {
    if (cand.start == kPendingStart) {
      const PatternMeta& meta = impl_->metas[cand.id];
      const std::uint32_t start = rescanStart(meta, data, cand.end, scratch.hs);
      cand.start = start != kPendingStart && leftOk(meta, data, start) ? start : cand.end;
    }
  }
  std::erase_if(cands, [](const Candidate& c) { return c.start >= c.end; });
  const std::size_t from_rows = cands.size();
  scratch.row_matches.clear();
  impl_->shaped.scan(data, text.size(), scratch.digit_work, scratch.row_matches);
  impl_->more_shaped.matchRuns(data, text.size(), scratch.digit_work, scratch.row_matches);
  impl_->colon_shaped.scan(data, text.size(), scratch.colon_work, scratch.row_matches);
  impl_->token_runs.scan(data, text.size(), scratch.row_matches);
  impl_->tld.scan(data, text.size(), scratch.row_matches);
  impl_->email.scan(data, text.size(), scratch.row_matches);
  const std::vector<std::uint32_t>& next_sharing = impl_->next_sharing;
  for (const RowMatch& match : scratch.row_matches) {
    for (std::uint32_t id = match.id; id != kNoRow; id = next_sharing[id]) {
      addMatch(ctx, id, match.start, match.end);
    }
  }
  // The name rows found by C++ passes (names.h): the two anchored on capitals in one pass.
  const auto add_anchors = [&](const std::vector<std::uint32_t>& rows,
                               const std::vector<NameAnchor>& anchors) {
    for (const std::uint32_t id : rows) {
      for (const NameAnchor& anchor : anchors) {
        addMatch(ctx, id, anchor.start, anchor.end);
      }
    }
  };
  if (!impl_->pair_rows.empty() || !impl_->title_rows.empty()) {
    scratch.capitals.clear();
    findCapitalAnchors(text, scratch.capitals);
    add_anchors(impl_->pair_rows, scratch.capitals.pairs);
    add_anchors(impl_->title_rows, scratch.capitals.titles);
  }
  if (!impl_->closing_rows.empty()) {
    scratch.closings.clear();
    findClosingAnchors(text, scratch.closings);
    add_anchors(impl_->closing_rows, scratch.closings);
  }
  const std::size_t from_runs = cands.size();
  if (!impl_->digit_rows.empty()) {
    scanDigitRuns(impl_->digit_rows, impl_->min_digit_run, scratch.digit_work.runs, cands);
  }
  // In (end, pattern) order, a longer match of the same pattern from the same start replaces the
  // shorter one when nothing came between them. (end, pattern) is a total order here: a row
  // reports each end once. Hyperscan's reports come in end order and the digit-run rows' in
  // (end, pattern) order, so only the C++ passes' reports need a real sort; then the three
  // sorted stretches are merged.
  const auto by_end = [](const Candidate& a, const Candidate& b) {
    return a.end != b.end ? a.end < b.end : a.id < b.id;
  };
  const auto hs_end = cands.begin() + static_cast<std::ptrdiff_t>(from_rows);
  const auto rows_end = cands.begin() + static_cast<std::ptrdiff_t>(from_runs);
  for (const auto& [first, last] : {std::pair{cands.begin(), hs_end}, std::pair{hs_end, rows_end},
                                    std::pair{rows_end, cands.end()}}) {
    if (!std::is_sorted(first, last, by_end)) {
      sortByEnd(std::span<Candidate>(first, last), scratch.sorted);
    }
  }
  if (!std::is_sorted(cands.begin(), cands.end(), by_end)) {
    std::vector<Candidate>& sorted = scratch.sorted;
    sorted.resize(cands.size());
    const auto mid = std::merge(cands.begin(), hs_end, hs_end, rows_end, sorted.begin(), by_end);
    std::copy(rows_end, cands.end(), mid);
    std::merge(sorted.begin(), mid, mid, sorted.end(), cands.begin(), by_end);
  }
  std::size_t merged = 0;
  for (const Candidate& cand : cands) {
    if (merged != 0 && cands[merged - 1].id == cand.id && cands[merged - 1].start == cand.start) {
      cands[merged - 1].end = cand.end;
    } else {
      cands[merged++] = cand;
    }
  }
  cands.resize(merged);

  // Validate and score; keep the survivors in place.
  std::size_t kept = 0;
  LoweredWindow lowered;
  for (Candidate cand : cands) {
    const PatternMeta& meta = impl_->metas[cand.id];
    if (!validate(meta, text, cand) || cand.end <= cand.start ||
        (meta.skip_as_line_prefix && isLinePrefix(text, cand.start, cand.end)) ||
        (meta.shy_of_codes && besideCode(text, cand.start, cand.end))) {
      continue;
    }
    float score = meta.score;
    if (meta.check == Check::Ipv4 &&
        sectionNumberLike(text.substr(cand.start, cand.end - cand.start))) {
      score -= kContextBoost;
    }
    // One digit run in ten passes Luhn: outside the issuers' ranges and lengths a card word must
    // vouch for it.
    if (meta.check == Check::CreditCard &&
        !creditCardIssuerKnown(text.substr(cand.start, cand.end - cand.start))) {
      score -= kContextBoost;
    }
    if (hasContext(lowered, text, cand.start, meta.context)) {
      score += kContextBoost;
    }
    if (hasContext(lowered, text, cand.start, meta.negative)) {
      score -= kContextBoost;
    }
    // Kept unclamped until the findings are written: when two overlapping candidates both reach
    // 1.0, the one that got there with more to spare (a specific type over a generic one) wins.
    if (score < meta.threshold) {
      continue;
    }
    cand.score = score;
    cands[kept++] = cand;
  }
  cands.resize(kept);

  // Overlaps: in clusters of transitively overlapping candidates, take the higher score, then
  // the longer span, then the earlier start, skipping any that overlap one already taken.
  std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::vector<Candidate>& accepted = scratch.accepted;
  const auto better = [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) {
      return a.score > b.score;
    }
    if (a.end - a.start != b.end - b.start) {
      return a.end - a.start > b.end - b.start;
    }
    return a.start < b.start;
  };
  const auto by_start = [](const Candidate& a, const Candidate& b) { return a.start < b.start; };
  std::size_t i = 0;
  while (i < cands.size()) {
    std::size_t j = i + 1;
    std::uint32_t cluster_end = cands[i].end;
    while (j < cands.size() && cands[j].start < cluster_end) {
      cluster_end = std::max(cluster_end, cands[j].end);
      ++j;
    }
    if (j - i == 1) {
      const Candidate& c = cands[i];
      out.push_back(Finding{impl_->types[impl_->metas[c.id].type_index], c.start, c.end,
                            std::clamp(c.score, 0.0F, 1.0F)});
      i = j;
      continue;
    }
    std::sort(cands.begin() + static_cast<std::ptrdiff_t>(i),
              cands.begin() + static_cast<std::ptrdiff_t>(j), better);
    accepted.clear();
    if (j - i > kSmallCluster) {
      acceptLarge(std::span<const Candidate>(cands).subspan(i, j - i), scratch);
      std::sort(accepted.begin(), accepted.end(), by_start);
    } else {
      for (std::size_t k = i; k < j; ++k) {
        const Candidate& c = cands[k];
        auto pos =
            std::lower_bound(accepted.begin(), accepted.end(), Candidate{0, c.end, 0, 0}, by_start);
        if (pos != accepted.begin() && std::prev(pos)->end > c.start) {
          continue;
        }
        accepted.insert(pos, c);
      }
    }
    for (const Candidate& c : accepted) {
      out.push_back(Finding{impl_->types[impl_->metas[c.id].type_index], c.start, c.end,
                            std::clamp(c.score, 0.0F, 1.0F)});
    }
    i = j;
  }
  return {};
}

std::string escapeLiteral(std::string_view word) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(word.size() * 4);
  for (const char c : word) {
    const auto byte = static_cast<unsigned char>(c);
    if (isAlnumByte(byte)) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0xFU]);
    }
  }
  return out;
}

} // namespace cordon::classify
