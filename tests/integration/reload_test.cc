// SIGHUP reloads the config: a valid new file takes effect for new requests; a bad one is refused
// and the previous config keeps serving (PRODUCT.md §4). Requests in flight finish on the snapshot
// they started with, also under load; SIGTERM lets open streams finish, then exits 0.
#include <atomic>
#include <csignal>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

using namespace std::chrono_literals;

class ReloadTest : public IntegrationTest {
protected:
  void SetUp() override {
    local = startSimulator("local");
    us = startSimulator("us");
    port = startGateway(models("  assistant: { targets: [us:gpt-us, local:llama] }\n"));
  }

  std::string models(const std::string& lines) const {
    return config(backend("local", "onprem", local) + backend("us", "us-cloud", us), lines);
  }

  /// Rewrites the config file, sends SIGHUP and waits until `ready` holds (or gives up).
  template <class Ready> void reload(const std::string& yaml, Ready ready) {
    dir.write("cordon.yaml", yaml);
    gatewayProcess().signal(SIGHUP);
    // A reload compiles a new detector database: a fraction of a second normally, seconds under
    // the sanitizers. Poll until it has taken effect rather than for a fixed time.
    for (int i = 0; i < 400 && !ready(); ++i) {
      std::this_thread::sleep_for(50ms);
    }
  }

  /// Reloads the gateway finished so far, taken effect or refused (from its log).
  std::size_t reloadsDone() {
    const std::string log = gatewayProcess().stderrText();
    std::size_t count = 0;
    for (const std::string_view line : {"reload: new config active", "reload refused"}) {
      for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) {
        ++count;
      }
    }
    return count;
  }

  std::uint16_t local = 0;
  std::uint16_t us = 0;
  std::uint16_t port = 0;
};

TEST_F(ReloadTest, NewConfigTakesEffect) {
  ASSERT_EQ(chat(port, kAcmeKey, chatBody("assistant", "hi")).header("x-cordon-backend"), "us");
  reload(models("  assistant: { targets: [local:llama, us:gpt-us] }\n"), [&] {
    return chat(port, kAcmeKey, chatBody("assistant", "hi")).header("x-cordon-backend") == "local";
  });
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", "hi"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-backend"), "local");
}

TEST_F(ReloadTest, BadConfigIsRefusedAndTheOldOneKeepsServing) {
  reload(models("  assistant: { targets: [ghost:llama] }\n"),
         [&] { return gatewayProcess().stderrText().find("reload refused") != std::string::npos; });
  EXPECT_NE(gatewayProcess().stderrText().find("reload refused"), std::string::npos)
      << gatewayProcess().stderrText();
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", "hi"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-backend"), "us");
}

TEST_F(ReloadTest, RemovedModelIsGoneAfterReload) {
  reload(models("  other: { targets: [local:llama] }\n"),
         [&] { return chat(port, kAcmeKey, chatBody("assistant", "hi")).status == 404; });
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "hi")).status, 404);
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("other", "hi")).status, 200);
}

TEST_F(ReloadTest, ReloadsUnderLoadFailNoRequest) {
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::map<std::string, int> backends;
  std::vector<std::thread> clients;
  clients.reserve(4);
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !done.load(); ++i) {
        const bool stream = (i + c) % 3 == 0;
        const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", "hi", stream));
        const bool finished = !stream || response.body.find("[DONE]") != std::string::npos;
        const std::lock_guard lock(mutex);
        ++statuses[finished ? response.status : -1];
        ++backends[response.header("x-cordon-backend")];
      }
    });
  }
  // Alternate good configs (the preference flips) with bad ones, each while requests flow.
  for (int round = 0; round < 6; ++round) {
    const bool good = round % 2 == 0;
    const std::string order =
        round % 4 == 0 ? "[local:llama, us:gpt-us]" : "[us:gpt-us, local:llama]";
    dir.write("cordon.yaml", models("  assistant: { targets: " +
                                    (good ? order : std::string("[ghost:llama]")) + " }\n"));
    const std::size_t before = reloadsDone();
    gatewayProcess().signal(SIGHUP);
    // Each reload is waited for (it compiles detectors: seconds under the sanitizers), so that
    // signals do not coalesce and every file is really tried while the clients run.
    for (int i = 0; i < 400 && reloadsDone() == before; ++i) {
      std::this_thread::sleep_for(50ms);
    }
  }
  done = true;
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_EQ(statuses.size(), 1U) << "every request must succeed (-1 = a stream cut short)";
  EXPECT_GT(statuses[200], 20);
  EXPECT_GT(backends["local"], 0);
  EXPECT_GT(backends["us"], 0);
  EXPECT_NE(gatewayProcess().stderrText().find("reload refused"), std::string::npos);
}

