// SseParser::feed over a realistic OpenAI stream: ~200 chat.completion.chunk events (one word
// each, as a model streams them), then [DONE], arriving in network-sized pieces.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "cordon/protocol/sse.h"

namespace {

constexpr int kWords = 200;

std::string openAiStream() {
  const std::string_view words[] = {"The ", "statement ", "shows ", "two ",    "charges ",
                                    "for ", "the ",       "same ",  "period ", "because "};
  std::string stream;
  for (int i = 0; i < kWords; ++i) {
    stream += R"(data: {"id":"chatcmpl-bench0001","object":"chat.completion.chunk",)"
              R"("created":1730000000,"model":"llama-3.1-8b-instruct","choices":[{"index":0,)"
              R"("delta":{"content":")";
    stream += words[static_cast<std::size_t>(i) % std::size(words)];
    stream += R"("},"finish_reason":null}]})";
    stream += "\n\n";
  }
  stream += "data: [DONE]\n\n";
  return stream;
}

/// Feeds the whole stream in pieces of state.range(0) bytes.
void bmSseParserFeed(benchmark::State& state) {
  const std::string stream = openAiStream();
  const auto piece = static_cast<std::size_t>(state.range(0));
  std::vector<cordon::protocol::SseEvent> events;
  events.reserve(kWords + 1);
  for (auto _ : state) {
    cordon::protocol::SseParser parser;
    events.clear();
    for (std::size_t pos = 0; pos < stream.size(); pos += piece) {
      const std::size_t len = std::min(piece, stream.size() - pos);
      if (!parser.feed(std::string_view(stream).substr(pos, len), events)) {
        state.SkipWithError("feed failed");
        return;
      }
    }
    if (events.size() != kWords + 1) {
      state.SkipWithError("wrong event count");
      return;
    }
    benchmark::DoNotOptimize(events.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * (kWords + 1));
}
BENCHMARK(bmSseParserFeed)->Arg(64)->Arg(1460)->Arg(16384);

} // namespace
