#include "gateway/answer_restore.h"

#include <string>
#include <utility>

namespace cordon::gateway {

using pseudonymize::Context;

void restoreAnswer(protocol::ChatResponse& answer, const pseudonymize::PlaceholderMap& map) {
  for (protocol::Choice& choice : answer.choices) {
    protocol::Message& message = choice.message;
    for (protocol::ContentPart& part : message.content) {
      if (part.kind == protocol::ContentPart::Kind::Text) {
        part.text = pseudonymize::restore(part.text, map);
      }
    }
    message.refusal = pseudonymize::restore(message.refusal, map);
    for (protocol::ToolCall& call : message.tool_calls) {
      call.arguments = pseudonymize::restore(call.arguments, map, Context::JsonString);
    }
  }
}

ChunkRestorer::ChoiceStreams& ChunkRestorer::streamsOf(std::int64_t choice) {
  for (ChoiceStreams& streams : choices_) {
    if (streams.index == choice) {
      return streams;
    }
  }
  choices_.push_back(ChoiceStreams{
      choice, pseudonymize::StreamRestorer(*map_), pseudonymize::StreamRestorer(*map_), {}});
  return choices_.back();
}

pseudonymize::StreamRestorer& ChunkRestorer::toolStreamOf(ChoiceStreams& streams,
                                                          std::int64_t tool) {
  for (ToolStream& stream : streams.tools) {
    if (stream.index == tool) {
      return stream.arguments;
    }
  }
  streams.tools.push_back(
      ToolStream{tool, pseudonymize::StreamRestorer(*map_, Context::JsonString)});
  return streams.tools.back().arguments;
}

void ChunkRestorer::finishInto(ChoiceStreams& streams, protocol::ChoiceDelta& delta) {
  std::string held;
  streams.content.finish(held);
  if (!held.empty()) {
    delta.content = delta.content.value_or(std::string{}) + held;
  }
  held.clear();
  streams.refusal.finish(held);
  if (!held.empty()) {
    delta.refusal = delta.refusal.value_or(std::string{}) + held;
  }
  for (ToolStream& tool : streams.tools) {
    held.clear();
    tool.arguments.finish(held);
    if (held.empty()) {
      continue;
    }
    protocol::ToolCallDelta* target = nullptr;
    for (protocol::ToolCallDelta& call : delta.tool_calls) {
      if (call.index == tool.index) {
        target = &call;
      }
    }
    if (target == nullptr) {
      target = &delta.tool_calls.emplace_back();
      target->index = tool.index;
    }
    target->arguments += held;
  }
}

void ChunkRestorer::restore(protocol::ChatChunk& chunk) {
  last_header_.id = chunk.id;
  last_header_.model = chunk.model;
  last_header_.created = chunk.created;
  for (protocol::ChoiceDelta& delta : chunk.choices) {
    ChoiceStreams& streams = streamsOf(delta.index);
    if (delta.content) {
      scratch_.clear();
      streams.content.feed(*delta.content, scratch_);
      delta.content->swap(scratch_);
    }
    if (delta.refusal) {
      scratch_.clear();
      streams.refusal.feed(*delta.refusal, scratch_);
      delta.refusal->swap(scratch_);
    }
    for (protocol::ToolCallDelta& call : delta.tool_calls) {
      scratch_.clear();
      toolStreamOf(streams, call.index).feed(call.arguments, scratch_);
      call.arguments.swap(scratch_);
    }
    if (!delta.finish_reason.empty()) {
      finishInto(streams, delta);
    }
  }
}

std::optional<protocol::ChatChunk> ChunkRestorer::flush() {
  protocol::ChatChunk chunk;
  chunk.id = last_header_.id;
  chunk.model = last_header_.model;
  chunk.created = last_header_.created;
  for (ChoiceStreams& streams : choices_) {
    protocol::ChoiceDelta delta;
    delta.index = streams.index;
    finishInto(streams, delta);
    if (delta.content || delta.refusal || !delta.tool_calls.empty()) {
      chunk.choices.push_back(std::move(delta));
    }
  }
  if (chunk.choices.empty()) {
    return std::nullopt;
  }
  return chunk;
}

} // namespace cordon::gateway
