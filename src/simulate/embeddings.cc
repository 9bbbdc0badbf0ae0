// The OpenAI Embeddings side of the simulator. The vectors mean nothing; what tests need is that
// they are stable (equal input, equal vector, across requests and runs) and differ between inputs.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cordon/common/result.h"
#include "simulate/wire.h"

namespace cordon::simulate::wire {
namespace {

namespace json = boost::json;

struct Input {
  std::string key; ///< What the vector derives from; strings and token lists never collide.
  std::uint64_t tokens = 0;
};

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

/// SplitMix64: spreads one seed over as many well-mixed numbers as there are dimensions.
std::uint64_t nextRandom(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

/// Unit length, like real embeddings, so cosine similarity of equal inputs is exactly 1. Floats,
/// because that is what the API's base64 form carries: both forms give the same numbers.
std::vector<float> embed(std::string_view key, std::size_t dimensions) {
  std::uint64_t state = fnv1a(key);
  std::vector<float> vector(dimensions);
  double norm = 0;
  for (auto& value : vector) {
    constexpr double kScale = 1.0 / 9007199254740992.0; // 2^-53
    const double unit = static_cast<double>(nextRandom(state) >> 11U) * kScale;
    value = static_cast<float>(unit * 2.0 - 1.0);
    norm += static_cast<double>(value) * value;
  }
  if (norm > 0) {
    const double scale = 1.0 / std::sqrt(norm);
    for (auto& value : vector) {
      value = static_cast<float>(value * scale);
    }
  }
  return vector;
}

std::string base64(const std::vector<float>& vector) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  // Little-endian float32s, as the API sends them (every platform cordon builds for is
  // little-endian, so the bytes are the floats' own).
  std::string bytes(vector.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), vector.data(), bytes.size());
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
    if (left > 1) {
      group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
    }
    if (left > 2) {
      group |= static_cast<unsigned char>(bytes[i + 2]);
    }
    out += kAlphabet[(group >> 18U) & 0x3FU];
    out += kAlphabet[(group >> 12U) & 0x3FU];
    out += left > 1 ? kAlphabet[(group >> 6U) & 0x3FU] : '=';
    out += left > 2 ? kAlphabet[group & 0x3FU] : '=';
  }
  return out;
}

bool isToken(const json::value& value) {
  return value.is_int64() || value.is_uint64();
}

Result<Input> tokenInput(const json::array& tokens) {
  for (const auto& token : tokens) {
    if (!isToken(token)) {
      return makeError(Errc::BadRequest, "'input' token lists must hold integers only");
    }
  }
  return Input{"t" + json::serialize(tokens), tokens.size()};
}

Result<std::vector<Input>> inputsOf(const json::value& input) {
  std::vector<Input> inputs;
  if (const auto* text = input.if_string()) {
    inputs.push_back(Input{"s" + std::string(text->data(), text->size()), countWords(*text)});
    return inputs;
  }
  const auto* list = input.if_array();
  if (list == nullptr) {
    return makeError(Errc::BadRequest, "'input' must be a string or an array");
  }
  if (list->empty()) {
    return makeError(Errc::BadRequest, "'input' must not be empty");
  }
  if (isToken(list->front())) {
    auto one = tokenInput(*list);
    if (!one) {
      return one.error();
    }
    inputs.push_back(std::move(*one));
    return inputs;
  }
  for (const auto& item : *list) {
    if (const auto* text = item.if_string()) {
      inputs.push_back(Input{"s" + std::string(text->data(), text->size()), countWords(*text)});
    } else if (const auto* tokens = item.if_array()) {
      auto one = tokenInput(*tokens);
      if (!one) {
        return one.error();
      }
      inputs.push_back(std::move(*one));
    } else {
      return makeError(Errc::BadRequest,
                       "'input' must hold strings, or integers, or arrays of integers");
    }
  }
  return inputs;
}

} // namespace

Result<std::string> embeddingsBody(const json::object& body) {
  std::string model;
  if (const auto* value = body.if_contains("model")) {
    if (!value->is_string()) {
      return makeError(Errc::BadRequest, "'model' must be a string");
    }
    model.assign(value->get_string().data(), value->get_string().size());
  }
  const auto* input = body.if_contains("input");
  if (input == nullptr) {
    return makeError(Errc::BadRequest, "'input' is a required property");
  }
  auto inputs = inputsOf(*input);
  if (!inputs) {
    return inputs.error();
  }

  std::size_t dimensions = kEmbeddingDimensions;
  if (const auto* value = body.if_contains("dimensions"); value != nullptr && !value->is_null()) {
    const auto* number = value->if_int64();
    if (number == nullptr || *number < 1 ||
        static_cast<std::uint64_t>(*number) > kMaxEmbeddingDimensions) {
      return makeError(Errc::BadRequest, "'dimensions' must be an integer from 1 to " +
                                             std::to_string(kMaxEmbeddingDimensions));
    }
    dimensions = static_cast<std::size_t>(*number);
  }
  bool as_base64 = false;
  if (const auto* value = body.if_contains("encoding_format");
      value != nullptr && !value->is_null()) {
    const auto* format = value->if_string();
    if (format == nullptr || (*format != "float" && *format != "base64")) {
      return makeError(Errc::BadRequest, "'encoding_format' must be 'float' or 'base64'");
    }
    as_base64 = *format == "base64";
  }

  json::array data;
  std::uint64_t tokens = 0;
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    const auto& one = (*inputs)[i];
    tokens += one.tokens;
    const auto vector = embed(one.key, dimensions);
    json::object item;
    item["object"] = "embedding";
    item["index"] = i;
    if (as_base64) {
      item["embedding"] = base64(vector);
    } else {
      json::array numbers;
      numbers.reserve(vector.size());
      for (const float value : vector) {
        numbers.emplace_back(static_cast<double>(value));
      }
      item["embedding"] = std::move(numbers);
    }
    data.push_back(std::move(item));
  }
  json::object usage;
  usage["prompt_tokens"] = tokens;
  usage["total_tokens"] = tokens;
  json::object answer;
  answer["object"] = "list";
  answer["data"] = std::move(data);
  answer["model"] = model;
  answer["usage"] = std::move(usage);
  return json::serialize(answer);
}

} // namespace cordon::simulate::wire
