// One Hyperscan block-mode database for every candidate pattern (built-in table + custom
// entities), compiled with SOM_LEFTMOST so each match carries its start. The match callback only
// records candidates (after the cheap whole-token checks); validators, context words, thresholds
// and overlap resolution run afterwards on that short list.
#include "cordon/classify/classifier.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <hs/hs.h>

#include "classify/names.h"
#include "classify/patterns.h"
#include "classify/validators.h"

namespace cordon::classify {
namespace {

struct PatternMeta {
  std::uint32_t type_index = 0;
  Check check = Check::None;
  Validator valid = nullptr;
  bool skip_as_line_prefix = false;
  Boundary boundary = Boundary::None;
  bool custom_word = false;
  Extend extend = Extend::None;
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
    return from;
  case Extend::Digits:
    start = to;
    limit = 20;
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

int onMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/,
            void* user) {
  auto* ctx = static_cast<MatchContext*>(user);
  const PatternMeta& meta = ctx->metas[id];
  // An IBAN match is only its first eight characters; its end is decided in growIban.
  if (meta.check != Check::Iban && !rightOk(meta, ctx->data, ctx->size, to)) {
    return 0;
  }
  from = findStart(meta.extend, ctx->data, from, to);
  if (from >= to || !leftOk(meta, ctx->data, from)) {
    return 0;
  }
  const auto start = static_cast<std::uint32_t>(from);
  const auto end = static_cast<std::uint32_t>(to);
  std::vector<Candidate>& out = *ctx->out;
  // Matches arrive in end order: a longer match of the same pattern from the same start
  // replaces the shorter one.
  if (!out.empty() && out.back().id == id && out.back().start == start) {
    out.back().end = end;
    return 0;
  }
  out.push_back(Candidate{id, start, end, 0});
  return 0;
}

/// True when one of the '|'-separated lower-case `words` starts a word within the window before
/// `start`.
bool hasContext(std::string_view text, std::uint32_t start, std::string_view words) noexcept {
  if (words.empty() || start == 0) {
    return false;
  }
  std::array<char, kContextWindow> buf{};
  const std::size_t from = start > kContextWindow ? start - kContextWindow : 0;
  const std::size_t n = start - from;
  for (std::size_t i = 0; i < n; ++i) {
    buf[i] = lowerByte(text[from + i]);
  }
  const std::string_view window(buf.data(), n);
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
  case Check::Name:
    return refineName(text, cand.start, cand.end);
  }
  return false;
}

/// Hyperscan pattern text matching `word` literally (every non-alphanumeric byte hex-escaped).
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

std::string compileMessage(hs_compile_error_t* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown";
  hs_free_compile_error(error);
  return message;
}

} // namespace

class Scratch {
public:
  hs_scratch_t* hs = nullptr;
  const void* owner = nullptr;
  std::vector<Candidate> candidates;
  std::vector<Candidate> accepted;
};

void ScratchDeleter::operator()(Scratch* scratch) const noexcept {
  if (scratch != nullptr) {
    hs_free_scratch(scratch->hs);
    delete scratch; // NOLINT(cppcoreguidelines-owning-memory): ScratchPtr's deleter.
  }
}

struct Classifier::Impl {
  hs_database_t* db = nullptr;
  std::vector<std::string> types;
  std::vector<PatternMeta> metas;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { hs_free_database(db); }

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

  for (const PatternSpec& spec : builtinPatterns()) {
    PatternMeta meta;
    meta.type_index = impl->typeIndex(spec.type);
    meta.check = spec.check;
    meta.valid = spec.valid;
    meta.skip_as_line_prefix = spec.skip_as_line_prefix;
    meta.boundary = spec.boundary;
    meta.score = spec.score;
    meta.threshold = spec.threshold;
    meta.context = spec.context;
    meta.negative = spec.negative;
    meta.extend = spec.extend;
    impl->metas.push_back(meta);
    expressions.emplace_back(spec.regex);
    const unsigned int som = spec.extend == Extend::Digits ? 0U : HS_FLAG_SOM_LEFTMOST;
    flags.push_back(som | (spec.caseless ? HS_FLAG_CASELESS : 0U));
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
      expressions.push_back(escapeLiteral(word));
      flags.push_back(HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS);
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
      expressions.push_back(entity.regex);
      flags.push_back(HS_FLAG_SOM_LEFTMOST);
    }
  }

  std::vector<const char*> pointers;
  std::vector<unsigned int> ids;
  pointers.reserve(expressions.size());
  ids.reserve(expressions.size());
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    pointers.push_back(expressions[i].c_str());
    ids.push_back(static_cast<unsigned int>(i));
  }
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                       static_cast<unsigned int>(pointers.size()), HS_MODE_BLOCK, nullptr,
                       &impl->db, &error) != HS_SUCCESS) {
    const int index = error != nullptr ? error->expression : -1;
    std::string what = "detector database cannot be compiled";
    const std::size_t builtin_count = builtinPatterns().size();
    if (index >= 0 && static_cast<std::size_t>(index) >= builtin_count) {
      const PatternMeta& meta = impl->metas[static_cast<std::size_t>(index)];
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

  // Validate and score; keep the survivors in place.
  std::size_t kept = 0;
  for (Candidate cand : cands) {
    const PatternMeta& meta = impl_->metas[cand.id];
    if (!validate(meta, text, cand) || cand.end <= cand.start ||
        (meta.skip_as_line_prefix && isLinePrefix(text, cand.start, cand.end))) {
      continue;
    }
    float score = meta.score;
    if (meta.check == Check::Ipv4 &&
        sectionNumberLike(text.substr(cand.start, cand.end - cand.start))) {
      score -= kContextBoost;
    }
    if (hasContext(text, cand.start, meta.context)) {
      score += kContextBoost;
    }
    if (hasContext(text, cand.start, meta.negative)) {
      score -= kContextBoost;
    }
    score = std::clamp(score, 0.0F, 1.0F);
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
      out.push_back(Finding{impl_->types[impl_->metas[c.id].type_index], c.start, c.end, c.score});
      i = j;
      continue;
    }
    std::sort(cands.begin() + static_cast<std::ptrdiff_t>(i),
              cands.begin() + static_cast<std::ptrdiff_t>(j), better);
    accepted.clear();
    for (std::size_t k = i; k < j; ++k) {
      const Candidate& c = cands[k];
      auto pos =
          std::lower_bound(accepted.begin(), accepted.end(), Candidate{0, c.end, 0, 0}, by_start);
      if (pos != accepted.begin() && std::prev(pos)->end > c.start) {
        continue;
      }
      accepted.insert(pos, c);
    }
    for (const Candidate& c : accepted) {
      out.push_back(Finding{impl_->types[impl_->metas[c.id].type_index], c.start, c.end, c.score});
    }
    i = j;
  }
  return {};
}

} // namespace cordon::classify