class DrainTest : public IntegrationTest {};

TEST_F(DrainTest, AStreamStartedBeforeAReloadFinishesOnItsSnapshot) {
  const auto slow = startSimulator("slow", {"--token-delay-ms", "50"});
  const auto port = startGateway(
      config(backend("slow", "eu-cloud", slow), "  assistant: { targets: [slow:m] }\n"));
  HttpConnection streaming(port);
  ASSERT_TRUE(streaming.send(rawRequest(
      "POST", "/v1/chat/completions",
      {{"authorization", "Bearer " + std::string(kAcmeKey)}, {"content-type", "application/json"}},
      chatBody("assistant", "one two three four five six seven eight nine ten eleven twelve",
               true))));
  std::this_thread::sleep_for(100ms);
  // The model goes away while its stream is open.
  dir.write("cordon.yaml",
            config(backend("slow", "eu-cloud", slow), "  other: { targets: [slow:m] }\n"));
  gatewayProcess().signal(SIGHUP);
  const HttpResponse streamed = streaming.readResponse();
  EXPECT_EQ(streamed.status, 200);
  EXPECT_NE(streamed.body.find("[DONE]"), std::string::npos) << streamed.body;
  EXPECT_EQ(streamedContent(streamed.body).find("twelve") != std::string::npos, true);
  for (int i = 0; i < 100 && chat(port, kAcmeKey, chatBody("assistant", "hi")).status != 404; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "hi")).status, 404);
}

TEST_F(DrainTest, SigtermLetsOpenStreamsFinishThenExitsZero) {
  const auto slow = startSimulator("slow", {"--token-delay-ms", "100"});
  const auto port = startGateway(
      config(backend("slow", "eu-cloud", slow), "  assistant: { targets: [slow:m] }\n"));
  std::vector<std::unique_ptr<HttpConnection>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<HttpConnection>(port));
    ASSERT_TRUE(streams.back()->send(rawRequest(
        "POST", "/v1/chat/completions",
        {{"authorization", "Bearer " + std::string(kAcmeKey)},
         {"content-type", "application/json"}},
        chatBody("assistant",
                 "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi",
                 true))));
  }
  std::this_thread::sleep_for(200ms);
  gatewayProcess().signal(SIGTERM);
  // New connections are refused while the streams go on.
  bool refused = false;
  for (int i = 0; i < 40 && !refused; ++i) {
    try {
      refused = httpRequest(port, "GET", "/healthz", {}, {}, 500ms).status == 0;
    } catch (const std::exception&) {
      refused = true; // connect() was refused
    }
    if (!refused) {
      std::this_thread::sleep_for(25ms);
    }
  }
  EXPECT_TRUE(refused) << "the listener must close at SIGTERM";
  for (auto& stream : streams) {
    const HttpResponse streamed = stream->readResponse();
    EXPECT_EQ(streamed.status, 200);
    EXPECT_NE(streamed.body.find("[DONE]"), std::string::npos) << streamed.body;
    EXPECT_NE(streamedContent(streamed.body).find("xi"), std::string::npos) << streamed.body;
  }
  EXPECT_EQ(gatewayProcess().waitExit(), 0);
  // The audit was flushed and sealed: three answered streams and the seal.
  Process verify({cordonBinary(), "audit", "verify", "-c", dir.path() + "/cordon.yaml"});
  EXPECT_EQ(verify.waitExit(), 0) << verify.stdoutText() << verify.stderrText();
  EXPECT_NE(verify.stdoutText().find("4 records"), std::string::npos) << verify.stdoutText();
  EXPECT_EQ(verify.stdoutText().find("not sealed"), std::string::npos) << verify.stdoutText();
}

} // namespace
} // namespace cordon::itest
