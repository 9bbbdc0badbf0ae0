#include "gateway/inspect.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace cordon::gateway {

Result<void> assessRequest(const config::Config& config, const classify::Classifier& classifier,
                           classify::Scratch& scratch, const protocol::ChatRequest& chat,
                           std::vector<classify::Finding>& buffer, policy::RequestFacts& facts,
                           std::vector<LocatedFinding>* located) {
  auto scan = [&](std::string_view text, auto&& place) -> Result<void> {
    buffer.clear();
    if (!classifier.scan(text, scratch, buffer)) {
      return makeError(Errc::Internal, "detection failed; the request was refused");
    }
    for (const auto& finding : buffer) {
      policy::countDetected(config, finding.type, facts);
      if (located != nullptr) {
        located->push_back({place(), finding});
      }
    }
    return {};
  };
  for (std::size_t m = 0; m < chat.messages.size(); ++m) {
    const protocol::Message& message = chat.messages[m];
    for (std::size_t p = 0; p < message.content.size(); ++p) {
      if (message.content[p].kind != protocol::ContentPart::Kind::Text) {
        continue;
      }
      if (auto scanned = scan(message.content[p].text,
                              [m, p] { return fmt::format("messages[{}].content[{}]", m, p); });
          !scanned) {
        return scanned;
      }
    }
    for (std::size_t c = 0; c < message.tool_calls.size(); ++c) {
      if (auto scanned =
              scan(message.tool_calls[c].arguments,
                   [m, c] { return fmt::format("messages[{}].tool_calls[{}].arguments", m, c); });
          !scanned) {
        return scanned;
      }
    }
  }
  // Until the pseudonymizer exists nothing can be sent pseudonymized: pseudonymizable entities
  // count in full, so no target becomes eligible "with pseudonymization".
  facts.residual_detected = facts.detected;
  return {};
}

std::string explanationJson(const config::Config& config, const config::Model& model,
                            const Explanation& explanation) {
  namespace json = boost::json;
  const policy::Decision& decision = explanation.decision;
  json::object root;
  root["model"] = model.name;
  root["level"] = config.levels[decision.level];
  root["declared"] = explanation.facts.declared
                         ? json::value(config.levels[*explanation.facts.declared])
                         : json::value(nullptr);
  json::array findings;
  for (const auto& located : explanation.findings) {
    const classify::Finding& finding = located.finding;
    const config::ResolvedEntity* policy = config.entityPolicy(finding.type);
    findings.push_back(json::object{
        {"type", finding.type},
        {"text", located.text},
        {"start", finding.start},
        {"end", finding.end},
        {"score", finding.score},
        {"level", config.levels[policy != nullptr ? policy->level : config.levels.size() - 1]}});
  }
  root["findings"] = std::move(findings);
  json::array targets;
  for (const auto& verdict : decision.verdicts) {
    const config::Target& target = model.targets[verdict.target];
    const config::Backend& backend = config.backends[target.backend];
    const config::Boundary& boundary = config.boundaryOf(backend);
    targets.push_back(json::object{
        {"target", fmt::format("{}:{}", backend.name, target.model)},
        {"backend", backend.name},
        {"boundary", boundary.name},
        {"region", boundary.region},
        {"eligible", verdict.eligible},
        {"pseudonymized", verdict.eligible && verdict.delivery == policy::Delivery::Pseudonymized},
        {"reason", verdict.reason}});
  }
  root["targets"] = std::move(targets);
  if (decision.allowed()) {
    const auto& first = model.targets[decision.verdicts[decision.eligible.front()].target];
    root["decision"] = json::object{
        {"action", "send"},
        {"target", fmt::format("{}:{}", config.backends[first.backend].name, first.model)}};
  } else {
    root["decision"] = json::object{{"action", "refuse"}, {"rule", *decision.refusal}};
  }
  return json::serialize(root);
}

} // namespace cordon::gateway
