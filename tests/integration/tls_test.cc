// Listener TLS through the real binary: HTTPS with a certificate from a test CA, plain HTTP sent
// to the TLS port, client certificates (required and optional) and what they authenticate as,
// start-up refusing unusable files, and the connection limits (requests per connection, head
// size). HTTPS requests go through the curl command; certificates come from
// tests/support/test_ca.sh.
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/common/sha256.h"
#include "integration/harness.h"

namespace cordon::itest {
namespace {

/// The API key of tenant acme's key `svc`, which the test client certificate also authenticates as.
constexpr std::string_view kSvcKey = "sk-itest-svc";
constexpr std::string_view kWrongKeyMessage =
    "the API key does not belong to the client certificate's key";

/// What curl got: its exit code, and the response when one arrived.
struct CurlResult {
  int exit_code = -1;
  int status = 0; ///< 0: no HTTP response (the handshake or the connection failed).
  std::string head;
  std::string body;
  std::string errors; ///< curl's stderr.

  /// The value of response header `name` (case-insensitive), or "".
  std::string header(std::string_view name) const {
    std::istringstream lines(head);
    for (std::string line; std::getline(lines, line);) {
      const auto colon = line.find(':');
      if (colon == std::string::npos || colon != name.size()) {
        continue;
      }
      bool same = true;
      for (std::size_t i = 0; i < name.size(); ++i) {
        same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                           std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        value.erase(value.find_last_not_of("\r ") + 1);
        return value;
      }
    }
    return {};
  }
};

std::string curlBinary() {
  for (const char* candidate : {"/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"}) {
    if (std::filesystem::exists(candidate)) {
      return candidate;
    }
  }
  return {};
}

class TlsTest : public IntegrationTest {
protected:
  void SetUp() override {
    curl_ = curlBinary();
    if (curl_.empty()) {
      GTEST_SKIP() << "curl is not installed (scripts/install-deps.sh installs it)";
    }
    pki_ = dir.path() + "/pki";
    std::filesystem::create_directory(pki_);
    Process make_ca({"/bin/bash", CORDON_TEST_CA_SCRIPT, pki_});
    ASSERT_EQ(make_ca.waitExit(), 0) << make_ca.stderrText();
  }

  std::string pki(std::string_view file) const { return pki_ + "/" + std::string(file); }

  /// The standard config with one on-prem echo backend behind model `assistant`, `extra`
  /// appended (top-level keys); with `certificate_key`, tenant acme also has key `svc`, which
  /// the client certificate's CN (svc.acme.internal) and kSvcKey authenticate as.
  std::string tlsConfig(const std::string& extra, bool certificate_key = true) {
    if (backend_port_ == 0) {
      backend_port_ = startSimulator("local");
    }
    std::string yaml = config(backend("local", "onprem", backend_port_),
                              "  assistant: { targets: [local:llama] }\n");
    if (certificate_key) {
      const std::string acme = "  acme:\n    keys:\n";
      const auto at = yaml.find(acme);
      EXPECT_NE(at, std::string::npos);
      yaml.insert(at + acme.size(),
                  "      - { name: svc, client_cn: svc.acme.internal, sha256: \"" +
                      toHex(sha256(kSvcKey)) + "\" }\n");
    }
    return yaml + extra;
  }

  /// `tls:` with the test CA's server certificate, and `client` (e.g. `client_ca: …`) inside.
  std::string tlsBlock(const std::string& client = "") const {
    std::string block =
        "tls: { cert: \"" + pki("server.crt") + "\", key: \"" + pki("server.key") + "\"";
    if (!client.empty()) {
      block += ", " + client;
    }
    return block + " }\n";
  }

  std::string clientCa(std::string_view mode) const {
    return "client_ca: \"" + pki("ca.crt") + "\", client_auth: " + std::string(mode);
  }

  /// HTTPS POST of a chat completion to 127.0.0.1:port (GET `path` when `body` is empty), trusting
  /// the test CA; `key`: the API key (none when empty); `certificate`: the client certificate's
  /// base name in the pki dir ("client", "other-client"; none when empty).
  CurlResult https(std::uint16_t port, std::string_view key, std::string_view certificate,
                   const std::string& path = "/v1/chat/completions",
                   const std::string& body = chatBody("assistant", "Hello over TLS")) {
    const std::string head_file = dir.path() + "/curl-head.txt";
    std::filesystem::remove(head_file);
    std::vector<std::string> args{curl_,         "--silent",      "--show-error", "--noproxy",
                                  "*",           "--max-time",    "10",           "--cacert",
                                  pki("ca.crt"), "--dump-header", head_file};
    if (!certificate.empty()) {
      args.insert(args.end(), {"--cert", pki(std::string(certificate) + ".crt"), "--key",
                               pki(std::string(certificate) + ".key")});
    }
    if (!key.empty()) {
      args.insert(args.end(), {"--header", "Authorization: Bearer " + std::string(key)});
    }
    if (!body.empty()) {
      args.insert(args.end(),
                  {"--header", "Content-Type: application/json", "--data-binary", body});
    }
    args.push_back("https://127.0.0.1:" + std::to_string(port) + path);
    Process process(args);
    CurlResult result;
    result.exit_code = process.waitExit(20s).value_or(-1);
    result.body = process.stdoutText();
    result.errors = process.stderrText();
    std::ifstream head(head_file, std::ios::binary);
    std::ostringstream text;
    text << head.rdbuf();
    result.head = text.str();
    // "HTTP/1.1 200 OK"
    if (const auto space = result.head.find(' '); space != std::string::npos) {
      const char* first = result.head.data() + space + 1;
      std::from_chars(first, result.head.data() + result.head.size(), result.status);
    }
    return result;
  }

