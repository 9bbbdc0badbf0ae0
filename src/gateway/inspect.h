// What a request carries and what policy makes of it, written once for serving, `cordon explain`
// and POST /v1/cordon/explain: they all call assessRequest() and policy::decide(). No I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/classify/classifier.h"
#include "cordon/common/result.h"
#include "cordon/config/config.h"
#include "cordon/policy/decision.h"
#include "cordon/protocol/chat.h"
#include "cordon/pseudonymize/pseudonymizer.h"

namespace cordon::gateway {

/// A finding and the text of the request it is in, e.g. "messages[1].content[0]" or
/// "messages[2].tool_calls[0].arguments". Offsets are bytes into that text.
struct LocatedFinding {
  std::string text;
  classify::Finding finding;
};

/// A finding in the request's `text`-th text, counted in the order forEachText() visits them.
struct TextFinding {
  std::uint32_t text = 0;
  classify::Finding finding;
};

/// Where a text of the request is, as explain names it: "messages[1].content[0]",
/// "messages[2].tool_calls[0].arguments".
std::string contentPlace(std::size_t message, std::size_t part);
std::string argumentsPlace(std::size_t message, std::size_t call);

/// Calls `visit(text, place)` for every text of `chat` that detection scans and
/// pseudonymization rewrites, in one fixed order: per message, its text content parts, then its
/// tool-call arguments. `text` is a (const or not, like `chat`) std::string reference; `place()`
/// formats where it is ("messages[1].content[0]"), only when called.
template <typename Chat, typename Visit> void forEachText(Chat& chat, Visit&& visit) {
  for (std::size_t m = 0; m < chat.messages.size(); ++m) {
    auto& message = chat.messages[m];
    for (std::size_t p = 0; p < message.content.size(); ++p) {
      if (message.content[p].kind == protocol::ContentPart::Kind::Text) {
        visit(message.content[p].text, [m, p] { return contentPlace(m, p); });
      }
    }
    for (std::size_t c = 0; c < message.tool_calls.size(); ++c) {
      visit(message.tool_calls[c].arguments, [m, c] { return argumentsPlace(m, c); });
    }
  }
}

/// Scans every text of `chat` (forEachText) and counts each finding into `facts` (whose
/// `declared` the caller has set). `buffer` is reused space for findings; `located`, when given,
/// receives every finding with its place (explain does; serving does not pay for it);
/// `pseudonymizable`, when given, receives the findings whose type may be pseudonymized, for
/// pseudonymizeRequest(). Errc::Internal when the detector fails: callers refuse the request.
Result<void> assessRequest(const config::Config& config, const classify::Classifier& classifier,
                           classify::Scratch& scratch, const protocol::ChatRequest& chat,
                           std::vector<classify::Finding>& buffer, policy::RequestFacts& facts,
                           std::vector<LocatedFinding>* located = nullptr,
                           std::vector<TextFinding>* pseudonymizable = nullptr);

/// The request as a target that may only see it pseudonymized receives it, and the placeholders
/// to restore its answer with.
struct PseudonymizedRequest {
  protocol::ChatRequest chat;
  pseudonymize::PlaceholderMap placeholders;
};

/// Replaces every finding of `findings` (assessRequest's `pseudonymizable`, for this very
/// `chat`) by its placeholder, in a copy of `chat`.
PseudonymizedRequest pseudonymizeRequest(const protocol::ChatRequest& chat,
                                         const std::vector<TextFinding>& findings);

/// The explanation of one request: its findings, the decision with a verdict per target.
struct Explanation {
  std::vector<LocatedFinding> findings;
  policy::RequestFacts facts;
  policy::Decision decision;
  /// The circuit state of each backend (Config::backends order: "closed", "open", "half_open")
  /// as the serving gateway sees it now; empty where nothing is known (`cordon explain` offline).
  std::vector<std::string_view> circuits = {};
};

/// JSON for POST /v1/cordon/explain: level, declared level, findings (type, text, start, end,
/// score — never the value), one entry per target with eligibility and reason (and its circuit
/// state when known), and the outcome: the first eligible target whose circuit is not open.
std::string explanationJson(const config::Config& config, const config::Model& model,
                            const Explanation& explanation);

} // namespace cordon::gateway
