// Table-driven tests of the routing decision (PRODUCT.md §1). The config is built in code so the
// tests exercise policy alone.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/policy/decision.h"

namespace cordon::policy {
namespace {

using config::LevelIndex;
constexpr LevelIndex kPublic = 0;
constexpr LevelIndex kInternal = 1;
constexpr LevelIndex kConfidential = 2;
constexpr LevelIndex kRestricted = 3;

/// onprem (restricted, eu-de) · eu-cloud (confidential, eu) · us-cloud (internal, us).
/// Model "assistant" prefers us → eu → onprem.
config::Config makeConfig(config::PseudonymizeMode mode) {
  config::Config cfg;
  cfg.levels = {"public", "internal", "confidential", "restricted"};
  cfg.boundaries = {{"onprem", kRestricted, "eu-de", ""},
                    {"eu-cloud", kConfidential, "eu", ""},
                    {"us-cloud", kInternal, "us", ""}};
  cfg.backends.resize(3);
  cfg.backends[0].name = "local";
  cfg.backends[0].boundary = 0;
  cfg.backends[1].name = "azure";
  cfg.backends[1].boundary = 1;
  cfg.backends[2].name = "claude";
  cfg.backends[2].boundary = 2;
  config::Model model;
  model.name = "assistant";
  model.targets = {{2, "sonnet"}, {1, "gpt-4o"}, {0, "llama"}};
  model.pseudonymize = mode;
  cfg.models.push_back(model);
  return cfg;
}

struct Case {
  std::string name;
  std::vector<std::string> residency;
  std::optional<LevelIndex> tenant_floor;
  std::optional<LevelIndex> key_floor;
  RequestFacts facts;
  config::PseudonymizeMode mode;
  LevelIndex want_level;
  std::vector<std::string> want_backends; ///< Eligible, in order.
  std::vector<Delivery> want_delivery;
  bool want_refusal;
};

/// gtest prints a parameter in test listings; the case's name says what it is.
// NOLINTNEXTLINE(readability-identifier-naming): the name gtest looks up.
void PrintTo(const Case& c, std::ostream* out) {
  *out << '"' << c.name << '"';
}

std::vector<Case> cases() {
  using config::PseudonymizeMode;
  const RequestFacts none{};
  return {
      {"public text goes to the preferred cloud",
       {},
       {},
       {},
       none,
       PseudonymizeMode::Never,
       kPublic,
       {"claude", "azure", "local"},
       {Delivery::AsIs, Delivery::AsIs, Delivery::AsIs},
       false},
      {"declared confidential skips us-cloud",
       {},
       {},
       {},
       {kConfidential, 0, 0, {}, {}, {}},
       PseudonymizeMode::Never,
       kConfidential,
       {"azure", "local"},
       {Delivery::AsIs, Delivery::AsIs},
       false},
      {"declared restricted stays on-prem",
       {},
       {},
       {},
       {kRestricted, 0, 0, {}, {}, {}},
       PseudonymizeMode::Never,
       kRestricted,
       {"local"},
       {Delivery::AsIs},
       false},
      {"tenant floor raises the level",
       {},
       kConfidential,
       {},
       none,
       PseudonymizeMode::Never,
       kConfidential,
       {"azure", "local"},
       {Delivery::AsIs, Delivery::AsIs},
       false},
      {"key floor raises the level",
       {},
       kInternal,
       kRestricted,
       none,
       PseudonymizeMode::Never,
       kRestricted,
       {"local"},
       {Delivery::AsIs},
       false},
      {"declared cannot lower a floor",
       {},
       kRestricted,
       {},
       {kPublic, 0, 0, {}, {}, {}},
       PseudonymizeMode::Never,
       kRestricted,
       {"local"},
       {Delivery::AsIs},
       false},
      {"residency removes the us region",
       {"eu", "eu-de"},
       {},
       {},
       none,
       PseudonymizeMode::Never,
       kPublic,
       {"azure", "local"},
       {Delivery::AsIs, Delivery::AsIs},
       false},
      {"residency eu-de only",
       {"eu-de"},
       {},
       {},
       none,
       PseudonymizeMode::Never,
       kPublic,
       {"local"},
       {Delivery::AsIs},
       false},
      {"residency with no matching boundary refuses",
       {"ap"},
       {},
       {},
       none,
       PseudonymizeMode::Never,
       kPublic,
       {},
       {},
       true},
      {"restricted and residency without on-prem region refuses",
       {"eu"},
       {},
       {},
       {kRestricted, 0, 0, {}, {}, {}},
       PseudonymizeMode::Never,
       kRestricted,
       {},
       {},
       true},
      {"detected level counts",
       {},
       {},
       {},
       {{}, kConfidential, kConfidential, {}, {}, {}},
       PseudonymizeMode::Never,
       kConfidential,
       {"azure", "local"},
       {Delivery::AsIs, Delivery::AsIs},
       false},
      {"pseudonymization opens the cloud when allowed",
       {},
       {},
       {},
       {{}, kConfidential, kPublic, {}, {}, {}},
       PseudonymizeMode::Auto,
       kConfidential,
       {"claude", "azure", "local"},
       {Delivery::Pseudonymized, Delivery::AsIs, Delivery::AsIs},
       false},
      {"pseudonymization is not used when the model says never",
       {},
       {},
       {},
       {{}, kConfidential, kPublic, {}, {}, {}},
       PseudonymizeMode::Never,
       kConfidential,
       {"azure", "local"},
       {Delivery::AsIs, Delivery::AsIs},
       false},
      {"declared level is not pseudonymizable",
       {},
       {},
       {},
       {kConfidential, kConfidential, kPublic, {}, {}, {}},
       PseudonymizeMode::Auto,
       kConfidential,
       {"azure", "local"},
       {Delivery::AsIs, Delivery::AsIs},
       false},
      {"residual above clearance stays excluded",
       {},
       {},
       {},
       {{}, kRestricted, kConfidential, {}, {}, {}},
       PseudonymizeMode::Auto,
       kRestricted,
       {"azure", "local"},
       {Delivery::Pseudonymized, Delivery::AsIs},
       false},
      {"a secret goes only to the highest clearance, whatever its level",
       {},
       {},
       {},
       {{}, 0, 0, {}, {}, std::string("AWS_ACCESS_KEY")},
       PseudonymizeMode::Auto,
       kPublic,
       {"local"},
       {Delivery::AsIs},
       false},
      {"a denied entity refuses even with eligible targets",
       {},
       {},
       {},
       {{}, 0, 0, std::string("PRIVATE_KEY"), {}, {}},
       PseudonymizeMode::Never,
       kPublic,
       {},
       {},
       true},
  };
}

class DecisionTable : public ::testing::TestWithParam<Case> {};

TEST_P(DecisionTable, EligibleTargetsInPreferenceOrder) {
  const Case& c = GetParam();
  const config::Config cfg = makeConfig(c.mode);
  config::Tenant tenant;
  tenant.name = "acme";
  tenant.residency = c.residency;
  tenant.floor = c.tenant_floor;
  config::ApiKey key;
  key.name = "bot";
  key.floor = c.key_floor;

  const Decision decision = decide(cfg, tenant, &key, cfg.models[0], c.facts);

  EXPECT_EQ(decision.level, c.want_level);
  EXPECT_EQ(decision.verdicts.size(), cfg.models[0].targets.size());
  std::vector<std::string> got;
  std::vector<Delivery> delivery;
  for (std::size_t index : decision.eligible) {
    const auto& verdict = decision.verdicts[index];
    EXPECT_TRUE(verdict.eligible);
    got.push_back(cfg.backends[cfg.models[0].targets[verdict.target].backend].name);
    delivery.push_back(verdict.delivery);
  }
  EXPECT_EQ(got, c.want_backends);
  EXPECT_EQ(delivery, c.want_delivery);
  EXPECT_EQ(decision.refusal.has_value(), c.want_refusal);
  for (const auto& verdict : decision.verdicts) {
    EXPECT_FALSE(verdict.reason.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Policy, DecisionTable, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string name;
  for (char ch : info.param.name) {
    name.push_back(std::isalnum(static_cast<unsigned char>(ch)) != 0 ? ch : '_');
  }
  return name;
});

TEST(Decision, NeverWidensBeyondTheModelsTargets) {
  // Whatever the facts, eligible targets are a subset of the model's targets whose clearance
  // covers the level (or the residual level when pseudonymized).
  const config::Config cfg = makeConfig(config::PseudonymizeMode::Auto);
  config::Tenant tenant;
  tenant.name = "t";
  for (LevelIndex declared = 0; declared < 4; ++declared) {
    for (LevelIndex detected = 0; detected < 4; ++detected) {
      for (LevelIndex residual = 0; residual <= detected; ++residual) {
        const Decision d =
            decide(cfg, tenant, nullptr, cfg.models[0], {declared, detected, residual, {}, {}, {}});
        for (std::size_t index : d.eligible) {
          const auto& verdict = d.verdicts[index];
          const auto& boundary =
              cfg.boundaries[cfg.backends[cfg.models[0].targets[verdict.target].backend].boundary];
          const LevelIndex seen = verdict.delivery == Delivery::AsIs ? d.level : d.residual_level;
          EXPECT_LE(seen, boundary.clearance);
          EXPECT_GE(seen, declared);
        }
      }
    }
  }
}

struct CountCase {
  std::string name;
  std::vector<std::string> types;
  LevelIndex want_detected;
  LevelIndex want_residual;
  std::optional<std::string> want_denied;
};

TEST(CountDetected, FoldsEntityTypesIntoFacts) {
  config::Config cfg = makeConfig(config::PseudonymizeMode::Auto);
  cfg.entity_policies["EMAIL_ADDRESS"] = {kConfidential, true, config::EntityAction::Allow};
  cfg.entity_policies["IBAN_CODE"] = {kRestricted, false, config::EntityAction::Allow};
  cfg.entity_policies["URL"] = {kPublic, false, config::EntityAction::Allow};
  cfg.entity_policies["LOCATION"] = {kInternal, true, config::EntityAction::Allow};
  cfg.entity_policies["PRIVATE_KEY"] = {kRestricted, false, config::EntityAction::Deny};
  const std::vector<CountCase> cases = {
      {"nothing found", {}, kPublic, kPublic, {}},
      {"a public type changes nothing", {"URL"}, kPublic, kPublic, {}},
      {"pseudonymizable raises only the level", {"EMAIL_ADDRESS"}, kConfidential, kPublic, {}},
      {"not pseudonymizable raises both", {"IBAN_CODE"}, kRestricted, kRestricted, {}},
      {"maximum over findings", {"LOCATION", "EMAIL_ADDRESS", "URL"}, kConfidential, kPublic, {}},
      {"mixed", {"EMAIL_ADDRESS", "IBAN_CODE"}, kRestricted, kRestricted, {}},
      {"unknown type fails closed", {"SOMETHING_NEW"}, kRestricted, kRestricted, {}},
      {"deny is recorded by type",
       {"EMAIL_ADDRESS", "PRIVATE_KEY"},
       kRestricted,
       kRestricted,
       std::string("PRIVATE_KEY")},
  };
  for (const auto& c : cases) {
    RequestFacts facts;
    for (const auto& type : c.types) {
      countDetected(cfg, type, facts);
    }
    EXPECT_EQ(facts.detected, c.want_detected) << c.name;
    EXPECT_EQ(facts.residual_detected, c.want_residual) << c.name;
    EXPECT_EQ(facts.denied_entity, c.want_denied) << c.name;
  }
}

TEST(Decision, RefusalNamesTheRuleNotTheData) {
  const config::Config cfg = makeConfig(config::PseudonymizeMode::Never);
  config::Tenant tenant;
  tenant.name = "acme";
  tenant.residency = {"mars"};
  const Decision d = decide(cfg, tenant, nullptr, cfg.models[0], {});
  ASSERT_TRUE(d.refusal.has_value());
  EXPECT_NE(d.refusal->find("assistant"), std::string::npos);
  EXPECT_NE(d.verdicts[0].reason.find("residency"), std::string::npos);
}

} // namespace
} // namespace cordon::policy

namespace cordon::policy {
namespace {

struct AccessCase {
  std::string name;
  config::Access tenant;
  config::Access key;
  AccessRequest request;
  std::optional<std::string> want; ///< A substring of the refusal; nullopt = allowed.
};

class AccessTable : public ::testing::TestWithParam<AccessCase> {};

TEST_P(AccessTable, Decides) {
  const AccessCase& c = GetParam();
  config::Config cfg = makeConfig(config::PseudonymizeMode::Never);
  config::Tenant tenant;
  tenant.name = "acme";
  tenant.access = c.tenant;
  config::ApiKey key;
  key.name = "bot";
  key.access = c.key;
  const auto refusal = accessRefusal(cfg, tenant, &key, c.request);
  if (!c.want) {
    EXPECT_FALSE(refusal) << *refusal;
  } else {
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->find(*c.want), std::string::npos) << *refusal;
  }
}

config::Access onlyModels(std::vector<std::string> models) {
  config::Access access;
  access.models = std::move(models);
  return access;
}

config::Access maxDeclared(LevelIndex level) {
  config::Access access;
  access.max_declared = level;
  return access;
}

config::Access noExplain() {
  config::Access access;
  access.explain = false;
  return access;
}

INSTANTIATE_TEST_SUITE_P(
    Policy, AccessTable,
    ::testing::Values(
        AccessCase{
            "NoRulesAllowEverything", {}, {}, {"assistant", kRestricted, true}, std::nullopt},
        AccessCase{"TenantModelList",
                   onlyModels({"other"}),
                   {},
                   {"assistant", {}, false},
                   "tenant acme may not use model assistant"},
        AccessCase{"KeyModelList",
                   {},
                   onlyModels({"other"}),
                   {"assistant", {}, false},
                   "key bot may not use model assistant"},
        AccessCase{"ListedModel",
                   onlyModels({"assistant"}),
                   onlyModels({"assistant"}),
                   {"assistant", {}, false},
                   std::nullopt},
        AccessCase{"DeclaredAboveTheCap",
                   maxDeclared(kConfidential),
                   {},
                   {"assistant", kRestricted, false},
                   "may declare at most level confidential"},
        AccessCase{"DeclaredAtTheCap",
                   maxDeclared(kConfidential),
                   maxDeclared(kRestricted),
                   {"assistant", kConfidential, false},
                   std::nullopt},
        AccessCase{"KeyCapIsLower",
                   {},
                   maxDeclared(kInternal),
                   {"assistant", kConfidential, false},
                   "key bot may declare at most level internal"},
        AccessCase{
            "NothingDeclared", maxDeclared(kPublic), {}, {"assistant", {}, false}, std::nullopt},
        AccessCase{"TenantMayNotExplain",
                   noExplain(),
                   {},
                   {"assistant", {}, true},
                   "tenant acme may not call explain"},
        AccessCase{"KeyMayNotExplain",
                   {},
                   noExplain(),
                   {"assistant", {}, true},
                   "key bot may not call explain"},
        AccessCase{"ServingIsNotExplaining",
                   noExplain(),
                   noExplain(),
                   {"assistant", {}, false},
                   std::nullopt}),
    [](const ::testing::TestParamInfo<AccessCase>& info) { return info.param.name; });

} // namespace
} // namespace cordon::policy
