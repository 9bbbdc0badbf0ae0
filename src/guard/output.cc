// The output side: redaction, which findings of an answer count, JSON validity, and the
// streamed-answer screen.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

#include "cordon/guard/guard.h"

namespace cordon::guard {

std::string redact(std::string_view text, std::vector<Span> spans, std::string_view label) {
  for (Span& s : spans) {
    s.end = std::min(s.end, text.size());
    s.start = std::min(s.start, s.end);
  }
  std::erase_if(spans, [](const Span& s) { return s.start == s.end; });
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.start < b.start; });
  std::string out;
  out.reserve(text.size());
  std::size_t next = 0;
  std::size_t i = 0;
  while (i < spans.size()) {
    const std::size_t start = spans[i].start;
    std::size_t end = spans[i].end;
    // Overlapping or touching spans become one label.
    while (++i < spans.size() && spans[i].start <= end) {
      end = std::max(end, spans[i].end);
    }
    out.append(text.substr(next, start - next));
    out.append(label);
    next = end;
  }
  out.append(text.substr(next));
  return out;
}

namespace {

bool watchedType(std::string_view type, const std::vector<std::string>& watched) {
  return watched.empty() || std::find(watched.begin(), watched.end(), type) != watched.end();
}

bool requestHas(std::string_view value, const std::vector<std::string>& request_values) {
  return std::find(request_values.begin(), request_values.end(), value) != request_values.end();
}

} // namespace

std::vector<classify::Finding> unseenFindings(std::string_view answer,
                                              const std::vector<classify::Finding>& findings,
                                              const std::vector<std::string>& request_values,
                                              const std::vector<std::string>& watched) {
  std::vector<classify::Finding> out;
  for (const classify::Finding& f : findings) {
    if (f.end > answer.size() || f.start >= f.end || !watchedType(f.type, watched)) {
      continue;
    }
    if (!requestHas(answer.substr(f.start, f.end - f.start), request_values)) {
      out.push_back(f);
    }
  }
  return out;
}

namespace {

/// A Boost.JSON parse handler that builds nothing: validity needs no tree, and without one
/// neither memory nor a value's recursive destruction grows with the nesting depth.
struct NullHandler {
  // NOLINTBEGIN(readability-identifier-naming): the names basic_parser reads.
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  // NOLINTEND(readability-identifier-naming)

