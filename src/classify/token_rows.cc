#include "classify/token_rows.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cordon::classify {
namespace {

/// A run of at least 2 * kBlock - 1 = 31 token bytes holds a whole block of kBlock bytes at a
/// multiple of kBlock; every row's matches are longer (AWS 40, Azure 86 before its "==",
/// Discord 59).
constexpr std::size_t kBlock = 16;
constexpr std::size_t kAwsWidth = 40;
constexpr std::size_t kAzureBody = 86;
constexpr std::size_t kDiscordIdMin = 24; ///< [MNO] and 23 to 27 more
constexpr std::size_t kDiscordIdMax = 28;
constexpr std::size_t kDiscordMiddle = 6;
constexpr std::size_t kDiscordMacMin = 27;
constexpr std::size_t kDiscordMacMax = 38;

bool isAlnum(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/// [A-Za-z0-9+/]: the AWS and Azure keys.
bool isBase64(unsigned char c) noexcept {
  return isAlnum(c) || c == '+' || c == '/';
}
/// [A-Za-z0-9_-]: the parts of a Discord token.
bool isUrlSafe(unsigned char c) noexcept {
  return isAlnum(c) || c == '_' || c == '-';
}
/// Every byte of any row's match: the runs TokenRows reads.
bool isRunByte(unsigned char c) noexcept {
  return isBase64(c) || c == '_' || c == '-' || c == '.';
}

/// Bytes of the TLD row's path, [^\s<>"'`\\] (Hyperscan's \s without UCP: \t to \r and space).
bool isPathByte(unsigned char c) noexcept {
  return !((c >= '\t' && c <= '\r') || c == ' ' || c == '<' || c == '>' || c == '"' || c == '\'' ||
           c == '`' || c == '\\');
}

constexpr std::string_view kTldPrefix = R"(\.(?:)";
constexpr std::string_view kTldPath = R"((?:/[^\s<>"'`\\]*)?)";

} // namespace

bool TokenRows::add(std::uint32_t id, std::string_view regex) {
  const auto take = [&](std::string_view shape, bool& taken, std::uint32_t& slot) {
    if (regex != shape || taken) {
      return false;
    }
    taken = true;
    slot = id;
    return true;
  };
  return take(kAwsSecretKeyRegex, aws_, aws_id_) ||
         take(kAzureStorageKeyRegex, azure_, azure_id_) ||
         take(kDiscordTokenRegex, discord_, discord_id_);
}

void TokenRows::scan(const unsigned char* data, std::size_t size,
                     std::vector<RowMatch>& out) const {
  if (empty()) {
    return;
  }
#if defined(__SSE2__)
  // A block is whole when its sixteen bytes are letters, digits or one of + - . / _ : the run
  // around it is then read byte by byte, and the blocks inside it are skipped.
  const __m128i case_bit = _mm_set1_epi8(0x20);
  const __m128i letter_shift = _mm_set1_epi8(static_cast<char>(0x80 - 'a'));
  const __m128i letter_limit = _mm_set1_epi8(static_cast<char>(0x80 + 26));
  const __m128i sign_shift = _mm_set1_epi8(static_cast<char>(0x80 - '+'));
  const __m128i sign_limit = _mm_set1_epi8(static_cast<char>(0x80 + ('9' - '+' + 1)));
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i underscore = _mm_set1_epi8('_');
  std::size_t done = 0;
  for (std::size_t i = 0; i + kBlock <= size; i += kBlock) {
    if (i < done) {
      continue;
    }
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const __m128i letter =
        _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(bytes, case_bit), letter_shift), letter_limit);
    const __m128i sign = _mm_andnot_si128(
        _mm_cmpeq_epi8(bytes, comma),
        _mm_cmplt_epi8(_mm_add_epi8(bytes, sign_shift), sign_limit)); // + - . / 0-9
    const __m128i run = _mm_or_si128(_mm_or_si128(letter, sign), _mm_cmpeq_epi8(bytes, underscore));
    if (_mm_movemask_epi8(run) != 0xFFFF) {
      continue;
    }
    std::size_t from = i;
    while (from > 0 && isRunByte(data[from - 1])) {
      --from;
    }
    std::size_t to = i + kBlock;
    while (to < size && isRunByte(data[to])) {
      ++to;
    }
    scanRun(data, size, from, to, out);
    done = to;
  }
