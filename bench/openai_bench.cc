// decodeOpenAiChatRequest / encodeOpenAiChatRequest on a ~2 KB request: the protocol work the
// gateway does on every chat completion before it talks to a backend.
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include "cordon/protocol/openai.h"

namespace {

/// A realistic OpenAI chat completions body of about 2 KB, the same shape as the one
/// bench/load.py sends in the load benchmark (system prompt, a few turns, sampling parameters).
std::string chatRequest2k() {
  const std::string filler =
      "Our customer reports that the monthly statement shows two charges for the same "
      "subscription period. Please check the billing history, explain the likely cause in plain "
      "words and propose the next steps for the support agent. ";
  std::string body = R"({"model":"bench","messages":[)";
  body += R"({"role":"system","content":"You are a careful support assistant for a retail bank. )"
          R"(Answer briefly, never invent account data, and escalate when unsure."},)";
  body += R"({"role":"user","content":")" + filler + filler + filler + R"("},)";
  body += R"({"role":"assistant","content":"I can help with that. Could you tell me which )"
          R"(subscription and which two dates appear on the statement?"},)";
  body += R"({"role":"user","content":")" + filler + filler + filler + filler + R"("}],)";
  body += R"("temperature":0.2,"top_p":0.95,"max_tokens":256,"user":"bench-user-0001",)";
  body += R"("stream":false})";
  return body;
}

void bmDecodeOpenAiChatRequest(benchmark::State& state) {
  const std::string body = chatRequest2k();
  for (auto _ : state) {
    auto request = cordon::protocol::decodeOpenAiChatRequest(body);
    if (!request) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
  state.SetLabel(std::to_string(body.size()) + " B");
}
BENCHMARK(bmDecodeOpenAiChatRequest);

void bmEncodeOpenAiChatRequest(benchmark::State& state) {
  const std::string body = chatRequest2k();
  auto request = cordon::protocol::decodeOpenAiChatRequest(body);
  if (!request) {
    state.SkipWithError("decode failed");
    return;
  }
  for (auto _ : state) {
    std::string out = cordon::protocol::encodeOpenAiChatRequest(*request, "llama-3.1-8b-instruct");
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
}
BENCHMARK(bmEncodeOpenAiChatRequest);

void bmDecodeEncodeRoundTrip(benchmark::State& state) {
  const std::string body = chatRequest2k();
  for (auto _ : state) {
    auto request = cordon::protocol::decodeOpenAiChatRequest(body);
    if (!request) {
      state.SkipWithError("decode failed");
      break;
    }
    std::string out = cordon::protocol::encodeOpenAiChatRequest(*request, "upstream-model");
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
}
BENCHMARK(bmDecodeEncodeRoundTrip);

} // namespace
