#include "cordon/protocol/embeddings.h"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "protocol/json_util.h"

namespace cordon::protocol {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 2> kReadFields = {"model", "input"};

Result<json::value> parseObject(std::string_view body, Errc code, std::string_view what) {
  json::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) {
    return makeError(code, std::string(what) + " is not valid JSON");
  }
  if (!root.is_object()) {
    return makeError(code, std::string(what) + " must be a JSON object");
  }
  return root;
}

Message inputMessage(std::string_view text, bool content_is_string) {
  Message message;
  message.role = Role::User;
  message.content_is_string = content_is_string;
  message.content.push_back(ContentPart{ContentPart::Kind::Text, std::string(text), {}, {}, {}});
  return message;
}

} // namespace

Result<ChatRequest> decodeOpenAiEmbeddingsRequest(std::string_view body) {
  auto parsed = parseObject(body, Errc::BadRequest, "request body");
  if (!parsed) {
    return parsed.error();
  }
  const json::object& root = parsed->get_object();
  ChatRequest request;
  request.operation = Operation::Embeddings;
  const json::value* model = root.if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return makeError(Errc::BadRequest, "model must be a non-empty string");
  }
  request.model = std::string(model->get_string());
  const json::value* input = root.if_contains("input");
  if (input == nullptr) {
    return makeError(Errc::BadRequest, "missing required field: input");
  }
  if (const auto* text = input->if_string()) {
    request.messages.push_back(inputMessage(*text, true));
  } else if (const auto* items = input->if_array(); items != nullptr && !items->empty()) {
    for (std::size_t i = 0; i < items->size(); ++i) {
      const json::value& item = (*items)[i];
      if (item.is_number() || item.is_array()) {
        return makeError(Errc::BadRequest,
                         "input: token ids are not accepted (cordon cannot inspect them); send "
                         "the text");
      }
      if (!item.is_string()) {
        return makeError(Errc::BadRequest, "input[" + std::to_string(i) + "] must be a string");
      }
      request.messages.push_back(inputMessage(item.get_string(), false));
    }
  } else {
    return makeError(Errc::BadRequest, "input must be a string or a non-empty array of strings");
  }
  const bool scanned =
      detail::forEachRawMember(detail::rawDocument(body), [&request](const detail::RawMember& raw) {
        const std::string name = detail::decodeRawKey(raw.raw_key);
        for (const std::string_view read : kReadFields) {
          if (name == read) {
            return;
          }
        }
        request.passthrough.push_back(PassthroughField{name, std::string(raw.value)});
      });
  if (!scanned) {
    return makeError(Errc::BadRequest, "request body is not valid JSON");
  }
  return request;
}

std::string encodeOpenAiEmbeddingsRequest(const ChatRequest& request,
                                          std::string_view upstream_model) {
  std::string out = R"({"model":)";
  detail::appendJsonString(out, upstream_model);
  out += R"(,"input":)";
  const bool single = request.messages.size() == 1 && request.messages.front().content_is_string;
  if (!single) {
    out.push_back('[');
  }
  bool first = true;
  for (const Message& message : request.messages) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    std::string text;
    for (const ContentPart& part : message.content) {
      text += part.text;
    }
    detail::appendJsonString(out, text);
  }
  if (!single) {
    out.push_back(']');
  }
  for (const PassthroughField& field : request.passthrough) {
    out.push_back(',');
    detail::appendJsonString(out, field.name);
    out.push_back(':');
    out += field.json;
  }
  out.push_back('}');
  return out;
}

Result<Usage> checkOpenAiEmbeddingsResponse(std::string_view body) {
  auto parsed = parseObject(body, Errc::UpstreamFailed, "the backend's embeddings answer");
  if (!parsed) {
    return parsed.error();
  }
  const json::object& root = parsed->get_object();
  const json::value* data = root.if_contains("data");
  if (data == nullptr || !data->is_array()) {
    return makeError(Errc::UpstreamFailed, "the backend's embeddings answer has no data array");
  }
  Usage usage;
  if (const json::value* counted = root.if_contains("usage"); counted && counted->is_object()) {
    if (const json::value* prompt = counted->get_object().if_contains("prompt_tokens");
        prompt != nullptr && prompt->is_int64()) {
      usage.input_tokens = prompt->get_int64();
    }
  }
  return usage;
}

} // namespace cordon::protocol
