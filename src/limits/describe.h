// Words shared by the stores: how a refusing limit is named.
#pragma once

#include <cstdint>
#include <string>

#include "cordon/limits/limits.h"

namespace cordon::limits::detail {

enum class Scope : std::uint8_t { Tenant, Key };
enum class Kind : std::uint8_t { Requests, Tokens };

/// "tenant acme: 600 requests per minute", "key acme/batch: 10000 tokens per minute".
std::string describeLimit(const Subject& subject, Scope scope, Kind kind, std::uint64_t rate);

} // namespace cordon::limits::detail
