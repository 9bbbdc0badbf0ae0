// What a request carries and what policy makes of it, written once for serving, `cordon explain`
// and POST /v1/cordon/explain: they all call assessRequest() and policy::decide(). No I/O here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cordon/classify/classifier.h"
#include "cordon/common/result.h"
#include "cordon/config/config.h"
#include "cordon/policy/decision.h"
#include "cordon/protocol/chat.h"

namespace cordon::gateway {

/// A finding and the text of the request it is in, e.g. "messages[1].content[0]" or
/// "messages[2].tool_calls[0].arguments". Offsets are bytes into that text.
struct LocatedFinding {
  std::string text;
  classify::Finding finding;
};

/// Scans every text of `chat` (message contents of every role, content parts, tool-call
/// arguments) and counts each finding into `facts` (whose `declared` the caller has set).
/// `buffer` is reused space for findings; `located`, when given, receives every finding with its
/// place (explain does; serving does not pay for it). Errc::Internal when the detector fails:
/// callers refuse the request.
Result<void> assessRequest(const config::Config& config, const classify::Classifier& classifier,
                           classify::Scratch& scratch, const protocol::ChatRequest& chat,
                           std::vector<classify::Finding>& buffer, policy::RequestFacts& facts,
                           std::vector<LocatedFinding>* located = nullptr);

/// The explanation of one request: its findings, the decision with a verdict per target.
struct Explanation {
  std::vector<LocatedFinding> findings;
  policy::RequestFacts facts;
  policy::Decision decision;
};

/// JSON for POST /v1/cordon/explain: level, declared level, findings (type, text, start, end,
/// score — never the value), one entry per target with eligibility and reason, and the outcome.
std::string explanationJson(const config::Config& config, const config::Model& model,
                            const Explanation& explanation);

} // namespace cordon::gateway
