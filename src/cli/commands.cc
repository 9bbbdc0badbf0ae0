#include "cli/commands.h"

#include <charconv>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "cordon/common/sha256.h"
#include "cordon/policy/decision.h"
#include "cordon/protocol/openai.h"
#include "gateway/gateway.h"
#include "gateway/inspect.h"

namespace cordon::cli {
namespace {

std::string targetName(const config::Config& config, const config::Target& target) {
  return fmt::format("{}:{}", config.backends[target.backend].name, target.model);
}

std::string tenantSummary(const config::Config& config, const config::Tenant& tenant) {
  std::string summary = tenant.residency.empty()
                            ? std::string("residency any")
                            : fmt::format("residency {}", fmt::join(tenant.residency, ", "));
  if (tenant.floor) {
    summary += fmt::format("; floor {}", config.levels[*tenant.floor]);
  }
  return summary;
}

} // namespace

void printCheck(const config::Config& config, std::ostream& out) {
  fmt::print(out, "config {}: OK\n\n", config.source);
  fmt::print(out, "levels: {}\n\n", fmt::join(config.levels, " < "));
  fmt::print(out, "boundaries:\n");
  for (const auto& boundary : config.boundaries) {
    fmt::print(out, "  {:<14} clearance {:<14} region {:<8} {}\n", boundary.name,
               config.levels[boundary.clearance], boundary.region, boundary.note);
  }
  fmt::print(out, "\nbackends:\n");
  for (const auto& backend : config.backends) {
    fmt::print(out, "  {:<14} boundary {:<12} {:<9} {}\n", backend.name,
               config.boundaryOf(backend).name,
               backend.protocol == config::Protocol::OpenAi ? "openai" : "anthropic", backend.url);
  }
  fmt::print(out, "\nmodels (which targets each tenant reaches at each request level, in "
                  "preference order):\n");
  for (const auto& model : config.models) {
    std::vector<std::string> targets;
    for (const auto& target : model.targets) {
      targets.push_back(targetName(config, target));
    }
    fmt::print(out, "  {}  [{}]  pseudonymize: {}\n", model.name, fmt::join(targets, ", "),
               model.pseudonymize == config::PseudonymizeMode::Auto ? "auto" : "never");
    for (const auto& tenant : config.tenants) {
      fmt::print(out, "    tenant {} ({})\n", tenant.name, tenantSummary(config, tenant));
      for (std::size_t index = 0; index < config.levels.size(); ++index) {
        const auto level = static_cast<config::LevelIndex>(index);
        policy::RequestFacts facts;
        facts.declared = level;
        const auto decision = policy::decide(config, tenant, nullptr, model, facts);
        std::vector<std::string> reachable;
        for (std::size_t index : decision.eligible) {
          reachable.push_back(targetName(config, model.targets[decision.verdicts[index].target]));
        }
        const std::string label = decision.level == level
                                      ? config.levels[level]
                                      : fmt::format("{} (floor: {})", config.levels[level],
                                                    config.levels[decision.level]);
        fmt::print(out, "      {:<30} -> {}\n", label,
                   reachable.empty() ? std::string("REFUSED (403 policy_violation)")
                                     : fmt::format("{}", fmt::join(reachable, ", ")));
      }
      if (model.pseudonymize != config::PseudonymizeMode::Auto) {
        continue;
      }
      // The rows above are declared levels, which no placeholder can lower. A level that only
      // detected, pseudonymizable entities raise reaches more targets: those that may see the
      // request with them replaced.
      for (std::size_t index = 1; index < config.levels.size(); ++index) {
        policy::RequestFacts facts;
        facts.detected = static_cast<config::LevelIndex>(index);
        const auto decision = policy::decide(config, tenant, nullptr, model, facts);
        std::vector<std::string> reachable;
        for (std::size_t eligible : decision.eligible) {
          const auto& verdict = decision.verdicts[eligible];
          reachable.push_back(fmt::format(
              "{}{}", targetName(config, model.targets[verdict.target]),
              verdict.delivery == policy::Delivery::Pseudonymized ? " (pseudonymized)" : ""));
        }
        fmt::print(out, "      {:<30} -> {}\n",
                   fmt::format("{}, pseudonymizable", config.levels[index]),
                   reachable.empty() ? std::string("REFUSED (403 policy_violation)")
                                     : fmt::format("{}", fmt::join(reachable, ", ")));
      }
    }
  }
  if (!config.audit.enabled()) {
    fmt::print(out,
               "\nwarning: the audit is off (audit.sink: none): no request will be recorded\n");
  }
  const auto problems = gateway::servingProblems(config);
  for (const auto& problem : problems) {
    fmt::print(out, "\nwarning: {} (serve refuses this config until it is fixed)", problem);
  }
  if (!problems.empty()) {
    fmt::print(out, "\n");
  }
}

int printExplain(const gateway::Snapshot& snapshot, std::string_view tenant_name,
                 std::optional<std::string> declared, std::string_view body, std::ostream& out,
                 std::ostream& err) {
  const config::Config& config = *snapshot.config;
  const config::Tenant* tenant = config.findTenant(tenant_name);
  if (tenant == nullptr) {
    fmt::print(err, "error: no tenant named {} in {}\n", tenant_name, config.source);
    return 2;
  }
  auto request = protocol::decodeOpenAiChatRequest(body);
  if (!request) {
    fmt::print(err, "error: {}\n", request.error().detail);
    return 2;
  }
  const config::Model* model = config.findModel(request->model);
  if (model == nullptr) {
    fmt::print(err, "error: the request's model is not configured\n");
    return 2;
  }
  policy::RequestFacts facts;
  if (declared) {
    facts.declared = config.findLevel(*declared);
    if (!facts.declared) {
      fmt::print(err, "error: level must be one of: {}\n", fmt::join(config.levels, ", "));
      return 2;
    }
  }
  const classify::ScratchPtr scratch = snapshot.classifier->makeScratch();
  std::vector<classify::Finding> buffer;
  std::vector<gateway::LocatedFinding> findings;
  if (!scratch || !gateway::assessRequest(config, *snapshot.classifier, *scratch, *request, buffer,
                                          facts, &findings)) {
    fmt::print(err, "error: detection failed\n");
    return 1;
  }
  const auto decision = policy::decide(config, *tenant, nullptr, *model, facts);
  fmt::print(out, "tenant {} ({}), model {}\n", tenant->name, tenantSummary(config, *tenant),
             model->name);
  fmt::print(out, "findings: {}\n", findings.empty() ? "none" : "");
  for (const auto& located : findings) {
    const config::ResolvedEntity* policy = config.entityPolicy(located.finding.type);
    fmt::print(out, "  {:<38} {:<20} bytes {}-{}  score {:.2f}  -> level {}{}\n", located.text,
               located.finding.type, located.finding.start, located.finding.end,
               located.finding.score,
               config.levels[policy != nullptr ? policy->level : config.levels.size() - 1],
               policy != nullptr && policy->action == config::EntityAction::Deny ? ", deny" : "");
  }
  fmt::print(out, "level: {}{}\n", config.levels[decision.level],
             facts.declared ? fmt::format(" (declared {})", config.levels[*facts.declared]) : "");
  for (const auto& verdict : decision.verdicts) {
    const auto& target = model->targets[verdict.target];
    fmt::print(out, "  {:<40} {:<10} {}\n", targetName(config, target),
               verdict.eligible
                   ? (verdict.delivery == policy::Delivery::AsIs ? "eligible" : "if pseudo.")
                   : "excluded",
               verdict.reason);
  }
  if (decision.allowed()) {
    const auto& first = model->targets[decision.verdicts[decision.eligible.front()].target];
    fmt::print(out, "decision: send to {} (then the other eligible targets on failure)\n",
               targetName(config, first));
  } else {
    fmt::print(out, "decision: refuse (403 policy_violation): {}\n", *decision.refusal);
  }
  return 0;
}

void printNewKey(std::ostream& out) {
  const std::string key = "ck-" + randomHex(24);
  if (key.size() != 3 + 48) {
    throw std::runtime_error("the random generator failed");
  }
  fmt::print(out,
             "key:    {}\nsha256: {}\n\nadd to a tenant in cordon.yaml:\n"
             "  keys:\n    - {{ name: NAME, sha256: \"{}\" }}\n",
             key, toHex(sha256(key)), toHex(sha256(key)));
}

std::optional<std::pair<std::string, std::uint16_t>> parseHostPort(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::nullopt;
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

} // namespace cordon::cli
