// Integration harness: runs the real `cordon` binary (gateway and simulated backends) as child
// processes on 127.0.0.1 and talks to them over plain sockets, byte for byte.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>
#include <gtest/gtest.h>
#include <sys/types.h>

namespace cordon::itest {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::chrono::milliseconds kDefaultTimeout{10'000};
/// Start-up compiles the detector database: under the sanitizers that alone takes seconds.
inline constexpr std::chrono::milliseconds kStartTimeout{30'000};

/// The `cordon` executable under test (CORDON_BINARY, set by CMake).
std::string cordonBinary();

/// A fresh directory (mkdtemp), removed with its contents on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// Writes `content` to `name` inside the directory; returns the full path.
  std::string write(const std::string& name, std::string_view content) const;

private:
  std::string path_;
};

/// A child process with stdout and stderr captured (drained by a thread, so a chatty child never
/// blocks on a full pipe). The destructor stops it with SIGTERM (SIGKILL if it lingers).
class Process {
public:
  explicit Process(const std::vector<std::string>& args);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Waits for a stdout line `listening on HOST:PORT` and returns PORT. Throws (failing the test)
  /// on timeout or when the process exits first, with its output in the message.
  std::uint16_t waitForListening(std::chrono::milliseconds timeout = kStartTimeout);

  /// Waits for the process to exit by itself; its exit code, or 128+signal, or nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout = kDefaultTimeout);

  /// SIGTERM, then waits (SIGKILL after `timeout`); returns as waitExit.
  std::optional<int> terminate(std::chrono::milliseconds timeout = kDefaultTimeout);

  /// Sends a signal (nothing once the process was reaped).
  void signal(int number);

  std::string stdoutText() const;
  std::string stderrText() const;
  pid_t pid() const { return pid_; }

private:
  void drain();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_;
  std::string err_;
  bool eof_ = false;
};

/// One HTTP response as read off the wire.
struct HttpResponse {
  int status = 0;            ///< 0 when no response head arrived.
  Headers headers;           ///< Names lower-cased.
  std::string body;          ///< De-chunked.
  bool complete = false;     ///< The body was read to its framed end.
  std::string failure;       ///< Why not complete: "timeout", "closed", "reset", "malformed".
  Clock::duration elapsed{}; ///< From the start of the read to its end.

