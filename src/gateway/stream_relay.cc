#include "gateway/stream_relay.h"

#include <fmt/format.h>

#include "cordon/protocol/openai.h"

namespace cordon::gateway {
namespace {

using protocol::SseEvent;
using protocol::Wire;

constexpr std::string_view kDone = "[DONE]";
/// The most answer text kept to judge JSON validity at the end; a longer answer is judged on
/// what fits (and is then not valid JSON: fail closed).
constexpr std::size_t kMaxJudgedAnswerBytes = std::size_t{4} << 20U;

bool isOpenAiErrorEvent(const SseEvent& event) {
  return event.data.starts_with(R"({"error")");
}

Error streamError(std::string_view what) {
  return makeError(Errc::UpstreamFailed, fmt::format("the backend's stream {}", what));
}

} // namespace

StreamTranscoder::StreamTranscoder(Wire backend, Wire front,
                                   const pseudonymize::PlaceholderMap* placeholders,
                                   bool client_wants_usage)
    : backend_(backend), front_(front), passthrough_(backend == front && placeholders == nullptr),
      client_wants_usage_(client_wants_usage) {
  if (placeholders != nullptr) {
    restorer_.emplace(*placeholders);
  }
}

Result<void> StreamTranscoder::convert(std::vector<SseEvent>& events, std::vector<SseEvent>& out) {
  for (SseEvent& event : events) {
    if (complete_) {
      if (backend_ == Wire::OpenAi) {
        continue; // nothing may follow "[DONE]"; OpenAI-compatible servers sometimes send blanks
      }
      return streamError(fmt::format("sent an event after message_stop"));
    }
    if (passthrough_ && backend_ == Wire::OpenAi) {
      if (event.data == kDone) {
        complete_ = true;
        continue;
      }
      if (isOpenAiErrorEvent(event)) {
        return streamError("reported an error");
      }
      noteUsage(event);
      out.push_back(std::move(event));
      continue;
    }
    chunks_.clear();
    if (auto decoded = decodeInto(event, chunks_); !decoded) {
      return decoded;
    }
    if (passthrough_) {
      // Anthropic to Anthropic: checked for the spec's order and counted, then sent as it came;
      // the end (message_stop) is written by finish() once the audit record is committed.
      for (const auto& chunk : chunks_) {
        if (chunk.usage) {
          usage_ = chunk.usage;
        }
      }
      if (!complete_) {
        out.push_back(std::move(event));
      }
      continue;
    }
    for (auto& chunk : chunks_) {
      if (auto emitted = emit(chunk, out); !emitted) {
        return emitted;
      }
    }
  }
  return {};
}

void StreamTranscoder::watch(const AnswerWatch& watch, guard::StreamScreen::Scan scan,
                             FiredGuardrails& fired) {
  watch_ = &watch;
  scan_ = std::move(scan);
  fired_ = &fired;
  passthrough_ = false;
}

Result<void> StreamTranscoder::screen(protocol::ChatChunk& chunk) {
  for (auto& delta : chunk.choices) {
    if (watch_->entities != nullptr) {
      const config::Guardrail& guardrail = *watch_->entities;
      auto [it, fresh] = screens_.try_emplace(delta.index, scan_, watch_->request_values,
                                              guardrail.entities, guardrail.action);
      guard::StreamScreen& screen = it->second;
      std::string released;
      if (delta.content) {
        auto pushed = screen.push(*delta.content);
        if (!pushed) {
          (*fired_)[guardrail.name] = "denied";
          return makeError(pushed.error().code,
                           fmt::format("guardrail {}: {}", guardrail.name, pushed.error().detail));
        }
        released = std::move(*pushed);
      }
      if (!delta.finish_reason.empty()) {
        auto rest = screen.finish();
        if (!rest) {
          (*fired_)[guardrail.name] = "denied";
          return makeError(rest.error().code,
                           fmt::format("guardrail {}: {}", guardrail.name, rest.error().detail));
        }
        released += *rest;
      }
      if (delta.content || !released.empty()) {
        delta.content = std::move(released);
      }
      if (!screen.found().empty()) {
        (*fired_)[guardrail.name] =
            guardrail.action == config::GuardAction::Redact ? "redacted" : "flagged";
      }
    }
    if (watch_->json != nullptr && delta.content &&
        answer_text_.size() + delta.content->size() <= kMaxJudgedAnswerBytes) {
      answer_text_ += *delta.content;
    }
  }
  return {};
}

Result<void> StreamTranscoder::flushScreens(std::vector<SseEvent>& out) {
  protocol::ChatChunk rest = last_header_;
  rest.choices.clear();
  rest.usage.reset();
  for (auto& [index, screen] : screens_) {
    auto held = screen.finish();
    if (!held) {
      return held.error();
    }
    if (!held->empty()) {
      protocol::ChoiceDelta delta;
      delta.index = index;
      delta.content = std::move(*held);
      rest.choices.push_back(std::move(delta));
    }
  }
  if (!rest.choices.empty()) {
    if (front_ == Wire::Anthropic) {
      anthropic_out_.encode(rest, out);
    } else {
      out.push_back(SseEvent{{}, protocol::encodeOpenAiChatChunk(rest)});
    }
  }
  return {};
}

Result<void> StreamTranscoder::decodeInto(SseEvent& event,
                                          std::vector<protocol::ChatChunk>& chunks) {
  if (backend_ == Wire::Anthropic) {
    auto fed = anthropic_in_.feed(event, chunks);
    if (!fed) {
      return fed;
    }
    complete_ = anthropic_in_.finished();
    return {};
  }
  if (event.data == kDone) {
    complete_ = true;
    return {};
  }
  if (isOpenAiErrorEvent(event)) {
    return streamError("reported an error");
  }
  auto chunk = protocol::decodeOpenAiChatChunk(event.data);
  if (!chunk) {
    return streamError("sent a malformed event");
  }
  chunks.push_back(std::move(*chunk));
  return {};
}

Result<void> StreamTranscoder::emit(protocol::ChatChunk& chunk, std::vector<SseEvent>& out) {
  if (chunk.usage) {
    usage_ = chunk.usage;
  }
  if (restorer_) {
    restorer_->restore(chunk);
  }
  if (watch_ != nullptr) {
    last_header_.id = chunk.id;
    last_header_.model = chunk.model;
    last_header_.created = chunk.created;
    if (auto screened = screen(chunk); !screened) {
      return screened;
    }
  }
  if (front_ == Wire::Anthropic) {
    anthropic_out_.encode(chunk, out);
    return {};
  }
  if (!client_wants_usage_) {
    chunk.usage.reset();
  }
  if (chunk.choices.empty() && !chunk.usage) {
    return {};
  }
  out.push_back(SseEvent{{}, protocol::encodeOpenAiChatChunk(chunk)});
  return {};
}

void StreamTranscoder::noteUsage(const SseEvent& event) {
  // Only the usage chunk (sent last when asked for) is decoded; content chunks are not.
  if (event.data.find(R"("usage")") == std::string::npos) {
    return;
  }
  if (auto chunk = protocol::decodeOpenAiChatChunk(event.data); chunk && chunk->usage) {
    usage_ = chunk->usage;
  }
}

Result<void> StreamTranscoder::finish(std::vector<SseEvent>& out) {
  std::vector<SseEvent> tail;
  if (restorer_) {
    if (auto held = restorer_->flush()) {
      if (auto emitted = emit(*held, tail); !emitted) {
        return emitted;
      }
    }
  }
  if (watch_ != nullptr) {
    if (auto flushed = flushScreens(tail); !flushed) {
      return flushed;
    }
    if (watch_->json != nullptr && !guard::isValidJson(answer_text_)) {
      const config::Guardrail& guardrail = *watch_->json;
      const bool deny = guardrail.action == config::GuardAction::Deny;
      (*fired_)[guardrail.name] = deny ? "denied" : "flagged";
      if (deny) {
        return makeError(Errc::UpstreamFailed,
                         fmt::format("guardrail {}: the answer is not valid JSON although "
                                     "response_format json_object was asked for",
                                     guardrail.name));
      }
    }
  }
  out.insert(out.end(), std::make_move_iterator(tail.begin()), std::make_move_iterator(tail.end()));
  if (front_ == Wire::OpenAi) {
    out.push_back(SseEvent{{}, std::string(kDone)});
  } else if (passthrough_) {
    out.push_back(SseEvent{"message_stop", R"({"type":"message_stop"})"});
  } else {
    anthropic_out_.finish(out);
  }
  return {};
}

void StreamTranscoder::fail(const Error& error, std::vector<SseEvent>& out) {
  // What is held back is released before the error only when nothing screens it: a screen that
  // refused must not let its held text out.
  if (restorer_ && watch_ == nullptr) {
    if (auto held = restorer_->flush()) {
      (void)emit(*held, out);
    }
  }
  if (front_ == Wire::OpenAi) {
    out.push_back(SseEvent{{}, protocol::encodeOpenAiError(error.code, error.detail)});
  } else {
    out.push_back(protocol::AnthropicStreamEncoder::errorEvent(error.code, error.detail));
  }
}

} // namespace cordon::gateway
