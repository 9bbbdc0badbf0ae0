// `cordon simulate`: a model server for tests, demos and benchmarks (PRODUCT.md §4). Speaks the
// OpenAI Chat Completions API (the Anthropic Messages API comes with the protocol-translation
// work), answers deterministically, and injects the failures a gateway must survive.
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

enum class Mode : std::uint8_t {
  Echo, ///< "[NAME] " followed by the last user message exactly as received.
  Fixed ///< A constant answer (Options::fixed_text).
};

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; ///< 0 = any free port (see Simulator::port()).
  std::string name = "sim";
  Mode mode = Mode::Echo;
  std::string fixed_text = "This is a simulated answer.";
  std::chrono::milliseconds token_delay{0}; ///< Between streamed words.
  unsigned fail_status = 0;      ///< Answer this HTTP status (with an OpenAI error body) instead.
  unsigned fail_every = 0;       ///< With fail_status: only every Nth request fails (N, 2N, ...).
  bool hang = false;             ///< Read the request, then never answer.
  bool reset_mid_stream = false; ///< Send part of the answer, then reset the connection.
  unsigned workers = 1;
  /// Streamed text in pieces of this many bytes (rounded up to whole UTF-8 characters) instead of
  /// word by word: splits placeholders and values at every position a test asks for.
  std::size_t chunk_bytes = 0;
  /// Appends every chat request body it receives to this file, one JSON line each: what a
  /// backend was shown, for tests and the demo to check. Empty: no record.
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
  /// Requests received so far (chat completions only).
  std::uint64_t requestsSeen() const noexcept;
  /// The body of the last chat request received (compact JSON); empty before the first.
  std::string lastRequestBody() const;
  void shutdown();
  void join();

private:
  struct State;
  std::unique_ptr<State> state_;
  std::unique_ptr<http::Server> server_;
};

} // namespace cordon::simulate
