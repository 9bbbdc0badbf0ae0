#include "cordon/policy/decision.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cordon::policy {
namespace {

LevelIndex raise(LevelIndex level, const std::optional<LevelIndex>& other) {
  return other ? std::max(level, *other) : level;
}

bool regionAllowed(const config::Tenant& tenant, const std::string& region) {
  return tenant.residency.empty() || std::find(tenant.residency.begin(), tenant.residency.end(),
                                               region) != tenant.residency.end();
}

} // namespace

void countDetected(const config::Config& config, std::string_view type, RequestFacts& facts) {
  const config::ResolvedEntity* policy = config.entityPolicy(type);
  const auto top = static_cast<LevelIndex>(config.levels.size() - 1);
  const LevelIndex level = policy != nullptr ? policy->level : top;
  facts.detected = std::max(facts.detected, level);
  if (policy == nullptr || !policy->pseudonymize) {
    facts.residual_detected = std::max(facts.residual_detected, level);
  }
  if (policy != nullptr && policy->action == config::EntityAction::Deny && !facts.denied_entity) {
    facts.denied_entity = std::string(type);
  }
  if (policy != nullptr && policy->secret && !facts.secret) {
    facts.secret = std::string(type);
  }
  if (auto found = facts.entity_counts.find(type); found != facts.entity_counts.end()) {
    ++found->second;
  } else {
    facts.entity_counts.emplace(type, 1U);
  }
}

Decision decide(const config::Config& config, const config::Tenant& tenant,
                const config::ApiKey* key, const config::Model& model, const RequestFacts& facts) {
  Decision decision;
  // Declared and floor levels count for both: only detected entities can be pseudonymized away.
  LevelIndex base = raise(0, facts.declared);
  base = raise(base, tenant.floor);
  base = raise(base, key != nullptr ? key->floor : std::nullopt);
  decision.level = std::max(base, facts.detected);
  decision.residual_level = std::max(base, facts.residual_detected);
  const auto& level_name = config.levels[decision.level];
  const auto& residual_name = config.levels[decision.residual_level];
  const bool may_pseudonymize = model.pseudonymize == config::PseudonymizeMode::Auto;
  const auto top = static_cast<LevelIndex>(config.levels.size() - 1);

  decision.verdicts.reserve(model.targets.size());
  for (std::size_t i = 0; i < model.targets.size(); ++i) {
    const auto& backend = config.backends[model.targets[i].backend];
    const auto& boundary = config.boundaries[backend.boundary];
    const auto& clearance_name = config.levels[boundary.clearance];
    TargetVerdict verdict;
    verdict.target = i;
    if (!regionAllowed(tenant, boundary.region)) {
      verdict.reason = fmt::format("region {} of boundary {} is outside tenant {} residency [{}]",
                                   boundary.region, boundary.name, tenant.name,
                                   fmt::join(tenant.residency, ", "));
    } else if (facts.secret && boundary.clearance < top) {
      verdict.reason =
          fmt::format("the request carries a secret ({}), which goes only to a "
                      "boundary of clearance {}; boundary {} has {}",
                      *facts.secret, config.levels[top], boundary.name, clearance_name);
    } else if (decision.level <= boundary.clearance) {
      verdict.eligible = true;
      verdict.reason = fmt::format("boundary {} clearance {} covers level {}", boundary.name,
                                   clearance_name, level_name);
    } else if (!may_pseudonymize) {
      verdict.reason = fmt::format("boundary {} clearance {} is below level {}", boundary.name,
                                   clearance_name, level_name);
    } else if (decision.residual_level <= boundary.clearance) {
      verdict.eligible = true;
      verdict.delivery = Delivery::Pseudonymized;
      verdict.reason = fmt::format(
          "boundary {} clearance {} is below level {} but covers pseudonymized level {}",
          boundary.name, clearance_name, level_name, residual_name);
    } else {
      verdict.reason =
          fmt::format("boundary {} clearance {} is below level {} even when pseudonymized ({})",
                      boundary.name, clearance_name, level_name, residual_name);
    }
    if (verdict.eligible) {
      decision.eligible.push_back(i);
    }
    decision.verdicts.push_back(std::move(verdict));
  }

  if (facts.denied_entity) {
    decision.eligible.clear();
    decision.refusal = fmt::format("entity type {} is denied (entities.{}.action: deny)",
                                   *facts.denied_entity, *facts.denied_entity);
  } else if (decision.eligible.empty()) {
    decision.refusal =
        fmt::format("no target of model {} is allowed to receive level {} for tenant {}",
                    model.name, level_name, tenant.name);
  }
  return decision;
}

namespace {

std::optional<std::string> ruleRefusal(const config::Config& config, const config::Access& access,
                                       std::string_view who, const AccessRequest& request) {
  if (access.models && std::find(access.models->begin(), access.models->end(), request.model) ==
                           access.models->end()) {
    return fmt::format("access: {} may not use model {} (its models: {})", who, request.model,
                       fmt::join(*access.models, ", "));
  }
  if (request.declared && access.max_declared && *request.declared > *access.max_declared) {
    return fmt::format("access: {} may declare at most level {}", who,
                       config.levels[*access.max_declared]);
  }
  if (request.explain && !access.explain) {
    return fmt::format("access: {} may not call explain", who);
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> accessRefusal(const config::Config& config, const config::Tenant& tenant,
                                         const config::ApiKey* key, const AccessRequest& request) {
  if (auto refused =
          ruleRefusal(config, tenant.access, fmt::format("tenant {}", tenant.name), request)) {
    return refused;
  }
  if (key != nullptr) {
    return ruleRefusal(config, key->access, fmt::format("key {}", key->name), request);
  }
  return std::nullopt;
}

} // namespace cordon::policy
