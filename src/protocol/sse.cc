#include "cordon/protocol/sse.h"

#include <string>
#include <utility>

namespace cordon::protocol {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

/// Index of the first '\r' or '\n' at or after `pos`, or npos.
std::size_t findLineEnd(std::string_view bytes, std::size_t pos) noexcept {
  for (; pos < bytes.size(); ++pos) {
    const char c = bytes[pos];
    if (c == '\n' || c == '\r') {
      return pos;
    }
  }
  return std::string_view::npos;
}

} // namespace

SseParser::SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

bool SseParser::hasPartialEvent() const noexcept {
  return !line_.empty() || pending_has_data_ || !pending_.event.empty() ||
         (at_start_ && bom_matched_ > 0);
}

Result<void> SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  const auto over_limit = [this] {
    failed_ = true;
    return makeError(Errc::UpstreamFailed,
                     "upstream event exceeds " + std::to_string(max_event_bytes_) + " bytes");
  };
  if (failed_) {
    return over_limit();
  }
  std::size_t pos = 0;
  // A UTF-8 BOM may open the stream, possibly split across feeds; anything else that starts
  // like one is ordinary line content.
  while (at_start_ && pos < bytes.size()) {
    if (bytes[pos] == kBom[bom_matched_]) {
      ++pos;
      if (++bom_matched_ == kBom.size()) {
        at_start_ = false;
        bom_matched_ = 0;
      }
    } else {
      at_start_ = false;
      line_.append(kBom.data(), bom_matched_);
      bom_matched_ = 0;
    }
  }
  while (pos < bytes.size()) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (bytes[pos] == '\n') { // the second half of a "\r\n" split across feeds
        ++pos;
        continue;
      }
    }
    const std::size_t end = findLineEnd(bytes, pos);
    const std::size_t buffered = pending_.data.size() + pending_.event.size();
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      if (line_.size() + buffered > max_event_bytes_) {
        return over_limit();
      }
      return {};
    }
    std::string_view line = bytes.substr(pos, end - pos);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    if (line.size() + buffered > max_event_bytes_) {
      return over_limit();
    }
    processLine(line, out);
    line_.clear();
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos < bytes.size()) {
        if (bytes[pos] == '\n') {
          ++pos;
        }
      } else {
        last_was_cr_ = true;
      }
    }
  }
  return {};
}

void SseParser::processLine(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (pending_has_data_) {
      out.push_back(std::move(pending_));
    }
    pending_ = SseEvent{};
    pending_has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    return; // a comment (keep-alive)
  }
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
  }
  if (field == "data") {
    if (pending_has_data_) {
      pending_.data.push_back('\n');
    }
    pending_.data.append(value);
    pending_has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  }
  // "id", "retry" and unknown fields are ignored.
}

std::string encodeSseEvent(const SseEvent& event) {
  std::string out;
  out.reserve(event.event.size() + event.data.size() + 16);
  if (!event.event.empty()) {
    out += "event: ";
    for (const char c : event.event) {
      if (c != '\r' && c != '\n') { // a line break would end the field early
        out.push_back(c);
      }
    }
    out.push_back('\n');
  }
  // Every line break in the data (\n, \r\n or \r) starts a new data line, so the framing holds.
  const std::string_view data = event.data;
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = findLineEnd(data, pos);
    out += "data: ";
    if (end == std::string_view::npos) {
      out.append(data.substr(pos));
      out.push_back('\n');
      break;
    }
    out.append(data.substr(pos, end - pos));
    out.push_back('\n');
    pos = end + 1;
    if (data[end] == '\r' && pos < data.size() && data[pos] == '\n') {
      ++pos;
    }
  }
  out.push_back('\n');
  return out;
}

} // namespace cordon::protocol
