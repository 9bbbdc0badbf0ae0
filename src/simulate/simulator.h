// `cordon simulate`: a model server for tests, demos and benchmarks (PRODUCT.md §4). Speaks the
// OpenAI API (Chat Completions and Embeddings) or the Anthropic Messages API, answers
// deterministically, and injects the failures a gateway must survive.
//
// Endpoints. openai: POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models.
// anthropic: POST /v1/messages (any or no x-api-key, any anthropic-version), GET /v1/models.
// Both: GET /healthz. Errors come in the protocol's own error form.
//
// Answers. Echo mode answers "[NAME] " + the last user message's text (Anthropic: its text blocks
// joined; for a user message of tool_result blocks only, their text, so a tool round trip shows
// the result came through). When the request has tools and that text contains CALL_TOOL, the
// answer is a call of the first tool with input {"echo": TEXT} instead (OpenAI id call_sim_1,
// finish_reason tool_calls; Anthropic id toolu_sim_1, stop_reason tool_use). Embeddings are one
// unit vector per input (8 floats, or `dimensions` up to 4096) from a hash of the input.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cordon::http {
class Server;
}

namespace cordon::simulate {

enum class Protocol : std::uint8_t { OpenAi, Anthropic };

/// How a streamed answer breaks (Options::stream_fault); non-streamed answers are unaffected.
enum class StreamFault : std::uint8_t {
  None,
  /// The first content piece, then the response ends properly (last HTTP chunk) without the
  /// closing events: no finish_reason / [DONE] (OpenAI), no message_delta / message_stop
  /// (Anthropic).
  Truncate,
  /// After the first content piece, one event whose data is not JSON; the answer then goes on.
  Garbage,
  /// Status 200, the first content piece, then the protocol's in-stream error (Anthropic
  /// `event: error` with an overloaded_error; OpenAI `data: {"error":{...}}`), then the response
  /// ends.
  ErrorEvent,
  /// Anthropic: a content_block_delta before message_start (for a block never started), then the
  /// whole answer. OpenAI has no event order to break: as Garbage.
  BadOrder
};

enum class Mode : std::uint8_t {
  Echo, ///< "[NAME] " followed by the last user message exactly as received.
  Fixed ///< A constant answer (Options::fixed_text).
};

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; ///< 0 = any free port (see Simulator::port()).
  Protocol protocol = Protocol::OpenAi;
  std::string name = "sim";
  Mode mode = Mode::Echo;
  std::string fixed_text = "This is a simulated answer.";
  std::chrono::milliseconds token_delay{0}; ///< Between streamed words.
  /// Answer this HTTP status (with the protocol's error body) instead. Anthropic error types:
  /// 400 invalid_request_error, 401 authentication_error, 403 permission_error, 404
  /// not_found_error, 413 request_too_large, 429 rate_limit_error, 529 overloaded_error, others
  /// api_error.
  unsigned fail_status = 0;
  unsigned fail_every = 0;       ///< With fail_status: only every Nth request fails (N, 2N, ...).
  bool hang = false;             ///< Read the request, then never answer.
  bool reset_mid_stream = false; ///< Send part of the answer, then reset the connection.
  StreamFault stream_fault = StreamFault::None;
  unsigned workers = 1;
  /// Streamed text in pieces of this many bytes (rounded up to whole UTF-8 characters) instead of
  /// word by word: splits placeholders and values at every position a test asks for.
  std::size_t chunk_bytes = 0;
  /// Appends every request body it receives (chat, messages, embeddings) to this file, one JSON
  /// line each: what a backend was shown, for tests and the demo to check. Empty: no record.
  std::string record_path;
};

class Simulator {
public:
  explicit Simulator(Options options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// Binds and starts serving; throws std::system_error if the address cannot be bound.
  void start();
  std::uint16_t port() const noexcept;
  /// Model requests received so far (chat completions, messages, embeddings).
  std::uint64_t requestsSeen() const noexcept;
  /// The body of the last model request received (compact JSON); empty before the first.
  std::string lastRequestBody() const;
  void shutdown();
  void join();

private:
  struct State;
  std::unique_ptr<State> state_;
  std::unique_ptr<http::Server> server_;
};

} // namespace cordon::simulate
