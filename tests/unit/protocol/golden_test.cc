// Translation golden files: one JSON file per case under tests/data/translation/<front>_to_<back>/.
// The directory names the front door and the backend; the file's members name the case:
//   {"input": front request, "expect": backend request}
//   {"input": front request, "expect_error": "substring of the 400 detail"}
//   {"backend_response": ..., "expect_front": ...}
//   {"backend_events": [{"event":..,"data":..}], "expect_events": [...]}
// Bodies are compared as parsed JSON, so the files can be laid out for reading.
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "cordon/protocol/anthropic.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/translate.h"

namespace cordon::protocol {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::int64_t kDefaultMaxTokens = 4096;

std::optional<Wire> wireOf(std::string_view name) {
  if (name == "openai") {
    return Wire::OpenAi;
  }
  if (name == "anthropic") {
    return Wire::Anthropic;
  }
  return std::nullopt;
}

struct Direction {
  Wire front;
  Wire back;
};

std::optional<Direction> directionOf(const std::string& directory) {
  const std::size_t split = directory.find("_to_");
  if (split == std::string::npos) {
    return std::nullopt;
  }
  const auto front = wireOf(std::string_view(directory).substr(0, split));
  const auto back = wireOf(std::string_view(directory).substr(split + 4));
  if (!front || !back) {
    return std::nullopt;
  }
  return Direction{*front, *back};
}

/// The front request decoded, checked and encoded for the backend; an error's detail otherwise.
Result<std::string> translateRequest(const std::string& body, Direction direction) {
  auto request = direction.front == Wire::OpenAi ? decodeOpenAiChatRequest(body)
                                                 : decodeAnthropicMessagesRequest(body);
  if (!request) {
    return request.error();
  }
  if (auto checked = checkTranslatable(*request, direction.back); !checked) {
    return checked.error();
  }
  return direction.back == Wire::OpenAi
             ? encodeOpenAiChatRequest(*request, request->model)
             : encodeAnthropicMessagesRequest(*request, request->model, kDefaultMaxTokens);
}

Result<std::string> translateResponse(const std::string& body, Direction direction) {
  auto response = direction.back == Wire::OpenAi ? decodeOpenAiChatResponse(body)
                                                 : decodeAnthropicMessagesResponse(body);
  if (!response) {
    return response.error();
  }
  return direction.front == Wire::OpenAi ? encodeOpenAiChatResponse(*response)
                                         : encodeAnthropicMessagesResponse(*response);
}

/// An event of a golden file: data is a JSON value, or a string for OpenAI's "[DONE]".
json::value eventValue(const SseEvent& event) {
  json::object object;
  if (!event.event.empty()) {
    object["event"] = event.event;
  }
  if (event.data == "[DONE]") {
    object["data"] = "[DONE]";
  } else {
    object["data"] = json::parse(event.data);
  }
  return object;
}

SseEvent toEvent(const json::value& value) {
  SseEvent event;
  const json::object& object = value.as_object();
  if (const auto* name = object.if_contains("event")) {
    event.event = std::string(name->as_string());
  }
  const json::value& data = object.at("data");
  event.data = data.is_string() ? std::string(data.as_string()) : json::serialize(data);
  return event;
}

Result<json::value> translateStream(const json::array& backend_events, Direction direction) {
  std::vector<ChatChunk> chunks;
  if (direction.back == Wire::Anthropic) {
    AnthropicStreamDecoder decoder;
    for (const json::value& value : backend_events) {
      if (auto fed = decoder.feed(toEvent(value), chunks); !fed) {
        return fed.error();
      }
    }
  } else {
    for (const json::value& value : backend_events) {
      const SseEvent event = toEvent(value);
      if (event.data == "[DONE]") {
        break;
      }
      auto chunk = decodeOpenAiChatChunk(event.data);
      if (!chunk) {
        return chunk.error();
      }
      chunks.push_back(std::move(*chunk));
    }
  }
  json::array out;
  if (direction.front == Wire::Anthropic) {
    AnthropicStreamEncoder encoder;
    std::vector<SseEvent> events;
    for (const ChatChunk& chunk : chunks) {
      encoder.encode(chunk, events);
    }
    encoder.finish(events);
    for (const SseEvent& event : events) {
      out.push_back(eventValue(event));
    }
  } else {
    for (const ChatChunk& chunk : chunks) {
      out.push_back(eventValue(SseEvent{"", encodeOpenAiChatChunk(chunk)}));
    }
    out.push_back(eventValue(SseEvent{"", "[DONE]"}));
  }
  return json::value(std::move(out));
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void runCase(const fs::path& file, Direction direction) {
  const json::value golden = json::parse(readFile(file));
  const json::object& spec = golden.as_object();
  if (const auto* input = spec.if_contains("input")) {
    const auto translated = translateRequest(json::serialize(*input), direction);
    if (const auto* expected_error = spec.if_contains("expect_error")) {
      ASSERT_FALSE(translated) << "expected a refusal, got " << *translated;
      EXPECT_NE(translated.error().detail.find(expected_error->as_string().c_str()),
                std::string::npos)
          << translated.error().detail;
      return;
    }
    ASSERT_TRUE(translated) << translated.error().detail;
    EXPECT_EQ(json::parse(*translated), spec.at("expect")) << *translated;
    return;
  }
  if (const auto* response = spec.if_contains("backend_response")) {
    const auto translated = translateResponse(json::serialize(*response), direction);
    ASSERT_TRUE(translated) << translated.error().detail;
    EXPECT_EQ(json::parse(*translated), spec.at("expect_front")) << *translated;
    return;
  }
  if (const auto* events = spec.if_contains("backend_events")) {
    const auto translated = translateStream(events->as_array(), direction);
    ASSERT_TRUE(translated) << translated.error().detail;
    EXPECT_EQ(*translated, spec.at("expect_events")) << json::serialize(*translated);
    return;
  }
  FAIL() << "a golden file needs input, backend_response or backend_events";
}

TEST(TranslationGolden, EveryCaseMatches) {
  const fs::path root = fs::path(CORDON_TEST_DATA_DIR) / "translation";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  std::size_t cases = 0;
  std::vector<Direction> seen;
  for (const auto& directory : fs::directory_iterator(root)) {
    if (!directory.is_directory()) {
      continue;
    }
    const auto direction = directionOf(directory.path().filename().string());
    ASSERT_TRUE(direction) << "unknown direction directory " << directory.path();
    for (const auto& file : fs::directory_iterator(directory.path())) {
      if (file.path().extension() != ".json") {
        continue;
      }
      SCOPED_TRACE(file.path().string());
      runCase(file.path(), *direction);
      ++cases;
    }
  }
  EXPECT_GT(cases, 0U) << "no golden files under " << root;
}

} // namespace
} // namespace cordon::protocol
