// Deny lists: every deny_words word and deny_regex regex of a config in one Hyperscan database,
// so a request's texts are scanned once however many guardrails there are. Words are literals
// (every non-alphanumeric byte escaped) of known length, so they need no start-of-match tracking;
// only regexes pay for HS_FLAG_SOM_LEFTMOST. Hyperscan has no look-behind, so the whole-word test
// of a word match is done here on the bytes around it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hs/hs.h>

#include "cordon/guard/guard.h"

namespace cordon::guard {
namespace {

struct PatternMeta {
  std::size_t guardrail = 0;
  /// Non-zero for a word: its length (the match starts that many bytes before its end).
  std::size_t word_length = 0;
};

bool isAsciiWordByte(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/// The code point whose encoding ends just before `pos` (or starts at `pos` when `forward`),
/// or -1 when the bytes there are not one well-formed sequence.
long codePointAt(std::string_view text, std::size_t pos, bool forward) noexcept {
  std::size_t begin = pos;
  if (!forward) {
    // Step back over at most three continuation bytes to the lead byte.
    std::size_t steps = 0;
    do {
      if (begin == 0) {
        return -1;
      }
      --begin;
      ++steps;
    } while ((static_cast<unsigned char>(text[begin]) & 0xC0U) == 0x80U && steps < 4);
  }
  const auto lead = static_cast<unsigned char>(text[begin]);
  std::size_t length = 0;
  unsigned long cp = 0;
  if (lead < 0x80U) {
    return lead;
  }
  if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
    cp = lead & 0x1FU;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
    cp = lead & 0x0FU;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
    cp = lead & 0x07U;
  } else {
    return -1;
  }
  if (begin + length > text.size() || (!forward && begin + length != pos)) {
    return -1;
  }
  for (std::size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(text[begin + k]);
    if ((c & 0xC0U) != 0x80U) {
      return -1;
    }
    cp = (cp << 6U) | (c & 0x3FU);
  }
  return static_cast<long>(cp);
}

/// Whether the character next to a word match continues the word. ASCII follows \b; beyond
/// ASCII, letters in any script continue a word ("über" is not a word of "drüber"), while
/// punctuation, spaces and symbols in the Latin-1, General Punctuation and CJK punctuation
/// blocks do not. Bytes that are not well-formed UTF-8 count as separators.
bool continuesWord(long cp) noexcept {
  if (cp < 0) {
    return false;
  }
  if (cp < 0x80) {
    return isAsciiWordByte(static_cast<unsigned char>(cp));
  }
  const bool latin1_symbol = cp >= 0xA0 && cp <= 0xBF;
  const bool times_divide = cp == 0xD7 || cp == 0xF7;
  const bool punctuation = cp >= 0x2000 && cp <= 0x206F;
  const bool cjk_punctuation = cp >= 0x3000 && cp <= 0x303F;
  const bool fullwidth_punctuation = cp >= 0xFF00 && cp <= 0xFF0F;
  return !(latin1_symbol || times_divide || punctuation || cjk_punctuation ||
           fullwidth_punctuation);
}

bool wholeWord(std::string_view text, std::size_t start, std::size_t end) noexcept {
  const bool left = start == 0 || !continuesWord(codePointAt(text, start, false)) ||
                    !continuesWord(codePointAt(text, start, true));
  const bool right = end >= text.size() || !continuesWord(codePointAt(text, end, true)) ||
                     !continuesWord(codePointAt(text, end, false));
  return left && right;
}

std::string compileMessage(hs_compile_error_t* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown";
  hs_free_compile_error(error);
  return message;
}

struct ScanContext {
  const PatternMeta* metas;
  std::string_view text;
  std::vector<DenyLists::Match>* out;
};

int onMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/,
            void* user) {
  auto* ctx = static_cast<ScanContext*>(user);
  const PatternMeta& meta = ctx->metas[id];
  const auto end = static_cast<std::size_t>(to);
  std::size_t start = static_cast<std::size_t>(from);
  if (meta.word_length != 0) {
    start = end - meta.word_length;
    if (!wholeWord(ctx->text, start, end)) {
      return 0;
    }
  }
  ctx->out->push_back(DenyLists::Match{meta.guardrail, Span{start, end}});
  return 0;
}

} // namespace

class DenyLists::Scratch {
public:
  hs_scratch_t* hs = nullptr;
  const void* owner = nullptr;
  std::vector<Match> raw;
};

namespace {

void destroyScratch(DenyLists::Scratch* scratch) {
  if (scratch != nullptr) {
    hs_free_scratch(scratch->hs);
    delete scratch; // NOLINT(cppcoreguidelines-owning-memory): ScratchPtr's deleter.
  }
}

} // namespace