#else
  for (std::size_t i = 0; i < size;) {
    if (!isRunByte(data[i])) {
      ++i;
      continue;
    }
    std::size_t to = i;
    while (to < size && isRunByte(data[to])) {
      ++to;
    }
    if (to - i >= kBlock) {
      scanRun(data, size, i, to, out);
    }
    i = to;
  }
#endif
}

void TokenRows::scanRun(const unsigned char* data, std::size_t size, std::size_t from,
                        std::size_t to, std::vector<RowMatch>& out) const {
  const auto report = [&](std::uint32_t id, std::size_t start, std::size_t end) {
    out.push_back(RowMatch{id, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end)});
  };
  if (aws_ || azure_) {
    // Maximal runs of [A-Za-z0-9+/] (none crosses the run's ends, which are not run bytes).
    for (std::size_t a = from; a < to;) {
      if (!isBase64(data[a])) {
        ++a;
        continue;
      }
      std::size_t b = a;
      while (b < to && isBase64(data[b])) {
        ++b;
      }
      if (aws_) {
        for (std::size_t end = a + kAwsWidth; end <= b; ++end) {
          report(aws_id_, end - kAwsWidth, end);
        }
      }
      if (azure_ && b - a >= kAzureBody && b + 2 <= size && data[b] == '=' && data[b + 1] == '=') {
        report(azure_id_, b - kAzureBody, b + 2);
      }
      a = b;
    }
  }
  if (!discord_) {
    return;
  }
  // A Discord token is id '.' six '.' mac; its ends are fixed by the second '.', so each is
  // reported once, from the leftmost [MNO] that starts an id of the right length.
  const std::size_t middle_end = kDiscordMiddle + 1;
  for (std::size_t dot = from + kDiscordIdMin; dot + middle_end + 1 <= to; ++dot) {
    if (data[dot] != '.' || data[dot + middle_end] != '.') {
      continue;
    }
    bool middle = true;
    for (std::size_t k = dot + 1; k < dot + middle_end && middle; ++k) {
      middle = isUrlSafe(data[k]);
    }
    const std::size_t mac = dot + middle_end + 1;
    std::size_t mac_length = 0;
    while (middle && mac_length < kDiscordMacMax && mac + mac_length < to &&
           isUrlSafe(data[mac + mac_length])) {
      ++mac_length;
    }
    if (!middle || mac_length < kDiscordMacMin) {
      continue;
    }
    std::size_t id = dot;
    while (id > from && dot - id < kDiscordIdMax && isUrlSafe(data[id - 1])) {
      --id;
    }
    for (; id + kDiscordIdMin <= dot; ++id) {
      if (data[id] == 'M' || data[id] == 'N' || data[id] == 'O') {
        for (std::size_t end = mac + kDiscordMacMin; end <= mac + mac_length; ++end) {
          report(discord_id_, id, end);
        }
        break;
      }
    }
  }
}

