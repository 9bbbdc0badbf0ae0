#include "gateway/guardrails.h"

#include <algorithm>

#include <fmt/format.h>

#include "gateway/inspect.h"

namespace cordon::gateway {
namespace {

using config::GuardAction;
using config::GuardKind;

std::string_view done(GuardAction action) {
  switch (action) {
  case GuardAction::Deny:
    return "denied";
  case GuardAction::Redact:
    return "redacted";
  case GuardAction::Flag:
    return "flagged";
  }
  return "flagged";
}

Error refusal(const config::Guardrail& guardrail, std::string_view why) {
  return makeError(Errc::PolicyViolation, fmt::format("guardrail {}: {}", guardrail.name, why));
}

/// Records what `guardrail` did; a refusal for `deny`.
Result<void> fire(const config::Guardrail& guardrail, std::string_view why,
                  FiredGuardrails& fired) {
  fired[guardrail.name] = std::string(done(guardrail.action));
  if (guardrail.action == GuardAction::Deny) {
    return refusal(guardrail, why);
  }
  return {};
}

Result<void> checkSize(const config::Guardrail& guardrail, const protocol::ChatRequest& chat,
                       FiredGuardrails& fired) {
  if (guardrail.kind == GuardKind::MaxMessages) {
    if (chat.messages.size() > guardrail.limit) {
      return fire(guardrail,
                  fmt::format("{} messages, more than {}", chat.messages.size(), guardrail.limit),
                  fired);
    }
    return {};
  }
  std::size_t bytes = 0;
  forEachText(chat, [&bytes](const std::string& text, auto&& /*place*/) { bytes += text.size(); });
  if (bytes > guardrail.limit) {
    return fire(guardrail,
                fmt::format("the prompt is {} bytes, more than {}", bytes, guardrail.limit), fired);
  }
  return {};
}

Result<void> checkDenyLists(const std::vector<const config::Guardrail*>& guardrails,
                            const config::Config& config, const guard::DenyLists& deny_lists,
                            guard::DenyLists::Scratch& scratch, protocol::ChatRequest& chat,
                            FiredGuardrails& fired) {
  const auto applies = [&](std::size_t index) {
    return std::any_of(guardrails.begin(), guardrails.end(),
                       [&](const config::Guardrail* g) { return g == &config.guardrails[index]; });
  };
  std::vector<guard::DenyLists::Match> matches;
  Result<void> outcome;
  forEachText(chat, [&](std::string& text, auto&& /*place*/) {
    if (!outcome) {
      return;
    }
    matches.clear();
    if (auto scanned = deny_lists.scan(text, scratch, matches); !scanned) {
      outcome = scanned;
      return;
    }
    std::vector<guard::Span> redacted;
    for (const auto& match : matches) {
      if (!applies(match.guardrail)) {
        continue;
      }
      const config::Guardrail& guardrail = config.guardrails[match.guardrail];
      if (auto fired_now = fire(guardrail, "the prompt contains a denied term", fired);
          !fired_now) {
        outcome = fired_now;
        return;
      }
      if (guardrail.action == GuardAction::Redact) {
        redacted.push_back(match.span);
      }
    }
    if (!redacted.empty()) {
      text = guard::redact(text, std::move(redacted), "[REDACTED]");
    }
  });
  return outcome;
}

/// The texts an injection comes in through: user and tool messages, and the tool calls an
/// assistant message carries. System and developer prompts are the operator's (a template may
/// well warn about the very phrases the rules look for).
template <typename Visit> void forEachUntrustedText(protocol::ChatRequest& chat, Visit&& visit) {
  for (auto& message : chat.messages) {
    if (message.role == protocol::Role::System || message.role == protocol::Role::Developer) {
      continue;
    }
    for (auto& part : message.content) {
      if (part.kind == protocol::ContentPart::Kind::Text) {
        visit(part.text);
      }
    }
    for (auto& call : message.tool_calls) {
      visit(call.arguments);
    }
  }
}

Result<void> checkInjection(const config::Guardrail& guardrail, protocol::ChatRequest& chat,
                            FiredGuardrails& fired) {
  double score = 0;
  forEachUntrustedText(chat, [&score](const std::string& text) {
    score = std::max(score, guard::assessInjection(text).score);
  });
  if (score < guardrail.threshold) {
    return {};
  }
  if (auto fired_now =
          fire(guardrail,
               fmt::format("the prompt looks like an injection (score {:.2f}, threshold {:.2f})",
                           score, guardrail.threshold),
               fired);
      !fired_now) {
    return fired_now;
  }
  if (guardrail.action == GuardAction::Redact) {
    forEachUntrustedText(chat, [](std::string& text) { text = guard::stripHiddenText(text); });
  }
  return {};
}

/// The answer's text parts joined (what JSON validity is judged on).
std::string answerText(const protocol::Message& message) {
  std::string text;
  for (const auto& part : message.content) {
    text += part.text;
  }
  return text;
}

bool asksForJson(const protocol::ChatRequest& chat) {
  return std::any_of(chat.passthrough.begin(), chat.passthrough.end(),
                     [](const protocol::PassthroughField& field) {
                       return field.name == "response_format" &&
                              field.json.find("\"json_object\"") != std::string::npos;
                     });
}

} // namespace

std::vector<const config::Guardrail*> guardrailsFor(const config::Config& config,
                                                    const config::Model& model,
                                                    const config::Tenant& tenant) {
  std::vector<const config::Guardrail*> all;
  for (const auto* list : {&model.guardrails, &tenant.guardrails}) {
    for (const std::size_t index : *list) {
      const config::Guardrail* guardrail = &config.guardrails[index];
      if (std::find(all.begin(), all.end(), guardrail) == all.end()) {
        all.push_back(guardrail);
      }
    }
  }
  return all;
}

Result<void> checkInput(const std::vector<const config::Guardrail*>& guardrails,
                        const config::Config& config, const guard::DenyLists& deny_lists,
                        guard::DenyLists::Scratch& scratch, protocol::ChatRequest& chat,
                        FiredGuardrails& fired) {
  bool deny_lists_apply = false;
  for (const config::Guardrail* guardrail : guardrails) {
    Result<void> checked;
    switch (guardrail->kind) {
    case GuardKind::MaxPromptBytes:
    case GuardKind::MaxMessages:
      checked = checkSize(*guardrail, chat, fired);
      break;
    case GuardKind::PromptInjection:
      checked = checkInjection(*guardrail, chat, fired);
      break;
    case GuardKind::DenyWords:
    case GuardKind::DenyRegex:
      deny_lists_apply = true;
      break;
    default:
      break; // answer guardrails
    }
    if (!checked) {
      return checked;
    }
  }
  if (deny_lists_apply) {
    return checkDenyLists(guardrails, config, deny_lists, scratch, chat, fired);
  }
  return {};
}

bool watchesAnswers(const std::vector<const config::Guardrail*>& guardrails) {
  return std::any_of(guardrails.begin(), guardrails.end(), [](const config::Guardrail* g) {
    return g->kind == GuardKind::OutputEntities || g->kind == GuardKind::JsonOutput;
  });
}

AnswerWatch answerWatch(const std::vector<const config::Guardrail*>& guardrails,
                        const protocol::ChatRequest& chat) {
  AnswerWatch watch;
  for (const config::Guardrail* guardrail : guardrails) {
    if (guardrail->kind == GuardKind::OutputEntities && watch.entities == nullptr) {
      watch.entities = guardrail;
    }
    if (guardrail->kind == GuardKind::JsonOutput && watch.json == nullptr && asksForJson(chat)) {
      watch.json = guardrail;
    }
  }
  return watch;
}

Result<void> checkAnswer(const AnswerWatch& watch, const guard::StreamScreen::Scan& scan,
                         protocol::ChatResponse& answer, FiredGuardrails& fired) {
  for (auto& choice : answer.choices) {
    if (watch.entities != nullptr) {
      const config::Guardrail& guardrail = *watch.entities;
      for (auto& part : choice.message.content) {
        auto findings = scan(part.text);
        if (!findings) {
          return findings.error();
        }
        const auto unseen =
            guard::unseenFindings(part.text, *findings, watch.request_values, guardrail.entities);
        if (unseen.empty()) {
          continue;
        }
        if (auto fired_now =
                fire(guardrail,
                     fmt::format("the answer contains {} the request did not", unseen.front().type),
                     fired);
            !fired_now) {
          return fired_now;
        }
        if (guardrail.action == GuardAction::Redact) {
          std::vector<guard::Span> spans;
          spans.reserve(unseen.size());
          for (const auto& finding : unseen) {
            spans.push_back({finding.start, finding.end});
          }
          part.text = guard::redact(part.text, std::move(spans), "[REDACTED]");
        }
      }
    }
    if (watch.json != nullptr && !guard::isValidJson(answerText(choice.message))) {
      fired[watch.json->name] = std::string(done(watch.json->action));
      if (watch.json->action == GuardAction::Deny) {
        return makeError(Errc::UpstreamFailed,
                         fmt::format("guardrail {}: the answer is not valid JSON although "
                                     "response_format json_object was asked for",
                                     watch.json->name));
      }
    }
  }
  return {};
}

} // namespace cordon::gateway
