// OpenAI Chat Completions wire format <-> the canonical types. Pure functions over bytes.
#pragma once

#include <string>
#include <string_view>

#include "cordon/common/result.h"
#include "cordon/protocol/chat.h"

namespace cordon::protocol {

/// Decodes a POST /v1/chat/completions body. Fails with Errc::BadRequest on malformed JSON,
/// invalid UTF-8, a missing or empty `messages`, unknown roles and wrong types; the detail names
/// the field ("messages[2].content: expected a string, an array or null") and never echoes a
/// value from the body.
Result<ChatRequest> decodeOpenAiChatRequest(std::string_view body);

/// Encodes a request for an OpenAI-compatible backend, with `model` replaced by `upstream_model`.
/// Passthrough fields are written back unchanged.
std::string encodeOpenAiChatRequest(const ChatRequest& request, std::string_view upstream_model);

/// Decodes a non-streaming chat.completion answer from a backend. Fails with
/// Errc::UpstreamFailed when the body is not a JSON object with a `choices` array.
Result<ChatResponse> decodeOpenAiChatResponse(std::string_view body);

std::string encodeOpenAiChatResponse(const ChatResponse& response);

/// Decodes the JSON of one `data:` line of a streamed answer (not "[DONE]").
Result<ChatChunk> decodeOpenAiChatChunk(std::string_view json);

std::string encodeOpenAiChatChunk(const ChatChunk& chunk);

/// The OpenAI error body: {"error":{"message":...,"type":...,"code":...,"param":null}}.
/// `type` follows OpenAI: "invalid_request_error" (400, 405, 408, 413, 431),
/// "authentication_error" (401), "policy_violation" (403), "not_found_error" (404),
/// "rate_limit_error" (429), "api_error" (5xx); `code` is errcName(code).
std::string encodeOpenAiError(Errc code, std::string_view message);

} // namespace cordon::protocol