  std::string header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  /// The body parsed as JSON; null when it is not JSON.
  boost::json::value json() const;
};

/// A client connection to 127.0.0.1:port that can send arbitrary bytes.
class HttpConnection {
public:
  explicit HttpConnection(std::uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends bytes; false when the peer is gone.
  bool send(std::string_view bytes);
  /// Reads one response. `on_body` sees each piece of the (de-chunked) body as it arrives.
  HttpResponse readResponse(std::chrono::milliseconds timeout = kDefaultTimeout,
                            const std::function<void(std::string_view)>& on_body = {});
  /// True when the server closes the connection (EOF or reset) within `timeout`; bytes received
  /// meanwhile are kept in received().
  bool waitClosed(std::chrono::milliseconds timeout);
  const std::string& received() const { return buffer_; }

private:
  enum class Fill : std::uint8_t { Data, Eof, Reset, Timeout };
  Fill fill(Clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

/// Builds the bytes of an HTTP/1.1 request (Host and Content-Length added).
std::string rawRequest(std::string_view method, std::string_view target, const Headers& headers,
                       std::string_view body);

/// One request on a fresh connection.
HttpResponse httpRequest(std::uint16_t port, std::string_view method, std::string_view target,
                         const Headers& headers = {}, std::string_view body = {},
                         std::chrono::milliseconds timeout = kDefaultTimeout);

/// The payloads of the `data:` lines of an SSE body, in order.
std::vector<std::string> sseData(std::string_view body);
/// The concatenated choices[0].delta.content of a streamed chat completion.
std::string streamedContent(std::string_view body);

/// The JSON value at an RFC 6901 pointer, or nullptr.
const boost::json::value* at(const boost::json::value& root, std::string_view pointer);
/// The string at `pointer`, or "" when absent or not a string.
std::string str(const boost::json::value& root, std::string_view pointer);

/// A listening socket that never accepts: stands in for a backend that must never be contacted.
class Sentinel {
public:
  Sentinel();
  ~Sentinel();
  Sentinel(const Sentinel&) = delete;
  Sentinel& operator=(const Sentinel&) = delete;
  std::uint16_t port() const { return port_; }
  /// Connections the gateway opened to it so far.
  int connections();

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
};

/// A port on 127.0.0.1 that nothing listens on (connect is refused).
std::uint16_t refusedPort();

/// API keys of the standard tenants (see IntegrationTest::config()).
inline constexpr std::string_view kAcmeKey = "sk-itest-acme";         ///< no floor, any region
inline constexpr std::string_view kEuKey = "sk-itest-euco";           ///< residency eu, eu-de
inline constexpr std::string_view kSecureKey = "sk-itest-secure";     ///< tenant floor confidential
inline constexpr std::string_view kKeyFloorKey = "sk-itest-keyfloor"; ///< key floor restricted

/// Base fixture: owns the temp dir and every process a test starts.
class IntegrationTest : public ::testing::Test {
public:
  IntegrationTest() = default;
  ~IntegrationTest() override;
  IntegrationTest(const IntegrationTest&) = delete;
  IntegrationTest& operator=(const IntegrationTest&) = delete;

protected:
  /// Starts `cordon simulate --name NAME` (echo mode) plus `extra` flags; returns its port.
  std::uint16_t startSimulator(const std::string& name, const std::vector<std::string>& extra = {});
  /// Writes `yaml` and starts `cordon serve -c` on it, plus `extra` flags; returns the gateway
  /// port.
  std::uint16_t startGateway(const std::string& yaml, const std::vector<std::string>& extra = {});

  /// `NAME: { boundary: B, protocol: openai, url: "http://127.0.0.1:PORT/v1" }` as a yaml line.
  static std::string backend(const std::string& name, const std::string& boundary,
                             std::uint16_t port, const std::string& extra = "");
  /// A whole config: the standard levels, boundaries (onprem restricted/eu-de, eu-cloud
  /// confidential/eu, us-cloud internal/us) and tenants (acme, euco, secure, keyfloor), the given
  /// backend and model lines, and the timeouts below.
  std::string config(const std::string& backends, const std::string& models) const;

  /// A chat completion body with one user message.
  static std::string chatBody(std::string_view model, std::string_view text, bool stream = false,
                              std::string_view extra_fields = "");
  /// POST /v1/chat/completions with `key` as Bearer token (none when empty).
  static HttpResponse chat(std::uint16_t port, std::string_view key, const std::string& body,
                           const Headers& extra = {},
                           std::chrono::milliseconds timeout = kDefaultTimeout);
  /// Checks the OpenAI error shape and returns error.type.
  static std::string expectOpenAiError(const HttpResponse& response, int status);
  /// Sends a normal request that must succeed (the gateway survived what came before).
  static void expectStillServes(std::uint16_t port, std::string_view model = "assistant");

  /// The process started by the last startGateway().
  Process& gatewayProcess();

  // Upstream and client timeouts written by config().
  int connect_ms = 1000;
  int first_byte_ms = 3000;
  int idle_ms = 3000;
  int header_ms = 2000;
  int body_ms = 3000;
  int keep_alive_ms = 5000;
  std::size_t max_body_bytes = std::size_t{1024} * 1024U;

  TempDir dir;
  // Where config() puts the audit (every test gets its own).
  std::string audit_sink = "sqlite:" + dir.path() + "/audit.db";
  std::string audit_durability = "sync";

private:
  std::vector<std::unique_ptr<Process>> processes_;
  Process* gateway_ = nullptr;
};

} // namespace cordon::itest
