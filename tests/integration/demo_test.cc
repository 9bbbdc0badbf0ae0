// `cordon demo --once` (what `make demo` runs) walks through every step and exits 0; the
// pseudonymization step shows the cloud model receiving placeholders and the client the values.
#include <string>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

TEST(DemoTest, WalkThroughSucceeds) {
  Process demo({cordonBinary(), "demo", "--once", "--listen", "127.0.0.1:0"});
  const auto code = demo.waitExit(std::chrono::seconds{90});
  const std::string out = demo.stdoutText();
  ASSERT_EQ(code, 0) << out << demo.stderrText();
  EXPECT_NE(out.find("the cloud model received: My name is <PERSON_1>."), std::string::npos) << out;
  EXPECT_NE(out.find("answer: [cloud-gpt] My name is Jane Roe."), std::string::npos) << out;
  EXPECT_NE(out.find("-> 403"), std::string::npos) << out;
}

} // namespace
} // namespace cordon::itest
