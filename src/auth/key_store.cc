#include "cordon/auth/key_store.h"

#include <cstring>

#include <boost/algorithm/string/predicate.hpp>

namespace cordon::auth {

std::string_view presentedKey(std::string_view authorization, std::string_view x_api_key) noexcept {
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size() &&
      boost::algorithm::istarts_with(authorization, kBearer)) {
    std::string_view key = authorization.substr(kBearer.size());
    while (!key.empty() && key.front() == ' ') {
      key.remove_prefix(1);
    }
    while (!key.empty() && key.back() == ' ') {
      key.remove_suffix(1);
    }
    return key;
  }
  return x_api_key;
}

std::size_t KeyStore::DigestHash::operator()(const Sha256Digest& digest) const noexcept {
  // A digest is already uniformly distributed: its first word is a good hash.
  std::size_t hash = 0;
  std::memcpy(&hash, digest.data(), sizeof(hash));
  return hash;
}

KeyStore::KeyStore(const config::Config& config) {
  for (const auto& tenant : config.tenants) {
    for (const auto& key : tenant.keys) {
      if (key.digest) {
        tenant_keys_.emplace(*key.digest, Principal{&tenant, &key});
      }
      if (!key.client_cn.empty()) {
        certificate_keys_.emplace(key.client_cn, Principal{&tenant, &key});
      }
    }
  }
  for (const auto& key : config.admin_keys) {
    admin_keys_.emplace(key.digest, &key);
  }
}

std::optional<Principal> KeyStore::authenticate(std::string_view presented_key) const {
  if (presented_key.empty()) {
    return std::nullopt;
  }
  const Sha256Digest digest = sha256(presented_key);
  const auto found = tenant_keys_.find(digest);
  if (found == tenant_keys_.end() || !constantTimeEqual(found->first, digest)) {
    return std::nullopt;
  }
  return found->second;
}

std::optional<Principal> KeyStore::authenticateCertificate(std::string_view common_name) const {
  // The name comes from a certificate the TLS layer already verified against client_ca; it is
  // not a secret, so an ordinary lookup is fine.
  const auto found = certificate_keys_.find(common_name);
  if (common_name.empty() || found == certificate_keys_.end()) {
    return std::nullopt;
  }
  return found->second;
}

bool KeyStore::isAdmin(std::string_view presented_key) const {
  if (presented_key.empty()) {
    return false;
  }
  const Sha256Digest digest = sha256(presented_key);
  const auto found = admin_keys_.find(digest);
  return found != admin_keys_.end() && constantTimeEqual(found->first, digest);
}

} // namespace cordon::auth