  // NOLINTBEGIN(readability-identifier-naming,readability-convert-member-functions-to-static):
  // the names and shapes Boost.JSON's basic_parser calls.
  bool on_document_begin(boost::system::error_code& /*ec*/) { return true; }
  bool on_document_end(boost::system::error_code& /*ec*/) { return true; }
  bool on_object_begin(boost::system::error_code& /*ec*/) { return true; }
  bool on_object_end(std::size_t /*n*/, boost::system::error_code& /*ec*/) { return true; }
  bool on_array_begin(boost::system::error_code& /*ec*/) { return true; }
  bool on_array_end(std::size_t /*n*/, boost::system::error_code& /*ec*/) { return true; }
  bool on_key_part(boost::json::string_view /*s*/, std::size_t /*n*/,
                   boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_key(boost::json::string_view /*s*/, std::size_t /*n*/,
              boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_string_part(boost::json::string_view /*s*/, std::size_t /*n*/,
                      boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_string(boost::json::string_view /*s*/, std::size_t /*n*/,
                 boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_number_part(boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_int64(std::int64_t /*i*/, boost::json::string_view /*s*/,
                boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_uint64(std::uint64_t /*u*/, boost::json::string_view /*s*/,
                 boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_double(double /*d*/, boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_bool(bool /*b*/, boost::system::error_code& /*ec*/) { return true; }
  bool on_null(boost::system::error_code& /*ec*/) { return true; }
  bool on_comment_part(boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }
  bool on_comment(boost::json::string_view /*s*/, boost::system::error_code& /*ec*/) {
    return true;
  }
  // NOLINTEND(readability-identifier-naming,readability-convert-member-functions-to-static)
};

} // namespace

bool isValidJson(std::string_view text) {
  boost::json::parse_options options;
  // Strict RFC 8259 (no comments, no trailing commas); deep nesting is valid JSON, and the null
  // handler keeps it cheap.
  options.max_depth = 100000;
  boost::json::basic_parser<NullHandler> parser(options);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  // Trailing garbage stops the parser before the end of the text.
  return !ec && parser.done() && used == text.size();
}

// ---------------------------------------------------------------------------------------------
// StreamScreen

namespace {

/// Bytes of already released text put before the held text when scanning, so that a finding's
/// left boundary and context words are seen as in a whole-text scan (the classifier looks 40
/// bytes back for context words).
constexpr std::size_t kContextBytes = 64;

bool isContinuationByte(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

/// `pos` moved back to the start of the UTF-8 character it is inside. A run of continuation
/// bytes longer than a character's is not UTF-8 and is cut anywhere (so invalid input cannot
/// make the screen hold, and rescan, everything).
std::size_t characterStart(std::string_view text, std::size_t pos) noexcept {
  std::size_t k = pos;
  while (k > 0 && k < text.size() && pos - k < 3 && isContinuationByte(text[k])) {
    --k;
  }
  return k < text.size() && isContinuationByte(text[k]) ? pos : k;
}

} // namespace

StreamScreen::StreamScreen(Scan scan, std::vector<std::string> request_values,
                           std::vector<std::string> watched, config::GuardAction action,
                           std::size_t hold_bytes)
    : scan_(std::move(scan)), request_values_(std::move(request_values)),
      watched_(std::move(watched)), action_(action), hold_bytes_(hold_bytes) {}

Result<std::string> StreamScreen::push(std::string_view piece) {
  pending_.append(piece);
  if (pending_.size() <= hold_bytes_) {
    return std::string();
  }
  return release(false);
}

Result<std::string> StreamScreen::finish() {
  return release(true);
}

Result<std::string> StreamScreen::release(bool final) {
  if (pending_.empty()) {
    return std::string();
  }
  // Scan the recent released text and everything held, as one text.
  const std::string text = context_ + pending_;
  const std::size_t base = context_.size();
  auto scanned = scan_(text);
  if (!scanned) {
    return scanned.error();
  }
  // A finding that starts in the released text was judged when it was released (or is an
  // artefact of where the context window begins); only findings in the held text count.
  std::vector<classify::Finding> findings;
  for (const classify::Finding& f : *scanned) {
    if (f.start >= base) {
      findings.push_back(f);
    }
  }

  // The cut: everything but the last hold_bytes_, pulled back to the start of any finding it
  // would cut through (that finding may still grow) and to a character boundary.
  std::size_t cut = pending_.size();
  if (!final) {
    cut = pending_.size() > hold_bytes_ ? pending_.size() - hold_bytes_ : 0;
    // Both moves only go back, and each can undo the other (a character boundary inside a
    // finding, a finding across a boundary), so repeat until neither moves.
    bool moved = true;
    while (moved) {
      moved = false;
      for (const classify::Finding& f : findings) {
        if (f.start - base < cut && f.end - base > cut) {
          cut = f.start - base;
          moved = true;
        }
      }
      const std::size_t boundary = characterStart(pending_, cut);
      if (boundary != cut) {
        cut = boundary;
        moved = true;
      }
    }
  }
  if (cut == 0) {
    return std::string();
  }

  // The findings inside the released part are final: judge them.
  std::vector<classify::Finding> inside;
  for (const classify::Finding& f : findings) {
    if (f.end - base <= cut) {
      inside.push_back(f);
    }
  }
  const std::vector<classify::Finding> unseen =
      unseenFindings(text, inside, request_values_, watched_);
  for (const classify::Finding& f : unseen) {
    if (std::find(found_.begin(), found_.end(), f.type) == found_.end()) {
      found_.emplace_back(f.type);
    }
  }
  if (!unseen.empty() && action_ == config::GuardAction::Deny) {
    return makeError(Errc::PolicyViolation, "output_entities: the answer contains a " +
                                                std::string(unseen.front().type) +
                                                " the request did not");
  }

  std::string out;
  if (unseen.empty() || action_ != config::GuardAction::Redact) {
    out.assign(pending_, 0, cut);
  } else {
    std::size_t next = 0;
    for (const classify::Finding& f : unseen) {
      const std::size_t start = f.start - base;
      const std::size_t end = f.end - base;
      if (start < next) {
        continue;
      }
      out.append(pending_, next, start - next);
      out += "[REDACTED:";
      out += f.type;
      out += ']';
      next = end;
    }
    out.append(pending_, next, cut - next);
  }

  // Keep the raw tail of what was released as context for the next scan. It never begins
  // inside a finding: a scan starting mid-finding could see a different one there and miss
  // the next.
  context_.append(pending_, 0, cut);
  if (context_.size() > kContextBytes) {
    std::size_t drop = context_.size() - kContextBytes;
    for (const classify::Finding& f : *scanned) {
      if (f.start < drop && f.end > drop) {
        drop = f.start;
      }
    }
    drop = characterStart(context_, drop);
    context_.erase(0, drop);
  }
  pending_.erase(0, cut);
  return out;
}

} // namespace cordon::guard
