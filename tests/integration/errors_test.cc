// Bad input: every error is the OpenAI error JSON with the right status, never leaks the request's
// data, and leaves the gateway serving. Also slow clients and bad configs.
#include <string>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

constexpr std::string_view kSecret = "SECRET-4111-1111";

class ErrorsTest : public IntegrationTest {
protected:
  void SetUp() override {
    header_ms = 300;
    body_ms = 500;
    max_body_bytes = 4096;
    port = startGateway(config(backend("local", "onprem", startSimulator("local")),
                               "  assistant: { targets: [local:llama] }\n"));
  }

  /// Posts `body` with a valid key and expects an OpenAI error with `status`, no leak of kSecret,
  /// and a gateway that still serves.
  std::string expectRejected(const std::string& body, int status, const Headers& extra = {}) {
    const HttpResponse response = chat(port, kAcmeKey, body, extra);
    std::string type = expectOpenAiError(response, status);
    EXPECT_EQ(response.body.find(kSecret), std::string::npos) << "error leaks request data";
    expectStillServes(port);
    return type;
  }

  std::uint16_t port = 0;
};

TEST_F(ErrorsTest, MalformedJsonIs400) {
  expectRejected(R"({"model":"assistant","messages":[{"role":"user","content":"SECRET-4111-1111)",
                 400);
}

TEST_F(ErrorsTest, TrailingGarbageIs400) {
  expectRejected(chatBody("assistant", "x") + "SECRET-4111-1111", 400);
}

TEST_F(ErrorsTest, EmptyBodyIs400) {
  expectRejected("", 400);
}

TEST_F(ErrorsTest, MissingMessagesIs400) {
  expectRejected(R"({"model":"assistant","note":"SECRET-4111-1111"})", 400);
}

TEST_F(ErrorsTest, BodyNotAnObjectIs400) {
  expectRejected(R"(["SECRET-4111-1111"])", 400);
}

TEST_F(ErrorsTest, MessagesNotAnArrayIs400) {
  expectRejected(R"({"model":"assistant","messages":"SECRET-4111-1111"})", 400);
}

TEST_F(ErrorsTest, ModelNotAStringIs400) {
  expectRejected(R"({"model":42,"messages":[{"role":"user","content":"SECRET-4111-1111"}]})", 400);
}

TEST_F(ErrorsTest, ContentOfWrongTypeIs400) {
  expectRejected(R"({"model":"assistant","messages":[{"role":"user","content":42}]})", 400);
}

TEST_F(ErrorsTest, StreamOfWrongTypeIs400) {
  expectRejected(
      R"({"model":"assistant","stream":"yes","messages":[{"role":"user","content":"SECRET-4111-1111"}]})",
      400);
}

TEST_F(ErrorsTest, InvalidUtf8Is400) {
  expectRejected(
      "{\"model\":\"assistant\",\"messages\":[{\"role\":\"user\",\"content\":\"bad \xff\xfe "
      "SECRET-4111-1111\"}]}",
      400);
}

TEST_F(ErrorsTest, UnknownModelIs404) {
  expectRejected(chatBody("no-such-model", std::string(kSecret)), 404);
}

TEST_F(ErrorsTest, MissingKeyIs401) {
  const HttpResponse response = chat(port, "", chatBody("assistant", std::string(kSecret)));
  expectOpenAiError(response, 401);
  EXPECT_EQ(response.body.find(kSecret), std::string::npos);
  expectStillServes(port);
}

TEST_F(ErrorsTest, WrongKeyIs401) {
  const HttpResponse response = chat(port, "sk-not-a-key", chatBody("assistant", "x"));
  expectOpenAiError(response, 401);
  EXPECT_EQ(response.body.find("sk-not-a-key"), std::string::npos) << "error echoes the key";
  expectStillServes(port);
}

TEST_F(ErrorsTest, WrongXApiKeyIs401) {
  const HttpResponse response =
      httpRequest(port, "POST", "/v1/chat/completions",
                  {{"content-type", "application/json"}, {"x-api-key", "sk-not-a-key"}},
                  chatBody("assistant", "x"));
  expectOpenAiError(response, 401);
}

TEST_F(ErrorsTest, UnknownLevelIs400NotAPolicyRefusal) {
  const std::string type =
      expectRejected(chatBody("assistant", "x"), 400, {{"x-cordon-level", "top-secret"}});
  EXPECT_NE(type, "policy_violation");
}

TEST_F(ErrorsTest, BodyOverMaxBodyBytesIs413) {
  const std::string body = chatBody("assistant", std::string(8000, 'a'));
  HttpConnection connection(port);
  // The head first: the limit is known from Content-Length, and a server that answers before
  // reading the body would otherwise reset the connection under our unread answer.
  const std::string request = rawRequest(
      "POST", "/v1/chat/completions",
      {{"Authorization", "Bearer " + std::string(kAcmeKey)}, {"Content-Type", "application/json"}},
      body);
  const auto head_end = request.find("\r\n\r\n") + 4;
  ASSERT_TRUE(connection.send(std::string_view(request).substr(0, head_end)));
  HttpResponse response = connection.readResponse(1500ms);
  if (response.status == 0 && response.failure == "timeout") {
    // The gateway wants the body before answering.
    connection.send(std::string_view(request).substr(head_end));
    response = connection.readResponse();
  }
  expectOpenAiError(response, 413);
  expectStillServes(port);
}

