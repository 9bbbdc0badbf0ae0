#include "simulate/wire.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simulate/simulator.h"

namespace cordon::simulate::wire {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

std::vector<std::string_view> splitWords(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < text.size() && isSpace(text[pos])) {
    ++pos;
  }
  while (pos < text.size()) {
    while (pos < text.size() && !isSpace(text[pos])) {
      ++pos;
    }
    while (pos < text.size() && isSpace(text[pos])) {
      ++pos;
    }
    words.push_back(text.substr(start, pos - start));
    start = pos;
  }
  if (start < text.size()) {
    words.push_back(text.substr(start));
  }
  return words;
}

std::vector<std::string_view> splitBytes(std::string_view text, std::size_t bytes) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + bytes);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
      ++end;
    }
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

std::uint64_t countWords(std::string_view text) {
  std::uint64_t count = 0;
  bool in_word = false;
  for (const char c : text) {
    if (isSpace(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++count;
    }
  }
  return count;
}

std::vector<std::string_view> streamPieces(const Options& options, std::string_view text) {
  return options.chunk_bytes > 0 ? splitBytes(text, options.chunk_bytes) : splitWords(text);
}

StreamEvents arrange(const StreamPlan& plan, StreamFault fault) {
  StreamEvents out;
  const auto add = [&out](const std::string& event, bool paced) {
    out.events.push_back(event);
    out.paced.push_back(paced);
  };
  if (fault == StreamFault::BadOrder && !plan.out_of_order.empty()) {
    add(plan.out_of_order, false);
  } else if (fault == StreamFault::BadOrder) {
    fault = StreamFault::Garbage;
  }
  for (const auto& event : plan.head) {
    add(event, false);
  }
  // The faults strike after the first piece, so a client has already seen part of the answer (an
  // answer with no pieces breaks right after its head).
  const std::size_t first = std::min<std::size_t>(1, plan.pieces.size());
  for (std::size_t i = 0; i < first; ++i) {
    add(plan.pieces[i], true);
  }
  switch (fault) {
  case StreamFault::Truncate:
    return out;
  case StreamFault::ErrorEvent:
    add(plan.error_event, false);
    return out;
  case StreamFault::Garbage:
    add(plan.garbage, false);
    break;
  case StreamFault::None:
  case StreamFault::BadOrder:
    break;
  }
  for (std::size_t i = first; i < plan.pieces.size(); ++i) {
    add(plan.pieces[i], true);
  }
  for (const auto& event : plan.tail) {
    add(event, false);
  }
  return out;
}

} // namespace cordon::simulate::wire