  /// True once a line of the gateway's stderr holds every one of `parts` (the log is read from
  /// the process by a thread, so it is waited for).
  bool logged(const std::vector<std::string>& parts) {
    const auto until = Clock::now() + 5s;
    for (;;) {
      std::istringstream lines(gatewayProcess().stderrText());
      for (std::string line; std::getline(lines, line);) {
        bool all = true;
        for (const std::string& part : parts) {
          all = all && line.find(part) != std::string::npos;
        }
        if (all) {
          return true;
        }
      }
      if (Clock::now() > until) {
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  /// Expects an OpenAI-shaped 401 whose message is `message`.
  static void expectUnauthorized(const CurlResult& result, std::string_view message) {
    EXPECT_EQ(result.exit_code, 0) << result.errors;
    EXPECT_EQ(result.status, 401) << result.head << result.body;
    EXPECT_NE(result.body.find(message), std::string::npos) << result.body;
  }

  /// Expects the TLS handshake to have failed: curl reports an error and no HTTP response came.
  static void expectRefused(const CurlResult& result) {
    EXPECT_NE(result.exit_code, 0) << result.head << result.body;
    EXPECT_EQ(result.status, 0) << result.head << result.body;
  }

  std::string curl_;
  std::string pki_;
  std::uint16_t backend_port_ = 0;
};

TEST_F(TlsTest, HttpsChatCompletionWithTheServerCertificateVerified) {
  const std::uint16_t port = startGateway(tlsConfig(tlsBlock()));
  const CurlResult answer = https(port, kAcmeKey, "");
  ASSERT_EQ(answer.exit_code, 0) << answer.errors;
  EXPECT_EQ(answer.status, 200) << answer.head << answer.body;
  EXPECT_EQ(answer.header("x-cordon-backend"), "local") << answer.head;
  EXPECT_NE(answer.body.find("[local] Hello over TLS"), std::string::npos) << answer.body;
  // Without a client CA a client certificate is not asked for: the key alone authenticates.
  EXPECT_EQ(https(port, kAcmeKey, "client").status, 200);
  expectUnauthorized(https(port, "", ""), "missing API key");
  const CurlResult health = https(port, "", "", "/healthz", "");
  EXPECT_EQ(health.status, 200) << health.errors;
}

TEST_F(TlsTest, PlainHttpToTheTlsPortEndsTheConnectionAndServingGoesOn) {
  const std::uint16_t port = startGateway(tlsConfig(tlsBlock()));
  for (int i = 0; i < 3; ++i) {
    const HttpResponse plain = httpRequest(port, "GET", "/healthz", {}, {}, 5s);
    EXPECT_EQ(plain.status, 0) << plain.body;
    EXPECT_NE(plain.failure, "timeout");
  }
  EXPECT_EQ(https(port, kAcmeKey, "").status, 200);
  EXPECT_FALSE(gatewayProcess().waitExit(0ms).has_value()) << gatewayProcess().stderrText();
}

TEST_F(TlsTest, StalledHandshakeIsCutAtTheHeaderTimeout) {
  header_ms = 1000;
  const std::uint16_t port = startGateway(tlsConfig(tlsBlock()));
  HttpConnection stalled(port);
  const auto started = Clock::now();
  ASSERT_TRUE(stalled.send(std::string_view("\x16\x03\x01", 3))); // a ClientHello's first bytes
  EXPECT_TRUE(stalled.waitClosed(5s));
  EXPECT_GE(Clock::now() - started, 900ms);
  EXPECT_EQ(https(port, kAcmeKey, "").status, 200);
}

TEST_F(TlsTest, RequiredClientCertificateAuthenticatesAsItsKey) {
  const std::uint16_t port = startGateway(tlsConfig(tlsBlock(clientCa("required"))));
  expectRefused(https(port, kAcmeKey, ""));
  expectRefused(https(port, kAcmeKey, "other-client")); // same CN, untrusted CA

  const CurlResult answer = https(port, "", "client");
  ASSERT_EQ(answer.exit_code, 0) << answer.errors;
  EXPECT_EQ(answer.status, 200) << answer.head << answer.body;
  EXPECT_TRUE(logged({R"("tenant":"acme","key":"svc")", R"("status":200)"}))
      << gatewayProcess().stderrText();
  // Every request of a kept-alive connection is the certificate's; the gateway serves on.
  EXPECT_EQ(https(port, "", "client", "/v1/models", "").status, 200);
}

TEST_F(TlsTest, OptionalClientCertificateAndApiKeys) {
  const std::uint16_t port = startGateway(tlsConfig(tlsBlock(clientCa("optional"))));
  // No certificate: API keys as usual.
  EXPECT_EQ(https(port, kAcmeKey, "").status, 200);
  expectUnauthorized(https(port, "", ""), "missing API key");
  // A certificate is the key it names; an API key sent with it must be that key.
  EXPECT_EQ(https(port, "", "client").status, 200);
  EXPECT_EQ(https(port, kSvcKey, "client").status, 200);
  expectUnauthorized(https(port, kAcmeKey, "client"), kWrongKeyMessage); // acme, other key
  expectUnauthorized(https(port, kEuKey, "client"), kWrongKeyMessage);   // other tenant
  expectUnauthorized(https(port, "sk-not-configured", "client"), kWrongKeyMessage);
  // A certificate that is sent must verify, even when none is required.
  expectRefused(https(port, kAcmeKey, "other-client"));
}

TEST_F(TlsTest, CertificateNamingNoKeyNeedsAnApiKey) {
  const std::uint16_t port =
      startGateway(tlsConfig(tlsBlock(clientCa("optional")), /*certificate_key=*/false));
  expectUnauthorized(https(port, "", "client"), "client certificate names no configured key");
  EXPECT_EQ(https(port, kAcmeKey, "client").status, 200);
  EXPECT_TRUE(logged({R"("tenant":"acme","key":"acme-bot")", R"("status":200)"}));
}

TEST_F(TlsTest, StartUpRefusesUnreadableOrMismatchedFiles) {
  struct Case {
    std::string tls;
    std::string names; ///< what the message must name
  };
  const std::string missing = dir.path() + "/no-such.crt";
  const std::vector<Case> cases{
      {"tls: { cert: \"" + missing + "\", key: \"" + pki("server.key") + "\" }\n", missing},
      {"tls: { cert: \"" + pki("server.crt") + "\", key: \"" + pki("client.key") + "\" }\n",
       pki("client.key")},
      {"tls: { cert: \"" + pki("server.crt") + "\", key: \"" + pki("ca.crt") + "\" }\n",
       pki("ca.crt")},
      {tlsBlock("client_ca: \"" + pki("server.key") + "\""), pki("server.key")},
  };
  for (const Case& c : cases) {
    const std::string path = dir.write("bad-tls.yaml", tlsConfig(c.tls));
    Process serve({cordonBinary(), "serve", "-c", path});
    const auto code = serve.waitExit(kStartTimeout);
    const std::string err = serve.stderrText();
    EXPECT_EQ(code, 1) << c.tls << err;
    EXPECT_NE(err.find(c.names), std::string::npos) << err;
    EXPECT_EQ(err.find("PRIVATE KEY"), std::string::npos) << err; // never the key itself
  }
}

TEST_F(TlsTest, KeepAliveLimitClosesTheConnectionAfterItsLastRequest) {
  const std::uint16_t port = startGateway(tlsConfig("max_keep_alive_requests: 2\n"));
  HttpConnection connection(port);
  ASSERT_TRUE(connection.send(rawRequest("GET", "/healthz", {}, {})));
  const HttpResponse first = connection.readResponse();
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.header("connection"), "close");
  ASSERT_TRUE(connection.send(rawRequest("GET", "/healthz", {}, {})));
  const HttpResponse second = connection.readResponse();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.header("connection"), "close");
  EXPECT_TRUE(connection.waitClosed(2s));
}

TEST_F(TlsTest, UnlimitedKeepAliveServesManyRequestsOnOneConnection) {
  const std::uint16_t port = startGateway(tlsConfig("max_keep_alive_requests: 0\n"));
  HttpConnection connection(port);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(connection.send(rawRequest("GET", "/healthz", {}, {})));
    const HttpResponse response = connection.readResponse();
    ASSERT_EQ(response.status, 200) << i;
    EXPECT_NE(response.header("connection"), "close") << i;
  }
}

TEST_F(TlsTest, HeadsOverMaxHeaderBytesGet431) {
  const std::uint16_t port = startGateway(tlsConfig("max_header_bytes: 2048\n"));
  const HttpResponse small =
      httpRequest(port, "GET", "/healthz", {{"x-filler", std::string(1024, 'a')}});
  EXPECT_EQ(small.status, 200);
  const HttpResponse large =
      httpRequest(port, "GET", "/healthz", {{"x-filler", std::string(3072, 'a')}});
  expectOpenAiError(large, 431);
  expectStillServes(port);
}

} // namespace
} // namespace cordon::itest
