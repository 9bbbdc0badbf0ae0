#include "gateway/stream_relay.h"

#include <fmt/format.h>

#include "cordon/protocol/openai.h"

namespace cordon::gateway {
namespace {

using protocol::SseEvent;
using protocol::Wire;

constexpr std::string_view kDone = "[DONE]";

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
      emit(chunk, out);
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

void StreamTranscoder::emit(protocol::ChatChunk& chunk, std::vector<SseEvent>& out) {
  if (chunk.usage) {
    usage_ = chunk.usage;
  }
  if (restorer_) {
    restorer_->restore(chunk);
  }
  if (front_ == Wire::Anthropic) {
    anthropic_out_.encode(chunk, out);
    return;
  }
  if (!client_wants_usage_) {
    chunk.usage.reset();
  }
  if (chunk.choices.empty() && !chunk.usage) {
    return;
  }
  out.push_back(SseEvent{{}, protocol::encodeOpenAiChatChunk(chunk)});
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

void StreamTranscoder::finish(std::vector<SseEvent>& out) {
  if (restorer_) {
    if (auto held = restorer_->flush()) {
      emit(*held, out);
    }
  }
  if (front_ == Wire::OpenAi) {
    out.push_back(SseEvent{{}, std::string(kDone)});
  } else if (passthrough_) {
    out.push_back(SseEvent{"message_stop", R"({"type":"message_stop"})"});
  } else {
    anthropic_out_.finish(out);
  }
}

void StreamTranscoder::fail(const Error& error, std::vector<SseEvent>& out) {
  if (restorer_) {
    if (auto held = restorer_->flush()) {
      emit(*held, out);
    }
  }
  if (front_ == Wire::OpenAi) {
    out.push_back(SseEvent{{}, protocol::encodeOpenAiError(error.code, error.detail)});
  } else {
    out.push_back(protocol::AnthropicStreamEncoder::errorEvent(error.code, error.detail));
  }
}

} // namespace cordon::gateway
