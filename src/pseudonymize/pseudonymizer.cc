// Placeholder allocation. A value's placeholder is looked up by its normalised form, so that
// "Ann@Example.com" and "ann@example.com", or "+44 20 7946 0958" and "+442079460958", which the
// model should see as one person or one phone, share it; the map keeps the first spelling, which
// is what the answer gets back.
#include "cordon/pseudonymize/pseudonymizer.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "pseudonymize/placeholder.h"

namespace cordon::pseudonymize {
namespace {

struct StringHash {
  using is_transparent = void; // NOLINT(readability-identifier-naming): the standard's name
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

constexpr bool isDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool isLetter(char c) noexcept {
  return upper(c) >= 'A' && upper(c) <= 'Z';
}

constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Separators people and models write digit groups with; they carry no identity.
constexpr bool isDigitSeparator(char c) noexcept {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

// One '@' with something on both sides and no whitespace or control byte: the domain and, in
// practice, the local part are case-insensitive.
bool isEmailShaped(std::string_view value) noexcept {
  const std::size_t at = value.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == value.size() ||
      value.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

// Letters, digits and separators only (a leading '+' allowed), at least one digit and no more
// letters than digits: phone and card numbers, IBANs, national IDs. Names and codenames with a
// digit in them ("Apollo 11") have more letters than digits and keep exact comparison.
bool isDigitShaped(std::string_view value) noexcept {
  std::size_t digits = 0;
  std::size_t letters = 0;
  bool seen_significant = false;
  for (const char c : value) {
    if (isDigitSeparator(c)) {
      continue;
    }
    if (isDigit(c)) {
      ++digits;
    } else if (isLetter(c)) {
      ++letters;
    } else if (c != '+' || seen_significant) {
      return false;
    }
    seen_significant = true;
  }
  return digits > 0 && letters <= digits;
}

// The comparison key: a class byte, so that keys of different classes can never be equal, then
// the value in that class's canonical form.
void normalise(std::string_view value, std::string& key) {
  if (isEmailShaped(value)) {
    key.push_back('e');
    std::transform(value.begin(), value.end(), std::back_inserter(key), lower);
  } else if (isDigitShaped(value)) {
    key.push_back('d');
    for (const char c : value) {
      if (!isDigitSeparator(c)) {
        key.push_back(upper(c));
      }
    }
  } else {
    key.push_back('x');
    key.append(value);
  }
}

// Placeholder types are [A-Z0-9_]+ (config validates custom entity names that way); anything else
// is mapped into that alphabet so that restore's grammar always covers what was made.
std::string placeholderType(std::string_view type) {
  if (type.empty()) {
    return "ENTITY";
  }
  std::string out(type);
  for (char& c : out) {
    c = isNameChar(c) ? upper(c) : '_';
  }
  return out;
}

// N as cordon writes it: no sign, no leading zero, and few enough digits that a counter could
// ever get there (a longer number cannot collide with anything made).
bool parseCount(std::string_view digits, std::uint64_t& n) noexcept {
  constexpr std::size_t kMaxDigits = 18;
  if (digits.empty() || digits.size() > kMaxDigits || digits[0] == '0') {
    return false;
  }
  n = 0;
  for (const char c : digits) {
    if (!isDigit(c)) {
      return false;
    }
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

} // namespace

const std::string* PlaceholderMap::find(std::string_view placeholder) const noexcept {
  if (index_ == nullptr || placeholder.size() < 2 || placeholder.front() != '<' ||
      placeholder.back() != '>') {
    return nullptr;
  }
  const std::string_view name = placeholder.substr(1, placeholder.size() - 2);
  const auto& names = index_->names;
  const auto it = std::lower_bound(
      names.begin(), names.end(), name,
      [](const Index::Name& element, std::string_view key) { return element.name < key; });
  if (it == names.end() || it->name != name) {
    return nullptr;
  }
  return &entries_[it->entry].original;
}

std::size_t PlaceholderMap::size() const noexcept {
  return entries_.size();
}

const std::vector<PlaceholderMap::Entry>& PlaceholderMap::entries() const noexcept {
  return entries_;
}

struct Pseudonymizer::State {
  struct TypeState {
    std::uint64_t next = 1;
    std::unordered_set<std::uint64_t> reserved;
  };
  StringMap<TypeState> types;
  StringMap<std::uint32_t> by_value; // normalised key -> index into entries
  std::vector<PlaceholderMap::Entry> entries;
  std::string key; // reused for every lookup

  void reserveName(std::string_view name);
  const std::string& placeholderFor(std::string_view type, std::string_view value);
};

void Pseudonymizer::State::reserveName(std::string_view name) {
  const std::size_t underscore = name.rfind('_');
  if (underscore == std::string_view::npos || underscore == 0) {
    return;
  }
  std::uint64_t n = 0;
  if (!parseCount(name.substr(underscore + 1), n)) {
    return;
  }
  std::string type(name.substr(0, underscore));
  std::transform(type.begin(), type.end(), type.begin(), upper);
  types[std::move(type)].reserved.insert(n);
}

const std::string& Pseudonymizer::State::placeholderFor(std::string_view type,
                                                        std::string_view value) {
  key.clear();
  normalise(value, key);
  if (const auto it = by_value.find(key); it != by_value.end()) {
    return entries[it->second].placeholder;
  }
  std::string name = placeholderType(type);
  auto type_it = types.find(name);
  if (type_it == types.end()) {
    type_it = types.emplace(name, TypeState{}).first;
  }
  TypeState& state = type_it->second;
  std::uint64_t n = state.next;
  while (state.reserved.contains(n)) {
    ++n;
  }
  state.next = n + 1;
  PlaceholderMap::Entry entry;
  entry.placeholder.reserve(name.size() + 8);
  entry.placeholder.push_back('<');
  entry.placeholder.append(name);
  entry.placeholder.push_back('_');
  entry.placeholder.append(std::to_string(n));
  entry.placeholder.push_back('>');
  entry.original.assign(value);
  entry.type = std::move(name);
  by_value.emplace(key, static_cast<std::uint32_t>(entries.size()));
  entries.push_back(std::move(entry));
  return entries.back().placeholder;
}

Pseudonymizer::Pseudonymizer() : state_(std::make_unique<State>()) {}
Pseudonymizer::~Pseudonymizer() = default;
Pseudonymizer::Pseudonymizer(Pseudonymizer&&) noexcept = default;
Pseudonymizer& Pseudonymizer::operator=(Pseudonymizer&&) noexcept = default;

void Pseudonymizer::reserve(std::string_view text) {
  if (!state_) {
    state_ = std::make_unique<State>();
  }
  std::size_t pos = 0;
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    std::size_t stop = pos + 1;
    const Spelling spelling = spellingAt(text, pos, stop);
    if (spelling.end == 0) {
      pos = stop;
      continue;
    }
    state_->reserveName(spelling.name);
    pos = spelling.end;
  }
}

std::string Pseudonymizer::applyChosen(std::string_view text,
                                       std::span<const classify::Finding* const> chosen) {
  if (!state_) {
    state_ = std::make_unique<State>();
  }
  std::string out;
  out.reserve(text.size() + chosen.size() * 16);
  std::size_t cursor = 0;
  for (const classify::Finding* finding : chosen) {
    // The classifier's findings are sorted, in range and disjoint. Should one not be, it is
    // clamped rather than skipped: a skipped finding would send its bytes out as they are.
    const std::size_t start = std::max<std::size_t>(finding->start, cursor);
    const std::size_t end = std::min<std::size_t>(finding->end, text.size());
    if (start >= end) {
      continue;
    }
    out.append(text.substr(cursor, start - cursor));
    out.append(state_->placeholderFor(finding->type, text.substr(start, end - start)));
    cursor = end;
  }
  out.append(text.substr(cursor));
  return out;
}

PlaceholderMap Pseudonymizer::take() && {
  PlaceholderMap map;
  if (!state_) {
    return map;
  }
  map.entries_ = std::move(state_->entries);
  state_.reset();
  auto index = std::make_shared<PlaceholderMap::Index>();
  index->names.reserve(map.entries_.size());
  index->json_originals.reserve(map.entries_.size());
  for (std::size_t i = 0; i < map.entries_.size(); ++i) {
    const std::string& placeholder = map.entries_[i].placeholder;
    index->names.push_back(
        {placeholder.substr(1, placeholder.size() - 2), static_cast<std::uint32_t>(i)});
    std::string escaped;
    appendJsonEscaped(map.entries_[i].original, escaped);
    index->json_originals.push_back(std::move(escaped));
  }
  std::sort(index->names.begin(), index->names.end(),
            [](const PlaceholderMap::Index::Name& a, const PlaceholderMap::Index::Name& b) {
              return a.name < b.name;
            });
  map.index_ = std::move(index);
  return map;
}

} // namespace cordon::pseudonymize
