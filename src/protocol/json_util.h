// Small JSON helpers shared by the protocol codecs: a fast string escaper that always produces
// valid JSON, number formatting, and a raw-text scanner that finds the exact bytes of a member's
// value inside JSON that boost::json has already validated (so passthrough fields and numbers are
// forwarded exactly as the client wrote them, immune to double re-formatting drift).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cordon::protocol::detail {

/// Appends `s` as a quoted JSON string. Control characters, '"' and '\\' are escaped; invalid
/// UTF-8 bytes are replaced by U+FFFD so the output is always valid JSON.
void appendJsonString(std::string& out, std::string_view s);

/// Appends the shortest decimal form that reads back as `value`; "null" when not finite.
void appendJsonDouble(std::string& out, double value);

void appendJsonInt(std::string& out, std::int64_t value);

/// Parses a JSON number's text exactly (correctly rounded); false when out of range.
bool parseJsonDouble(std::string_view text, double& value);

/// The text of a JSON value that starts at `text[pos]` (after whitespace); empty when malformed.
std::string_view rawValueAt(std::string_view text, std::size_t pos);

/// The text of the top-level value of a JSON document (surrounding whitespace removed).
std::string_view rawDocument(std::string_view text);

/// A member of a raw JSON object: its key as written (between the quotes, escapes undecoded) and
/// the text of its value.
struct RawMember {
  std::string_view raw_key;
  std::string_view value;
};

/// Iterates the members of the raw object text `object` ("{...}"). Returns false when the text
/// is not an object. `visit` is called as visit(const RawMember&).
template <class Visit> bool forEachRawMember(std::string_view object, Visit&& visit);

/// Iterates the elements of the raw array text `array` ("[...]"); visit(std::string_view).
template <class Visit> bool forEachRawElement(std::string_view array, Visit&& visit);

/// The decoded form of a raw key (its JSON escapes resolved).
std::string decodeRawKey(std::string_view raw_key);

/// True when the raw key decodes to `name`.
bool rawKeyEquals(std::string_view raw_key, std::string_view name);

/// The text of the last member named `name` in the raw object text (JSON's last-one-wins rule,
/// as boost::json applies it); empty when absent.
std::string_view findRawMember(std::string_view object, std::string_view name);

// ------------------------------------------------------------------------------------------
// Implementation of the templates.

std::size_t skipJsonSpace(std::string_view text, std::size_t pos) noexcept;
std::size_t skipJsonString(std::string_view text, std::size_t pos) noexcept;

template <class Visit> bool forEachRawMember(std::string_view object, Visit&& visit) {
  if (object.size() < 2 || object.front() != '{') {
    return false;
  }
  std::size_t pos = skipJsonSpace(object, 1);
  if (pos < object.size() && object[pos] == '}') {
    return true;
  }
  while (pos < object.size()) {
    if (object[pos] != '"') {
      return false;
    }
    const std::size_t key_end = skipJsonString(object, pos);
    if (key_end == std::string_view::npos) {
      return false;
    }
    const std::string_view raw_key = object.substr(pos + 1, key_end - pos - 2);
    pos = skipJsonSpace(object, key_end);
    if (pos >= object.size() || object[pos] != ':') {
      return false;
    }
    pos = skipJsonSpace(object, pos + 1);
    const std::string_view value = rawValueAt(object, pos);
    if (value.empty()) {
      return false;
    }
    visit(RawMember{raw_key, value});
    pos = skipJsonSpace(object, pos + value.size());
    if (pos >= object.size()) {
      return false;
    }
    if (object[pos] == '}') {
      return true;
    }
    if (object[pos] != ',') {
      return false;
    }
    pos = skipJsonSpace(object, pos + 1);
  }
  return false;
}

template <class Visit> bool forEachRawElement(std::string_view array, Visit&& visit) {
  if (array.size() < 2 || array.front() != '[') {
    return false;
  }
  std::size_t pos = skipJsonSpace(array, 1);
  if (pos < array.size() && array[pos] == ']') {
    return true;
  }
  while (pos < array.size()) {
    const std::string_view value = rawValueAt(array, pos);
    if (value.empty()) {
      return false;
    }
    visit(value);
    pos = skipJsonSpace(array, pos + value.size());
    if (pos >= array.size()) {
      return false;
    }
    if (array[pos] == ']') {
      return true;
    }
    if (array[pos] != ',') {
      return false;
    }
    pos = skipJsonSpace(array, pos + 1);
  }
  return false;
}

} // namespace cordon::protocol::detail
