// API-key authentication: keys are known only by their SHA-256 (config `sha256:`), so a leaked
// config does not leak keys. One KeyStore is built per config snapshot.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cordon/common/sha256.h"
#include "cordon/config/config.h"

namespace cordon::auth {

/// Who is calling: the tenant and the key it used. Pointers into the config snapshot the store
/// was built from; valid as long as that snapshot.
struct Principal {
  const config::Tenant* tenant = nullptr;
  const config::ApiKey* key = nullptr;
};

/// The key presented in `Authorization: Bearer KEY` (scheme case-insensitive) or, when that is
/// absent, `x-api-key: KEY`. Empty when neither carries one.
std::string_view presentedKey(std::string_view authorization, std::string_view x_api_key) noexcept;

class KeyStore {
public:
  explicit KeyStore(const config::Config& config);

  /// The principal a presented key belongs to, or nullopt. The key is hashed first; the lookup is
  /// by digest and the final comparison is constant-time, so timing reveals nothing about
  /// configured keys (an attacker cannot steer the digest of a guess byte by byte).
  std::optional<Principal> authenticate(std::string_view presented_key) const;

  /// The principal a verified client certificate with subject common name `common_name`
  /// authenticates as (the key whose `client_cn` names it), or nullopt.
  std::optional<Principal> authenticateCertificate(std::string_view common_name) const;

  /// True when the key is one of `admin_keys`.
  bool isAdmin(std::string_view presented_key) const;

private:
  struct DigestHash {
    std::size_t operator()(const Sha256Digest& digest) const noexcept;
  };
  std::unordered_map<Sha256Digest, Principal, DigestHash> tenant_keys_;
  std::unordered_map<Sha256Digest, const config::AdminKey*, DigestHash> admin_keys_;
  std::map<std::string, Principal, std::less<>> certificate_keys_;
};

} // namespace cordon::auth
