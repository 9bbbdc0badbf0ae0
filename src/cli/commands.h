// The CLI's commands that need no network code: their output is part of the product (PRODUCT.md
// §4), so they live apart from main's argument wiring and are callable from tests.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cordon/config/config.h"
#include "gateway/gateway.h"

namespace cordon::cli {

/// `cordon check`: boundaries, backends, and for each model which targets each tenant can reach
/// at each level — computed by policy::decide, the function the gateway routes with.
void printCheck(const config::Config& config, std::ostream& out);

/// `cordon explain`: what detection finds in one chat request body of `tenant` and the decision,
/// with a reason for each target — computed by the functions the gateway serves with. `declared`
/// is the x-cordon-level the request would carry. Returns the exit code.
int printExplain(const gateway::Snapshot& snapshot, std::string_view tenant,
                 std::optional<std::string> declared, std::string_view body, std::ostream& out,
                 std::ostream& err);

/// `cordon keys new`: a fresh random key and the sha256 line to paste into the config.
void printNewKey(std::ostream& out);

/// "host:port" or "[v6]:port" → host and port; nullopt when malformed.
std::optional<std::pair<std::string, std::uint16_t>> parseHostPort(std::string_view text);

} // namespace cordon::cli
