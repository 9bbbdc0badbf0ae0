#include "limits/describe.h"

#include <string_view>

#include <fmt/format.h>

namespace cordon::limits::detail {

std::string describeLimit(const Subject& subject, Scope scope, Kind kind, std::uint64_t rate) {
  const std::string_view what = kind == Kind::Requests ? (rate == 1 ? "request" : "requests")
                                                       : (rate == 1 ? "token" : "tokens");
  if (scope == Scope::Tenant) {
    return fmt::format("tenant {}: {} {} per minute", subject.tenant, rate, what);
  }
  return fmt::format("key {}/{}: {} {} per minute", subject.tenant, subject.key, rate, what);
}

} // namespace cordon::limits::detail