bool TldRow::add(std::uint32_t id, std::string_view regex) {
  if (taken_ || regex.substr(0, kTldPrefix.size()) != kTldPrefix ||
      regex.size() < kTldPrefix.size() + kTldPath.size() ||
      regex.substr(regex.size() - kTldPath.size()) != kTldPath) {
    return false;
  }
  std::string_view list = regex.substr(kTldPrefix.size());
  list = list.substr(0, list.size() - kTldPath.size());
  if (list.empty() || list.back() != ')') {
    return false;
  }
  list.remove_suffix(1);
  std::array<std::vector<std::string>, 26> words;
  while (true) {
    const std::size_t bar = list.find('|');
    const std::string_view word = list.substr(0, bar);
    if (word.empty() ||
        !std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
      return false;
    }
    words[static_cast<std::size_t>(word.front() - 'a')].emplace_back(word);
    if (bar == std::string_view::npos) {
      break;
    }
    list.remove_prefix(bar + 1);
  }
  for (auto& group : words) {
    std::sort(group.begin(), group.end(),
              [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    group.erase(std::unique(group.begin(), group.end()), group.end());
  }
  by_first_ = std::move(words);
  id_ = id;
  taken_ = true;
  return true;
}

void TldRow::scan(const unsigned char* data, std::size_t size, std::vector<RowMatch>& out) const {
  if (!taken_) {
    return;
  }
  // Ends (covered_from, covered_to] belong to the path of an earlier '.', whose start is
  // leftmost. A later '.' inside that path reaches the same path end, so one interval is enough.
  std::size_t covered_from = 0;
  std::size_t covered_to = 0;
  const auto report = [&](std::size_t dot, std::size_t lo, std::size_t hi) { // ends [lo, hi]
    for (std::size_t end = lo; end <= hi; ++end) {
      if (end <= covered_from || end > covered_to) {
        out.push_back(
            RowMatch{id_, static_cast<std::uint32_t>(dot), static_cast<std::uint32_t>(end)});
      } else {
        end = covered_to; // skip the covered ends
      }
    }
  };
  const auto at_dot = [&](std::size_t dot) {
    const unsigned char first = dot + 1 < size ? data[dot + 1] : 0;
    if (first < 'a' || first > 'z') {
      return;
    }
    for (const std::string& word : by_first_[first - 'a']) {
      const std::size_t end = dot + 1 + word.size();
      if (end > size) {
        break;
      }
      if (std::memcmp(data + dot + 1, word.data(), word.size()) != 0) {
        continue;
      }
      report(dot, end, end);
      if (end < size && data[end] == '/') {
        std::size_t path_end = end + 1;
        while (path_end < size && isPathByte(data[path_end])) {
          ++path_end;
        }
        report(dot, end + 1, path_end);
        if (path_end > covered_to) {
          covered_from = end;
          covered_to = path_end;
        }
      }
    }
  };
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i dot = _mm_set1_epi8('.');
  for (; i + kBlock <= size; i += kBlock) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    for (auto dots = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, dot)));
         dots != 0; dots &= dots - 1) {
      at_dot(i + static_cast<std::size_t>(std::countr_zero(dots)));
    }
  }
#endif
  for (; i < size; ++i) {
    if (data[i] == '.') {
      at_dot(i);
    }
  }
}

bool EmailRow::add(std::uint32_t id, std::string_view regex) {
  if (taken_ || regex != kEmailDomainRegex) {
    return false;
  }
  id_ = id;
  taken_ = true;
  return true;
}

void EmailRow::scan(const unsigned char* data, std::size_t size, std::vector<RowMatch>& out) const {
  if (!taken_ || size == 0) { // memchr must not see an empty text's null pointer
    return;
  }
  constexpr std::size_t kLongestTld = 24;
  const auto is_letter = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  const auto* at = static_cast<const unsigned char*>(std::memchr(data, '@', size));
  while (at != nullptr) {
    const auto start = static_cast<std::size_t>(at - data);
    // Labels after the '@': every one before the last '.' must be a label of the domain (letters,
    // digits and inner '-'); a match ends wherever the text since the last '.' is 2-24 letters.
    // A label that cannot be either ends the walk: every later end would hold it.
    std::size_t labels = 0;   // completed labels
    std::size_t length = 0;   // bytes of the current label
    bool letters_only = true; // the current label so far
    bool ends_in_dash = false;
    std::size_t i = start + 1;
    for (; i < size; ++i) {
      const unsigned char c = data[i];
      if (is_letter(c) || (c >= '0' && c <= '9')) {
        ++length;
        letters_only = letters_only && is_letter(c);
        ends_in_dash = false;
        if (labels != 0 && letters_only && length >= 2 && length <= kLongestTld) {
          out.push_back(
              RowMatch{id_, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(i + 1)});
        }
      } else if (c == '-' && length != 0) {
        ++length;
        letters_only = false;
        ends_in_dash = true;
      } else if (c == '.' && length != 0 && !ends_in_dash) {
        ++labels;
        length = 0;
        letters_only = true;
      } else {
        break;
      }
    }
    at = i < size ? static_cast<const unsigned char*>(std::memchr(data + i, '@', size - i))
                  : nullptr;
  }
}

} // namespace cordon::classify
