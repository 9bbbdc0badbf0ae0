// Checks of the harness itself: the assertions "the gateway never contacted X" rely on these.
#include <string>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

TEST(HarnessTest, SentinelCountsConnections) {
  Sentinel sentinel;
  EXPECT_EQ(sentinel.connections(), 0);
  {
    HttpConnection first(sentinel.port());
    HttpConnection second(sentinel.port());
    EXPECT_EQ(sentinel.connections(), 2);
  }
  EXPECT_EQ(sentinel.connections(), 2);
}

TEST(HarnessTest, RefusedPortRefuses) {
  EXPECT_THROW(HttpConnection connection(refusedPort()), std::system_error);
}

TEST(HarnessTest, SseDataAndStreamedContent) {
  const std::string body = "data: {\"choices\":[{\"delta\":{\"content\":\"a \"}}]}\n\n"
                           ": comment\n\n"
                           "data:{\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\r\n\r\n"
                           "data: [DONE]\n\n";
  const auto events = sseData(body);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(streamedContent(body), "a b");
}

} // namespace
} // namespace cordon::itest
