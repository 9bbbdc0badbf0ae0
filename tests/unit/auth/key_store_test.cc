#include <gtest/gtest.h>

#include "cordon/auth/key_store.h"

namespace cordon::auth {
namespace {

config::Config configWithKeys() {
  config::Config cfg;
  cfg.levels = {"public", "internal"};
  config::Tenant acme;
  acme.name = "acme";
  acme.keys.push_back({"bot", sha256("sk-acme-bot"), config::LevelIndex{1}, {}});
  config::Tenant globex;
  globex.name = "globex";
  globex.keys.push_back({"etl", sha256("sk-globex-etl"), std::nullopt, {}});
  cfg.tenants = {acme, globex};
  cfg.admin_keys.push_back({"compliance", sha256("sk-admin")});
  return cfg;
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
