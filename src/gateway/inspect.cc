#include "gateway/inspect.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace cordon::gateway {

std::string contentPlace(std::size_t message, std::size_t part) {
  return fmt::format("messages[{}].content[{}]", message, part);
}

std::string argumentsPlace(std::size_t message, std::size_t call) {
  return fmt::format("messages[{}].tool_calls[{}].arguments", message, call);
}

Result<void> assessRequest(const config::Config& config, const classify::Classifier& classifier,
                           classify::Scratch& scratch, const protocol::ChatRequest& chat,
                           std::vector<classify::Finding>& buffer, policy::RequestFacts& facts,
                           std::vector<LocatedFinding>* located,
                           std::vector<TextFinding>* pseudonymizable) {
  Result<void> result;
  std::uint32_t index = 0;
  forEachText(chat, [&](const std::string& text, auto&& place) {
    const std::uint32_t text_index = index++;
    if (!result) {
      return;
    }
    buffer.clear();
    if (!classifier.scan(text, scratch, buffer)) {
      result = makeError(Errc::Internal, "detection failed; the request was refused");
      return;
    }
    for (const auto& finding : buffer) {
      policy::countDetected(config, finding.type, facts);
      if (located != nullptr) {
        located->push_back({place(), finding});
      }
      if (pseudonymizable != nullptr) {
        const config::ResolvedEntity* policy = config.entityPolicy(finding.type);
        if (policy != nullptr && policy->pseudonymize) {
          pseudonymizable->push_back({text_index, finding});
        }
      }
    }
  });
  return result;
}

PseudonymizedRequest pseudonymizeRequest(const protocol::ChatRequest& chat,
                                         const std::vector<TextFinding>& findings) {
  PseudonymizedRequest out{chat, {}};
  pseudonymize::Pseudonymizer pseudonymizer;
  forEachText(out.chat,
              [&](const std::string& text, auto&& /*place*/) { pseudonymizer.reserve(text); });
  std::uint32_t index = 0;
  std::size_t next = 0;
  std::vector<classify::Finding> own;
  forEachText(out.chat, [&](std::string& text, auto&& /*place*/) {
    const std::uint32_t text_index = index++;
    own.clear();
    while (next < findings.size() && findings[next].text == text_index) {
      own.push_back(findings[next++].finding);
    }
    if (!own.empty()) {
      text = pseudonymizer.apply(text, own, [](std::string_view /*type*/) { return true; });
    }
  });
  out.placeholders = std::move(pseudonymizer).take();
  return out;
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
    json::object entry{
        {"target", fmt::format("{}:{}", backend.name, target.model)},
        {"backend", backend.name},
        {"boundary", boundary.name},
        {"region", boundary.region},
        {"eligible", verdict.eligible},
        {"pseudonymized", verdict.eligible && verdict.delivery == policy::Delivery::Pseudonymized},
        {"reason", verdict.reason}};
    if (!explanation.circuits.empty()) {
      entry["circuit"] = explanation.circuits[target.backend];
    }
    targets.push_back(std::move(entry));
  }
  root["targets"] = std::move(targets);
  if (decision.allowed()) {
    // The target serving would try first: eligible, and not skipped for an open circuit.
    std::size_t chosen = decision.eligible.front();
    for (const std::size_t index : decision.eligible) {
      const std::size_t backend = model.targets[decision.verdicts[index].target].backend;
      if (explanation.circuits.empty() || explanation.circuits[backend] != "open") {
        chosen = index;
        break;
      }
    }
    const auto& first = model.targets[decision.verdicts[chosen].target];
    root["decision"] = json::object{
        {"action", "send"},
        {"target", fmt::format("{}:{}", config.backends[first.backend].name, first.model)}};
  } else {
    root["decision"] = json::object{{"action", "refuse"}, {"rule", *decision.refusal}};
  }
  return json::serialize(root);
}

} // namespace cordon::gateway
