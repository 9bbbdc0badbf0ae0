// Parses arbitrary bytes as a `limits.store` Redis url: never crashes, and what it accepts is a
// usable address (a host, a port above 0). That errors never repeat the url (it may carry a
// password) is a unit test: the messages are fixed texts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cordon/limits/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  const auto parsed = cordon::limits::parseRedisUrl(url);
  if (parsed && (parsed->host.empty() || parsed->port == 0)) {
    std::abort();
  }
  return 0;
}