struct DenyLists::Impl {
  hs_database_t* db = nullptr; ///< Null when the config has no deny guardrails.
  std::vector<PatternMeta> metas;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { hs_free_database(db); }
};

DenyLists::~DenyLists() = default;

Result<std::shared_ptr<const DenyLists>> DenyLists::build(const config::Config& config) {
  auto impl = std::make_unique<Impl>();
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  for (std::size_t g = 0; g < config.guardrails.size(); ++g) {
    const config::Guardrail& rail = config.guardrails[g];
    if (rail.kind == config::GuardKind::DenyWords) {
      for (const std::string& word : rail.words) {
        if (word.empty()) {
          continue;
        }
        impl->metas.push_back(PatternMeta{g, word.size()});
        expressions.push_back(classify::escapeLiteral(word));
        flags.push_back(HS_FLAG_CASELESS);
      }
    } else if (rail.kind == config::GuardKind::DenyRegex) {
      // Compiled alone first so that a failure names its guardrail.
      hs_database_t* probe = nullptr;
      hs_compile_error_t* error = nullptr;
      if (hs_compile(rail.regex.c_str(), HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, nullptr, &probe,
                     &error) != HS_SUCCESS) {
        return makeError(Errc::BadRequest,
                         "guardrails." + rail.name +
                             ".regex cannot be compiled: " + compileMessage(error));
      }
      hs_free_database(probe);
      impl->metas.push_back(PatternMeta{g, 0});
      expressions.push_back(rail.regex);
      flags.push_back(HS_FLAG_SOM_LEFTMOST);
    }
  }
  if (!expressions.empty()) {
    std::vector<const char*> pointers;
    std::vector<unsigned> ids;
    pointers.reserve(expressions.size());
    for (std::size_t i = 0; i < expressions.size(); ++i) {
      pointers.push_back(expressions[i].c_str());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(pointers.size()), HS_MODE_BLOCK, nullptr, &impl->db,
                         &error) != HS_SUCCESS) {
      const int index = error != nullptr ? error->expression : -1;
      std::string what = "deny-list database cannot be compiled";
      if (index >= 0 && static_cast<std::size_t>(index) < impl->metas.size()) {
        what = "guardrails." +
               config.guardrails[impl->metas[static_cast<std::size_t>(index)].guardrail].name +
               " cannot be compiled";
      }
      return makeError(Errc::BadRequest, what + ": " + compileMessage(error));
    }
  }
  std::shared_ptr<DenyLists> out(new DenyLists());
  out->impl_ = std::move(impl);
  return std::shared_ptr<const DenyLists>(std::move(out));
}

DenyLists::ScratchPtr DenyLists::makeScratch() const {
  ScratchPtr scratch(new Scratch(), destroyScratch);
  if (impl_->db != nullptr && hs_alloc_scratch(impl_->db, &scratch->hs) != HS_SUCCESS) {
    return {nullptr, destroyScratch};
  }
  scratch->owner = impl_.get();
  return scratch;
}

Result<void> DenyLists::scan(std::string_view text, Scratch& scratch,
                             std::vector<Match>& out) const {
  if (scratch.owner != impl_.get()) {
    return makeError(Errc::Internal, "deny lists: scratch belongs to another matcher");
  }
  if (impl_->db == nullptr || text.empty()) {
    return {};
  }
  if (text.size() > std::numeric_limits<unsigned int>::max()) {
    return makeError(Errc::Internal, "deny lists: text over 4 GiB");
  }
  std::vector<Match>& raw = scratch.raw;
  raw.clear();
  ScanContext ctx{impl_->metas.data(), text, &raw};
  const hs_error_t rc = hs_scan(impl_->db, text.data(), static_cast<unsigned int>(text.size()), 0,
                                scratch.hs, onMatch, &ctx);
  if (rc != HS_SUCCESS) {
    return makeError(Errc::Internal, "deny lists: hyperscan error " + std::to_string(rc));
  }
  // Hyperscan reports every end of a regex ("secret\w*" ends after each letter); per guardrail,
  // overlapping matches are one span.
  std::sort(raw.begin(), raw.end(), [](const Match& a, const Match& b) {
    if (a.guardrail != b.guardrail) {
      return a.guardrail < b.guardrail;
    }
    return a.span.start != b.span.start ? a.span.start < b.span.start : a.span.end < b.span.end;
  });
  const std::size_t first = out.size();
  for (const Match& m : raw) {
    if (out.size() > first && out.back().guardrail == m.guardrail &&
        m.span.start < out.back().span.end) {
      out.back().span.end = std::max(out.back().span.end, m.span.end);
    } else {
      out.push_back(m);
    }
  }
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                   [](const Match& a, const Match& b) { return a.span.start < b.span.start; });
  return {};
}

} // namespace cordon::guard
