// Decodes arbitrary bytes as an Anthropic Messages request; whatever decodes must survive
// encode -> decode for an Anthropic backend (and re-encode to the same bytes), and must encode
// for an OpenAI backend as JSON the OpenAI decoder reads back when checkTranslatable lets it
// through. The same bytes are fed to the stream decoder as the data of every event type.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/protocol/anthropic.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/translate.h"

namespace {

using namespace cordon::protocol; // NOLINT(google-build-using-namespace): a fuzz entry point

void fuzzStream(std::string_view bytes) {
  constexpr std::array<std::string_view, 8> kEvents = {"message_start",
                                                       "content_block_start",
                                                       "content_block_delta",
                                                       "content_block_stop",
                                                       "message_delta",
                                                       "message_stop",
                                                       "ping",
                                                       "error"};
  const SseEvent start{"message_start",
                       R"({"type":"message_start","message":{"id":"m","model":"x","usage":{}}})"};
  const SseEvent block{
      "content_block_start",
      R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}})"};
  for (const std::string_view name : kEvents) {
    AnthropicStreamDecoder decoder;
    AnthropicStreamEncoder encoder;
    std::vector<ChatChunk> chunks;
    std::vector<SseEvent> events;
    for (const SseEvent& event : {start, block, SseEvent{std::string(name), std::string(bytes)}}) {
      if (!decoder.feed(event, chunks)) {
        break;
      }
    }
    for (const ChatChunk& chunk : chunks) {
      encoder.encode(chunk, events);
    }
    encoder.finish(events);
  }
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  fuzzStream(body);
  const auto first = decodeAnthropicMessagesRequest(body);
  if (!first) {
    return 0;
  }
  const std::string encoded = encodeAnthropicMessagesRequest(*first, first->model, 1024);
  const auto second = decodeAnthropicMessagesRequest(encoded);
  if (!second) {
    std::abort(); // cordon produced a body it cannot read back
  }
  if (encodeAnthropicMessagesRequest(*second, second->model, 1024) != encoded) {
    std::abort(); // the round trip lost or changed something
  }
  if (checkTranslatable(*first, Wire::OpenAi)) {
    const std::string openai = encodeOpenAiChatRequest(*first, first->model);
    if (!decodeOpenAiChatRequest(openai)) {
      std::abort(); // the translation is not a request the OpenAI side accepts
    }
  }
  return 0;
}
