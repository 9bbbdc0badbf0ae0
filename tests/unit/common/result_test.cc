#include <gtest/gtest.h>

#include "cordon/common/result.h"

namespace cordon {
namespace {

TEST(Errc, StatusesMatchTheHttpApi) {
  EXPECT_EQ(httpStatus(Errc::BadRequest), 400U);
  EXPECT_EQ(httpStatus(Errc::Unauthorized), 401U);
  EXPECT_EQ(httpStatus(Errc::PolicyViolation), 403U);
  EXPECT_EQ(httpStatus(Errc::NotFound), 404U);
  EXPECT_EQ(httpStatus(Errc::RequestTimeout), 408U);
  EXPECT_EQ(httpStatus(Errc::PayloadTooLarge), 413U);
  EXPECT_EQ(httpStatus(Errc::RateLimited), 429U);
  EXPECT_EQ(httpStatus(Errc::UpstreamFailed), 502U);
  EXPECT_EQ(httpStatus(Errc::UpstreamTimeout), 504U);
  EXPECT_EQ(errcName(Errc::PolicyViolation), "policy_violation");
}

TEST(Result, CarriesValueOrError) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 7);
  Result<int> failed = makeError(Errc::BadRequest, "messages must be an array");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, Errc::BadRequest);
  EXPECT_THROW((void)failed.value(), std::runtime_error);
}

} // namespace
} // namespace cordon
