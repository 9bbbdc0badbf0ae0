#include "protocol/json_util.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace cordon::protocol::detail {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

/// Bytes copied into a JSON string as they are: printable ASCII other than '"' and '\\'.
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0x20; c < 0x80; ++c) {
    table[c] = c != '"' && c != '\\';
  }
  return table;
}();

/// Length of the well-formed UTF-8 sequence starting with the byte at `text[pos]` (>= 0x80), or
/// 0 when it is not well formed (overlong forms, surrogates and values past U+10FFFF included).
std::size_t utf8SequenceLength(std::string_view text, std::size_t pos) noexcept {
  const auto byte_at = [text](std::size_t index) {
    return static_cast<unsigned char>(text[index]);
  };
  const unsigned char lead = byte_at(pos);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3;
    low = 0xA0;
  } else if (lead == 0xED) {
    length = 3;
    high = 0x9F;
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    length = 3;
  } else if (lead == 0xF0) {
    length = 4;
    low = 0x90;
  } else if (lead == 0xF4) {
    length = 4;
    high = 0x8F;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else {
    return 0;
  }
  if (text.size() - pos < length) {
    return 0;
  }
  const unsigned char second = byte_at(pos + 1);
  if (second < low || second > high) {
    return 0;
  }
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte_at(pos + k) & 0xC0U) != 0x80U) {
      return 0;
    }
  }
  return length;
}

bool isJsonSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool endsScalar(char c) noexcept {
  return c == ',' || c == '}' || c == ']' || isJsonSpace(c);
}

} // namespace

void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (kPlainByte[c]) {
      ++pos;
      continue;
    }
    if (c >= 0x80U) {
      const std::size_t length = utf8SequenceLength(s, pos);
      if (length != 0) {
        pos += length;
        continue;
      }
    }
    out.append(s.data() + run_start, pos - run_start);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (c < 0x20U) {
        out += "\\u00";
        out.push_back(kHexDigits[c >> 4U]);
        out.push_back(kHexDigits[c & 0x0FU]);
      } else {
        out += kReplacementChar;
      }
      break;
    }
    ++pos;
    run_start = pos;
  }
  out.append(s.data() + run_start, s.size() - run_start);
  out.push_back('"');
}

void appendJsonDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void appendJsonInt(std::string& out, std::int64_t value) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

bool parseJsonDouble(std::string_view text, double& value) {
  double parsed = 0.0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, parsed);
  if (result.ec != std::errc() || result.ptr != end || !std::isfinite(parsed)) {
    return false;
  }
  value = parsed;
  return true;
}

std::size_t skipJsonSpace(std::string_view text, std::size_t pos) noexcept {
  while (pos < text.size() && isJsonSpace(text[pos])) {
    ++pos;
  }
  return pos;
}

std::size_t skipJsonString(std::string_view text, std::size_t pos) noexcept {
  const std::size_t open = pos;
  ++pos; // the opening quote
  while (pos < text.size()) {
    // memchr is vectorised; a quote is escaped when an odd run of backslashes precedes it.
    const void* found = std::memchr(text.data() + pos, '"', text.size() - pos);
    if (found == nullptr) {
      return std::string_view::npos;
    }
    const auto quote = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
    std::size_t backslashes = 0;
    while (quote - backslashes - 1 > open && text[quote - backslashes - 1] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 0) {
      return quote + 1;
    }
    pos = quote + 1;
  }
  return std::string_view::npos;
}

std::string_view rawValueAt(std::string_view text, std::size_t pos) {
  const std::size_t start = pos;
  std::size_t depth = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '"') {
      pos = skipJsonString(text, pos);
      if (pos == std::string_view::npos) {
        return {};
      }
    } else if (c == '{' || c == '[') {
      ++depth;
      ++pos;
    } else if (c == '}' || c == ']') {
      if (depth == 0) {
        return {};
      }
      --depth;
      ++pos;
    } else if (depth == 0) {
      while (pos < text.size() && !endsScalar(text[pos])) {
        ++pos;
      }
      return text.substr(start, pos - start);
    } else {
      ++pos;
    }
    if (depth == 0) {
      return text.substr(start, pos - start);
    }
  }
  return {};
}

std::string_view rawDocument(std::string_view text) {
  return rawValueAt(text, skipJsonSpace(text, 0));
}

std::string decodeRawKey(std::string_view raw_key) {
  if (raw_key.find('\\') == std::string_view::npos) {
    return std::string(raw_key);
  }
  std::string quoted;
  quoted.reserve(raw_key.size() + 2);
  quoted.push_back('"');
  quoted.append(raw_key);
  quoted.push_back('"');
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(quoted, ec);
  if (ec) {
    return {};
  }
  if (const auto* str = parsed.if_string()) {
    return std::string(str->data(), str->size());
  }
  return {};
}

bool rawKeyEquals(std::string_view raw_key, std::string_view name) {
  if (raw_key.find('\\') == std::string_view::npos) {
    return raw_key == name;
  }
  return decodeRawKey(raw_key) == name;
}

std::string_view findRawMember(std::string_view object, std::string_view name) {
  std::string_view found;
  forEachRawMember(object, [&](const RawMember& member) {
    if (rawKeyEquals(member.raw_key, name)) {
      found = member.value;
    }
  });
  return found;
}

} // namespace cordon::protocol::detail
