// policy::decide on the three-boundary config of PRODUCT.md §2 (onprem, eu-cloud, us-cloud; a
// model with three targets), built in code so only the decision is measured.
#include <benchmark/benchmark.h>

#include "cordon/policy/decision.h"

namespace {

using cordon::config::LevelIndex;
constexpr LevelIndex kInternal = 1;
constexpr LevelIndex kConfidential = 2;
constexpr LevelIndex kRestricted = 3;

cordon::config::Config makeConfig() {
  cordon::config::Config cfg;
  cfg.levels = {"public", "internal", "confidential", "restricted"};
  cfg.boundaries = {{"onprem", kRestricted, "eu-de", ""},
                    {"eu-cloud", kConfidential, "eu", ""},
                    {"us-cloud", kInternal, "us", ""}};
  cfg.backends.resize(3);
  cfg.backends[0].name = "local-llama";
  cfg.backends[0].boundary = 0;
  cfg.backends[1].name = "azure-eu";
  cfg.backends[1].boundary = 1;
  cfg.backends[2].name = "claude";
  cfg.backends[2].boundary = 2;
  cordon::config::Model model;
  model.name = "assistant";
  model.targets = {{2, "claude-sonnet-4-5"}, {1, "gpt-4o"}, {0, "llama-3.1-8b-instruct"}};
  model.pseudonymize = cordon::config::PseudonymizeMode::Auto;
  cfg.models.push_back(model);
  cordon::config::Tenant tenant;
  tenant.name = "acme";
  tenant.residency = {"eu", "eu-de"};
  tenant.floor = kInternal;
  cordon::config::ApiKey key;
  key.name = "support-bot";
  tenant.keys.push_back(key);
  cfg.tenants.push_back(tenant);
  return cfg;
}

/// range(0) = 0: nothing detected; 1: confidential entities that may be pseudonymized.
void bmPolicyDecide(benchmark::State& state) {
  const cordon::config::Config cfg = makeConfig();
  cordon::policy::RequestFacts facts;
  if (state.range(0) == 1) {
    facts.detected = kConfidential;
    facts.residual_detected = kInternal;
  }
  const auto& tenant = cfg.tenants[0];
  for (auto _ : state) {
    auto decision = cordon::policy::decide(cfg, tenant, tenant.keys.data(), cfg.models[0], facts);
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(bmPolicyDecide)->ArgName("pii")->Arg(0)->Arg(1);

} // namespace
