// Restore is a hand-written byte scanner rather than a regex: the grammar is tiny ('<', two
// optional pads, a name from the map, two optional pads, '>'), it runs on every answer fragment
// on the time-to-first-token path, and it has to stop and resume at any byte of a stream, which
// a regex engine's whole-string API cannot do. restore() is the streaming scanner fed one
// fragment, so a split stream and the whole text are restored by the same state machine.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cordon/pseudonymize/pseudonymizer.h"
#include "pseudonymize/placeholder.h"

namespace cordon::pseudonymize {

Spelling spellingAt(std::string_view text, std::size_t pos, std::size_t& end_of_scan) noexcept {
  std::size_t i = pos + 1;
  const std::size_t size = text.size();
  for (std::size_t pads = 0; i < size && isPad(text[i]) && pads < kMaxPads; ++pads) {
    ++i;
  }
  const std::size_t name_start = i;
  while (i < size && isNameChar(text[i])) {
    ++i;
  }
  const std::size_t name_end = i;
  for (std::size_t pads = 0; i < size && isPad(text[i]) && pads < kMaxPads; ++pads) {
    ++i;
  }
  if (name_end == name_start || i == size || text[i] != '>') {
    end_of_scan = i;
    return {};
  }
  return {i + 1, text.substr(name_start, name_end - name_start)};
}

void appendJsonEscaped(std::string_view value, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : value) {
    switch (c) {
    case '"':
      out.append("\\\"");
      break;
    case '\\':
      out.append("\\\\");
      break;
    case '\b':
      out.append("\\b");
      break;
    case '\f':
      out.append("\\f");
      break;
    case '\n':
      out.append("\\n");
      break;
    case '\r':
      out.append("\\r");
      break;
    case '\t':
      out.append("\\t");
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        const auto byte = static_cast<unsigned char>(c);
        out.append("\\u00");
        out.push_back(kHex[byte >> 4U]);
        out.push_back(kHex[byte & 0xFU]);
      } else {
        out.push_back(c);
      }
    }
  }
}

std::string restore(std::string_view text, const PlaceholderMap& map, Context context) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  StreamRestorer restorer(map, context);
  restorer.feed(text, out);
  restorer.finish(out);
  return out;
}

StreamRestorer::StreamRestorer(const PlaceholderMap& map, Context context)
    : map_(&map), index_(map.index_.get()), context_(context) {
  if (index_ != nullptr && index_->names.empty()) {
    index_ = nullptr;
  }
}

void StreamRestorer::feed(std::string_view fragment, std::string& out) {
  const char* data = fragment.data();
  const std::size_t size = fragment.size();
  std::size_t i = 0;
  while (i < size) {
    if (pending_.empty()) {
      const void* hit = std::memchr(data + i, '<', size - i);
      if (hit == nullptr) {
        out.append(data + i, size - i);
        return;
      }
      const auto at = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
      out.append(data + i, at - i);
      i = at + 1;
      if (index_ == nullptr) {
        out.push_back('<'); // no placeholder to wait for
      } else {
        start();
      }
      continue;
    }
    // A byte that ends the candidate is not consumed: released, it is looked at again as plain
    // text (it may be the '<' of the next candidate).
    if (step(data[i], out)) {
      ++i;
    }
  }
}

void StreamRestorer::finish(std::string& out) {
  release(out);
}

void StreamRestorer::start() {
  pending_.push_back('<');
  phase_ = Phase::LeadPad;
  pads_ = 0;
  name_length_ = 0;
  lo_ = 0;
  hi_ = static_cast<std::uint32_t>(index_->names.size());
}

void StreamRestorer::release(std::string& out) {
  out.append(pending_);
  pending_.clear();
}

bool StreamRestorer::step(char c, std::string& out) {
  const auto& names = index_->names;
  const auto restore_match = [&] {
    const std::uint32_t entry = names[lo_].entry;
    out.append(context_ == Context::JsonString ? index_->json_originals[entry]
                                               : map_->entries_[entry].original);
    pending_.clear();
    return true;
  };
  const bool whole_name = lo_ < hi_ && names[lo_].name.size() == name_length_;
  switch (phase_) {
  case Phase::LeadPad:
    if (isPad(c) && pads_ < kMaxPads) {
      ++pads_;
      pending_.push_back(c);
      return true;
    }
    if (!isNameChar(c)) {
      break;
    }
    phase_ = Phase::Name;
    [[fallthrough]];
  case Phase::Name: {
    if (isNameChar(c)) {
      // The names in [lo_, hi_) share their first name_length_ bytes and are sorted, so the
      // ones whose next byte is `key` form a sub-range (a name that ends here sorts first).
      const auto key = static_cast<unsigned char>(upper(c));
      const std::size_t at = name_length_;
      const auto below = [at, key](const PlaceholderMap::Index::Name& name) {
        return name.name.size() <= at || static_cast<unsigned char>(name.name[at]) < key;
      };
      const auto not_above = [at, key](const PlaceholderMap::Index::Name& name) {
        return name.name.size() <= at || static_cast<unsigned char>(name.name[at]) <= key;
      };
      const auto first = names.begin() + lo_;
      const auto last = names.begin() + hi_;
      const auto lo = std::partition_point(first, last, below);
      const auto hi = std::partition_point(lo, last, not_above);
      if (lo == hi) {
        break;
      }
      lo_ = static_cast<std::uint32_t>(lo - names.begin());
      hi_ = static_cast<std::uint32_t>(hi - names.begin());
      ++name_length_;
      pending_.push_back(c);
      return true;
    }
    if (!whole_name) {
      break;
    }
    if (c == '>') {
      return restore_match();
    }
    if (isPad(c)) {
      phase_ = Phase::TrailPad;
      pads_ = 1;
      pending_.push_back(c);
      return true;
    }
    break;
  }
  case Phase::TrailPad:
    if (c == '>') {
      return restore_match();
    }
    if (isPad(c) && pads_ < kMaxPads) {
      ++pads_;
      pending_.push_back(c);
      return true;
    }
    break;
  }
  release(out);
  return false;
}

} // namespace cordon::pseudonymize