TEST_F(ErrorsTest, ChunkedBodyOverMaxBodyBytesIs413) {
  HttpConnection connection(port);
  ASSERT_TRUE(connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: Bearer " +
                              std::string(kAcmeKey) +
                              "\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string piece(1000, 'a');
  char size[16];
  std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
  for (int i = 0; i < 8; ++i) {
    if (!connection.send(std::string(size) + piece + "\r\n")) {
      break; // the gateway already answered and closed
    }
  }
  const HttpResponse response = connection.readResponse(3s);
  if (response.status == 0) {
    // Acceptable only as "closed": the answer can be lost to the reset of a connection whose
    // unread bytes the server dropped.
    EXPECT_TRUE(response.failure == "reset" || response.failure == "closed") << response.failure;
  } else {
    expectOpenAiError(response, 413);
  }
  expectStillServes(port);
}

TEST_F(ErrorsTest, SlowHeadersGet408OrAreClosed) {
  HttpConnection connection(port);
  ASSERT_TRUE(connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-"));
  const auto started = Clock::now();
  const HttpResponse response = connection.readResponse(3s);
  const auto waited = Clock::now() - started;
  if (response.status != 0) {
    expectOpenAiError(response, 408);
  } else {
    EXPECT_TRUE(response.failure == "closed" || response.failure == "reset")
        << "slow client was neither answered 408 nor disconnected: " << response.failure;
  }
  EXPECT_LT(waited, 2500ms);
  expectStillServes(port);
}

TEST_F(ErrorsTest, SlowBodyGets408OrIsClosed) {
  HttpConnection connection(port);
  ASSERT_TRUE(connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: Bearer " +
                              std::string(kAcmeKey) +
                              "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                              "{\"model\":"));
  const HttpResponse response = connection.readResponse(3s);
  if (response.status != 0) {
    expectOpenAiError(response, 408);
  } else {
    EXPECT_TRUE(response.failure == "closed" || response.failure == "reset") << response.failure;
  }
  expectStillServes(port);
}

TEST_F(ErrorsTest, IdleConnectionIsClosedAndOthersAreServed) {
  HttpConnection idle(port);
  expectStillServes(port);
  EXPECT_TRUE(idle.waitClosed(3s)) << "an idle connection was kept open past the timeouts";
}

TEST_F(ErrorsTest, GarbageRequestLineIs400OrClosed) {
  HttpConnection connection(port);
  ASSERT_TRUE(connection.send("THIS IS NOT HTTP\r\n\r\n"));
  const HttpResponse response = connection.readResponse(3s);
  if (response.status != 0) {
    EXPECT_EQ(response.status, 400);
  } else {
    EXPECT_TRUE(response.failure == "closed" || response.failure == "reset") << response.failure;
  }
  expectStillServes(port);
}

TEST_F(ErrorsTest, UnknownPathIs404) {
  const HttpResponse response = httpRequest(port, "GET", "/v1/nothing-here",
                                            {{"Authorization", "Bearer " + std::string(kAcmeKey)}});
  expectOpenAiError(response, 404);
  expectStillServes(port);
}

TEST_F(ErrorsTest, ManyBadRequestsInARowDoNotHurt) {
  for (int i = 0; i < 20; ++i) {
    const HttpResponse response = chat(port, kAcmeKey, "{\"model\":" + std::string(i, '['));
    EXPECT_EQ(response.status, 400) << response.body;
  }
  expectStillServes(port);
}

class ConfigErrorsTest : public IntegrationTest {
protected:
  /// Runs `cordon serve` on `yaml`; expects a non-zero exit with a message naming `mention`.
  void expectRefused(const std::string& yaml, const std::string& mention) {
    const std::string path = dir.write("bad.yaml", yaml);
    Process serve({cordonBinary(), "serve", "-c", path});
    const auto code = serve.waitExit(10s);
    ASSERT_TRUE(code.has_value()) << "cordon serve kept running on a bad config";
    EXPECT_NE(*code, 0);
    const std::string err = serve.stderrText();
    EXPECT_FALSE(err.empty());
    EXPECT_NE(err.find(mention), std::string::npos) << err;
    EXPECT_EQ(serve.stdoutText().find("listening on"), std::string::npos);
  }

  std::string good() const {
    return config(backend("local", "onprem", 9), "  assistant: { targets: [local:llama] }\n");
  }
};

TEST_F(ConfigErrorsTest, UnknownKeyIsRefused) {
  expectRefused(good() + "bogus_setting: 1\n", "bogus_setting");
}

TEST_F(ConfigErrorsTest, TargetNamingAnUnknownBackendIsRefused) {
  expectRefused(config(backend("local", "onprem", 9), "  assistant: { targets: [ghost:llama] }\n"),
                "ghost");
}

TEST_F(ConfigErrorsTest, UnknownLevelIsRefused) {
  std::string yaml = good();
  yaml.replace(yaml.find("clearance: restricted"), 21, "clearance: ultra");
  expectRefused(yaml, "ultra");
}

TEST_F(ConfigErrorsTest, MissingUpstreamSecretIsRefused) {
  expectRefused(config(backend("local", "onprem", 9, "api_key_env: CORDON_TEST_UNSET_SECRET"),
                       "  assistant: { targets: [local:llama] }\n"),
                "CORDON_TEST_UNSET_SECRET");
}

TEST_F(ConfigErrorsTest, BackendProtocolCordonCannotSpeakIsRefused) {
  std::string yaml = good();
  yaml.replace(yaml.find("protocol: openai"), 16, "protocol: grpc");
  expectRefused(yaml, "protocol must be one of: openai, anthropic");
}

TEST_F(ConfigErrorsTest, MissingFileIsRefused) {
  Process serve({cordonBinary(), "serve", "-c", dir.path() + "/does-not-exist.yaml"});
  const auto code = serve.waitExit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_FALSE(serve.stderrText().empty());
}

} // namespace
} // namespace cordon::itest
