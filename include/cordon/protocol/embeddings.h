// OpenAI /v1/embeddings <-> the canonical request. Embeddings go through the same steps as chat
// (classification, policy, pseudonymization, audit): each input is one user message with one
// text part, so every stage reads it like any other text.
#pragma once

#include <string>
#include <string_view>

#include "cordon/common/result.h"
#include "cordon/protocol/chat.h"

namespace cordon::protocol {

/// Decodes a POST /v1/embeddings body into a request with operation Operation::Embeddings.
/// `input` is a string (one message, content_is_string) or a non-empty array of strings (one
/// message each, content_is_string false). Token-id inputs (arrays of integers) are refused with
/// Errc::BadRequest: cordon cannot inspect what they say, so it does not forward them. `model`
/// is required; `encoding_format`, `dimensions`, `user` and unknown members are passthrough.
/// Errors name the field, never a value from the body.
Result<ChatRequest> decodeOpenAiEmbeddingsRequest(std::string_view body);

/// Encodes the request for an OpenAI-compatible backend, `model` replaced by `upstream_model`.
std::string encodeOpenAiEmbeddingsRequest(const ChatRequest& request,
                                          std::string_view upstream_model);

/// Checks a backend's embeddings answer (a JSON object with a `data` array) and returns its
/// usage (prompt tokens as input tokens) for the audit. The body itself is relayed unchanged:
/// vectors hold no placeholders to restore. Errc::UpstreamFailed when it is not such an object.
Result<Usage> checkOpenAiEmbeddingsResponse(std::string_view body);

} // namespace cordon::protocol
