// SIGHUP reloads the config: a valid new file takes effect for new requests; a bad one is refused
// and the previous config keeps serving (PRODUCT.md §4).
#include <csignal>
#include <string>
#include <thread>

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

} // namespace
} // namespace cordon::itest
