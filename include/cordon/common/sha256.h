// SHA-256 and constant-time comparison for API keys and (later) the audit chain.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cordon {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view data) noexcept;

/// Lower-case hex, 64 characters.
std::string toHex(const Sha256Digest& digest);

/// Parses 64 hex digits (either case); nullopt on anything else.
std::optional<Sha256Digest> digestFromHex(std::string_view hex) noexcept;

/// Equality whose running time does not depend on where the digests differ.
bool constantTimeEqual(const Sha256Digest& a, const Sha256Digest& b) noexcept;

/// A request id: 128 random bits as 32 lower-case hex digits, from a per-thread generator seeded
/// once from OpenSSL. Unique and unpredictable enough to name a request, cheap enough to make on
/// every one (RAND_bytes costs a syscall per call); never use it as a secret.
std::string newRequestId();

/// `bytes` cryptographically random bytes as lower-case hex (OpenSSL RAND_bytes).
/// Returns an empty string if the random generator fails, which callers must treat as fatal.
std::string randomHex(std::size_t bytes);

} // namespace cordon
