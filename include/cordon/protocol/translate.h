// What crosses between the OpenAI and Anthropic protocols, and what does not. A parameter one
// side lacks is mapped by a documented rule, dropped where dropping changes nothing about the
// answer, or refused with a 400 that names it: never silently dropped when it changes meaning.
// The table is in docs/backends.md; the encoders (openai.h, anthropic.h) apply the mappings.
#pragma once

#include <string_view>

#include "cordon/common/result.h"
#include "cordon/protocol/chat.h"

namespace cordon::protocol {

enum class Crossing : std::uint8_t {
  Forward, ///< Same protocol: written back unchanged.
  Mapped,  ///< Written under the other protocol's name by the encoder (e.g. user <-> metadata).
  Dropped, ///< Changes nothing the client can observe in the answer (e.g. OpenAI `store`).
  Refused, ///< No equivalent, and dropping it would change the answer.
};

/// The rule for a passthrough field named `name` of a request from `from` sent to `to`.
Crossing crossingOf(Wire from, Wire to, std::string_view name);

/// Ok when `request` can be sent to a backend speaking `to` without losing meaning; otherwise
/// Errc::BadRequest naming the first parameter (or message) that cannot cross, e.g.
/// "parameter 'top_k' has no equivalent in the OpenAI Chat Completions API (the request's target
/// speaks openai)". Checks the passthrough fields (a Refused one passes with a value that asks
/// for nothing: null, `logprobs: false`, a zero penalty, an empty `logit_bias`; a name is quoted
/// only when it is lower-case snake case, so a secret pasted as a key is never echoed) and the
/// structural cases: tool_choice forms the other side lacks, images in tool results (OpenAI),
/// and for Anthropic: system messages after the conversation started, images in system or
/// assistant messages or with a scheme other than http(s) or a base64 data: URI, `strict`
/// tools, a temperature above 1, `n` > 1; embeddings go to OpenAI only. Message indexes are
/// those of the canonical request (for an Anthropic request, `system` is message 0 and each
/// tool_result is a message of its own).
Result<void> checkTranslatable(const ChatRequest& request, Wire to);

} // namespace cordon::protocol
