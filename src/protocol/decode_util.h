// What the protocol decoders (openai.cc, anthropic.cc) share: cordon's parse limits, field paths
// for error details, and null-as-absent member lookup. Internal to src/protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include "cordon/common/result.h"
#include "protocol/json_util.h"

namespace cordon::protocol::detail {

/// Nesting bound for every body cordon parses: deep enough for real JSON Schemas, shallow enough
/// that neither the parser nor a later walk can exhaust the stack.
inline constexpr std::size_t kMaxDepth = 64;
/// Stack buffer a parse starts in; larger bodies continue on the heap.
inline constexpr std::size_t kParseBufferBytes = 4096;

/// A field path, built on the stack while decoding and rendered only when an error names it.
struct Path {
  const Path* parent = nullptr;
  std::string_view key; ///< Member name; empty for an array element.
  std::size_t index = 0;
};

/// Appends `path` as "messages[2].content[0].text".
inline void renderPath(const Path* path, std::string& out) {
  if (path == nullptr) {
    return;
  }
  renderPath(path->parent, out);
  if (path->key.empty()) {
    out.push_back('[');
    out += std::to_string(path->index);
    out.push_back(']');
  } else {
    if (path->parent != nullptr) {
      out.push_back('.');
    }
    out += path->key;
  }
}

/// The member `key` of `object`, or nullptr when absent or null (JSON null means "not set").
inline const boost::json::value* member(const boost::json::object& object,
                                        std::string_view key) noexcept {
  const boost::json::value* value = object.if_contains(key);
  return (value == nullptr || value->is_null()) ? nullptr : value;
}

inline std::string toStdString(const boost::json::string& str) {
  return {str.data(), str.size()};
}

enum class ParseStatus : std::uint8_t { Ok, TooDeep, Invalid };

/// Parses JSON with cordon's limits, allocating from `storage` (the value keeps that storage).
inline boost::json::value parseJson(std::string_view text, boost::json::storage_ptr storage,
                                    ParseStatus& status) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(text, ec, std::move(storage), options);
  if (!ec) {
    status = ParseStatus::Ok;
  } else if (ec == boost::json::error::too_deep) {
    status = ParseStatus::TooDeep;
  } else {
    status = ParseStatus::Invalid;
  }
  return root;
}

/// A sampling parameter (temperature, top_p): absent, or a number read from its exact text `raw`
/// (boost::json 1.81 does not always round correctly, and a re-encoded value must read back bit
/// for bit).
inline Result<std::optional<double>> decodeSampling(const boost::json::object& root,
                                                    std::string_view raw, std::string_view key) {
  const boost::json::value* value = member(root, key);
  if (value == nullptr) {
    return std::optional<double>();
  }
  if (!value->is_number()) {
    return makeError(Errc::BadRequest, std::string(key) + " must be a number");
  }
  double parsed = 0.0;
  if (!parseJsonDouble(raw, parsed)) {
    return makeError(Errc::BadRequest, std::string(key) + " is out of range");
  }
  return std::optional<double>(parsed);
}

} // namespace cordon::protocol::detail
