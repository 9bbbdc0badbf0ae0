// Decodes arbitrary bytes as an OpenAI chat request; whatever decodes must survive
// encode -> decode, and re-encoding the result must give the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cordon/protocol/openai.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cordon::protocol::decodeOpenAiChatRequest;
  using cordon::protocol::encodeOpenAiChatRequest;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto first = decodeOpenAiChatRequest(body);
  if (!first) {
    return 0;
  }
  const std::string encoded = encodeOpenAiChatRequest(*first, first->model);
  const auto second = decodeOpenAiChatRequest(encoded);
  if (!second) {
    std::abort(); // cordon produced a body it cannot read back
  }
  if (encodeOpenAiChatRequest(*second, second->model) != encoded) {
    std::abort(); // the round trip lost or changed something
  }
  return 0;
}
