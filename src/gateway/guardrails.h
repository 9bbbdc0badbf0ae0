// The guardrails of one request (docs/guardrails.md): which apply (the model's and the tenant's),
// and what their actions do to the request and its answer. Input checks run after the prompt
// template is applied and before classification; answer checks run on the restored answer, whole
// or streamed. What fired is recorded by name in `fired` (for the audit), never what matched.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cordon/classify/classifier.h"
#include "cordon/common/result.h"
#include "cordon/config/config.h"
#include "cordon/guard/guard.h"
#include "cordon/protocol/chat.h"

namespace cordon::gateway {

/// Guardrail name -> what was done ("denied", "redacted", "flagged"), as the audit records it.
using FiredGuardrails = std::map<std::string, std::string>;

/// The guardrails that apply to a request: the model's, then the tenant's, each once.
std::vector<const config::Guardrail*> guardrailsFor(const config::Config& config,
                                                    const config::Model& model,
                                                    const config::Tenant& tenant);

/// Runs the input guardrails on `chat`: size and message limits, deny lists, the injection score.
/// `deny` returns Errc::PolicyViolation naming the guardrail (never the text); `redact` rewrites
/// the matched text in `chat`; `flag` only records. Errc::Internal when a scan fails.
Result<void> checkInput(const std::vector<const config::Guardrail*>& guardrails,
                        const config::Config& config, const guard::DenyLists& deny_lists,
                        guard::DenyLists::Scratch& scratch, protocol::ChatRequest& chat,
                        FiredGuardrails& fired);

/// True when any of `guardrails` looks at answers (output_entities, json_output).
bool watchesAnswers(const std::vector<const config::Guardrail*>& guardrails);

/// What the answer guardrails need to know about the request.
struct AnswerWatch {
  const config::Guardrail* entities = nullptr; ///< The output_entities guardrail, if any.
  const config::Guardrail* json = nullptr;     ///< The json_output guardrail, if it applies.
  std::vector<std::string> request_values;     ///< Entity values the request itself carried.
};

/// The answer guardrails of a request: the first output_entities guardrail, and json_output when
/// the request asked for `response_format: json_object` (OpenAI) — other requests are not held to
/// JSON.
AnswerWatch answerWatch(const std::vector<const config::Guardrail*>& guardrails,
                        const protocol::ChatRequest& chat);

/// Checks a whole answer: redacts or refuses (Errc::PolicyViolation) entities the request did not
/// carry; refuses (Errc::UpstreamFailed) or flags an answer that is not JSON when JSON was asked
/// for. `scan` runs the detectors.
Result<void> checkAnswer(const AnswerWatch& watch, const guard::StreamScreen::Scan& scan,
                         protocol::ChatResponse& answer, FiredGuardrails& fired);

} // namespace cordon::gateway
