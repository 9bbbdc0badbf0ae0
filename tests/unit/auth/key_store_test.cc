#include <gtest/gtest.h>

#include "cordon/auth/key_store.h"

namespace cordon::auth {
namespace {

config::Config configWithKeys() {
  config::Config cfg;
  cfg.levels = {"public", "internal"};
  config::Tenant acme;
  acme.name = "acme";
  acme.keys.push_back({.name = "bot", .digest = sha256("sk-acme-bot"), .floor = 1});
  acme.keys.push_back({.name = "billing", .client_cn = "billing.acme.internal"});
  config::Tenant globex;
  globex.name = "globex";
  globex.keys.push_back({.name = "etl", .digest = sha256("sk-globex-etl")});
  cfg.tenants = {acme, globex};
  cfg.admin_keys.push_back({"compliance", sha256("sk-admin")});
  return cfg;
}

TEST(KeyStore, ClientCertificateNameAuthenticatesAsItsKey) {
  const config::Config cfg = configWithKeys();
  const KeyStore store(cfg);
  const auto principal = store.authenticateCertificate("billing.acme.internal");
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->tenant->name, "acme");
  EXPECT_EQ(principal->key->name, "billing");
  EXPECT_FALSE(store.authenticateCertificate("").has_value());
  EXPECT_FALSE(store.authenticateCertificate("BILLING.acme.internal").has_value());
  // A certificate-only key has no API key to present.
  EXPECT_FALSE(store.authenticate("billing.acme.internal").has_value());
}

TEST(PresentedKey, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(presentedKey("Bearer abc", ""), "abc");
  EXPECT_EQ(presentedKey("bearer abc", ""), "abc");
  EXPECT_EQ(presentedKey("BEARER  abc ", ""), "abc");
}

TEST(PresentedKey, FallsBackToXApiKey) {
  EXPECT_EQ(presentedKey("", "xyz"), "xyz");
  EXPECT_EQ(presentedKey("Basic dXNlcg==", "xyz"), "xyz");
  EXPECT_EQ(presentedKey("Bearer ", ""), "");
  EXPECT_EQ(presentedKey("", ""), "");
}

TEST(KeyStore, ResolvesKeysToTheirTenant) {
  const auto cfg = configWithKeys();
  const KeyStore store(cfg);
  const auto acme = store.authenticate("sk-acme-bot");
  ASSERT_TRUE(acme.has_value());
  EXPECT_EQ(acme->tenant->name, "acme");
  EXPECT_EQ(acme->key->name, "bot");
  EXPECT_EQ(acme->key->floor, config::LevelIndex{1});
  const auto globex = store.authenticate("sk-globex-etl");
  ASSERT_TRUE(globex.has_value());
  EXPECT_EQ(globex->tenant->name, "globex");
}

TEST(KeyStore, RejectsUnknownEmptyAndNearMissKeys) {
  const auto cfg = configWithKeys();
  const KeyStore store(cfg);
  EXPECT_FALSE(store.authenticate("").has_value());
  EXPECT_FALSE(store.authenticate("sk-acme-bo").has_value());
  EXPECT_FALSE(store.authenticate("sk-acme-bot ").has_value());
  EXPECT_FALSE(store.authenticate("sk-admin").has_value()) << "admin keys are not tenant keys";
}

TEST(KeyStore, AdminKeysAreSeparate) {
  const auto cfg = configWithKeys();
  const KeyStore store(cfg);
  EXPECT_TRUE(store.isAdmin("sk-admin"));
  EXPECT_FALSE(store.isAdmin("sk-acme-bot"));
  EXPECT_FALSE(store.isAdmin(""));
}

} // namespace
} // namespace cordon::auth
