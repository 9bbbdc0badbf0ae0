// The audit record's canonical form, its stored form and the hash chain. The canonical form is
// written by hand rather than by a JSON library: its bytes are what the chain hashes, so they
// must not depend on a library's formatting choices or version.
#include "cordon/audit/record.h"

#include <charconv>
#include <limits>
#include <type_traits>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "cordon/common/sha256.h"

namespace cordon::audit {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD in UTF-8

/// Length of the valid UTF-8 sequence starting at text[pos], or 0 when the bytes there are not
/// one (overlong forms, surrogates and code points above U+10FFFF included) — the same rule
/// Boost.JSON's parser applies, so whatever canonical() writes reads back unchanged.
std::size_t utf8Length(std::string_view text, std::size_t pos) noexcept {
  const auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    high = lead == 0xED ? 0x9F : 0xBF; // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : 0x80;  // no overlong forms
    high = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (pos + length > text.size()) {
    return 0;
  }
  if (byte(pos + 1) < low || byte(pos + 1) > high) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(pos + i) < 0x80 || byte(pos + i) > 0xBF) {
      return 0;
    }
  }
  return length;
}

/// Printable ASCII other than '"' and '\\': copied as it is.
constexpr bool plainByte(unsigned char byte) noexcept {
  return byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\';
}

void appendString(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Runs of plain bytes (nearly all of a record's strings) in one append.
    std::size_t plain = pos;
    while (plain < text.size() && plainByte(static_cast<unsigned char>(text[plain]))) {
      ++plain;
    }
    out.append(text.substr(pos, plain - pos));
    pos = plain;
    if (pos == text.size()) {
      break;
    }
    const char ch = text[pos];
    const auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x80) {
      const std::size_t length = utf8Length(text, pos);
      if (length == 0) {
        out.append(kReplacement);
        ++pos;
      } else {
        out.append(text.substr(pos, length));
        pos += length;
      }
      continue;
    }
    switch (ch) {
    case '"':
      out.append("\\\"");
      break;
    case '\\':
      out.append("\\\\");
      break;
    case '\b':
      out.append("\\b");
      break;
    case '\t':
      out.append("\\t");
      break;
    case '\n':
      out.append("\\n");
      break;
    case '\f':
      out.append("\\f");
      break;
    case '\r':
      out.append("\\r");
      break;
    default:
      if (byte < 0x20) {
        out.append("\\u00");
        out.push_back(kHexDigits[byte >> 4U]);
        out.push_back(kHexDigits[byte & 0xFU]);
      } else {
        out.push_back(ch);
      }
    }
    ++pos;
  }
  out.push_back('"');
}

template <class Integer> void appendInteger(std::string& out, Integer value) {
  char buffer[24];
  const auto result = std::to_chars(std::begin(buffer), std::end(buffer), value);
  out.append(buffer, result.ptr);
}

/// Appends `"name":` preceded by a comma unless it opens the object.
void appendKey(std::string& out, std::string_view name) {
  if (out.back() != '{') {
    out.push_back(',');
  }
  out.push_back('"');
  out.append(name); // names are plain ASCII identifiers: nothing to escape
  out.append("\":");
}

void member(std::string& out, std::string_view name, std::string_view value) {
  appendKey(out, name);
  appendString(out, value);
}

template <class Integer>
requires std::is_integral_v<Integer>
void member(std::string& out, std::string_view name, Integer value) {
  appendKey(out, name);
  appendInteger(out, value);
}

void member(std::string& out, std::string_view name, bool value) {
  appendKey(out, name);
  out.append(value ? "true" : "false");
}

// ------------------------------------------------------------------------------------------
// Parsing

Error fieldError(std::string_view field, std::string_view problem) {
  return makeError(Errc::BadRequest, fmt::format("audit record: \"{}\" {}", field, problem));
}

bool isLowerHex64(std::string_view text) noexcept {
  return text.size() == 64 && text.find_first_not_of(kHexDigits) == std::string_view::npos;
}

/// Reads the members of one JSON object, each exactly once, and reports the first problem.
class Fields {
public:
  Fields(const boost::json::object& object, std::string_view where)
      : object_(object), where_(where) {}

  Result<std::string> string(std::string_view name) {
    const boost::json::value* value = take(name);
    if (value == nullptr) {
      return missing(name);
    }
    if (!value->is_string()) {
      return fieldError(qualified(name), "must be a string");
    }
    const boost::json::string& text = value->get_string();
    return std::string(text.data(), text.size());
  }

  Result<bool> boolean(std::string_view name) {
    const boost::json::value* value = take(name);
    if (value == nullptr) {
      return missing(name);
    }
    if (!value->is_bool()) {
      return fieldError(qualified(name), "must be true or false");
    }
    return value->get_bool();
  }

  template <class Integer> Result<Integer> integer(std::string_view name) {
    const boost::json::value* value = take(name);
    if (value == nullptr) {
      return missing(name);
    }
    return toInteger<Integer>(*value, qualified(name));
  }

  bool present(std::string_view name) const { return object_.contains(name); }

  const boost::json::value* take(std::string_view name) {
    const boost::json::value* value = object_.if_contains(name);
    if (value != nullptr) {
      ++taken_;
    }
    return value;
  }

  Error missing(std::string_view name) const { return fieldError(qualified(name), "is missing"); }

  /// Call after every field was taken: names a member this version does not know.
  Result<void> noOthers() const {
    if (taken_ == object_.size()) {
      return {};
    }
    for (const auto& entry : object_) {
      if (!known(entry.key())) {
        return fieldError(qualified(entry.key()), "is not a field of an audit record");
      }
    }
    return {};
  }

  void know(std::string_view name) { known_.push_back(name); }

  std::string qualified(std::string_view name) const {
    return where_.empty() ? std::string(name) : fmt::format("{}.{}", where_, name);
  }

  template <class Integer>
  static Result<Integer> toInteger(const boost::json::value& value, const std::string& name) {
    if (value.is_int64()) {
      const std::int64_t number = value.get_int64();
      if constexpr (std::is_signed_v<Integer>) {
        if (number >= std::numeric_limits<Integer>::min() &&
            number <= std::numeric_limits<Integer>::max()) {
          return static_cast<Integer>(number);
        }
      } else {
        if (number >= 0 && static_cast<std::uint64_t>(number) <=
                               static_cast<std::uint64_t>(std::numeric_limits<Integer>::max())) {
          return static_cast<Integer>(number);
        }
      }
      return fieldError(name, "is out of range");
    }
    if (value.is_uint64()) {
      const std::uint64_t number = value.get_uint64();
      if (number <= static_cast<std::uint64_t>(std::numeric_limits<Integer>::max())) {
        return static_cast<Integer>(number);
      }
      return fieldError(name, "is out of range");
    }
    return fieldError(name, "must be an integer");
  }

private:
  bool known(std::string_view name) const {
    for (const std::string_view field : known_) {
      if (field == name) {
        return true;
      }
    }
    return false;
  }

  const boost::json::object& object_;
  std::string where_;
  std::size_t taken_ = 0;
  std::vector<std::string_view> known_;
};

// Each read below records the field as known before it looks it up, so that noOthers() can
// name the first member that is not a field.
#define CORDON_READ(fields, target, call, name)                                                    \
  do {                                                                                             \
    (fields).know(name);                                                                           \
    auto read_result = (fields).call(name);                                                        \
    if (!read_result) {                                                                            \
      return read_result.error();                                                                  \
    }                                                                                              \
    (target) = std::move(*read_result);                                                            \
  } while (false)

Result<Attempt> parseAttempt(const boost::json::value& value, std::size_t index) {
  const std::string where = fmt::format("attempts[{}]", index);
  if (!value.is_object()) {
    return fieldError(where, "must be an object");
  }
  Fields fields(value.get_object(), where);
  Attempt attempt;
  CORDON_READ(fields, attempt.backend, string, "backend");
  CORDON_READ(fields, attempt.model, string, "model");
  CORDON_READ(fields, attempt.status, integer<unsigned>, "status");
  CORDON_READ(fields, attempt.latency_ms, integer<std::int64_t>, "latency_ms");
  CORDON_READ(fields, attempt.error, string, "error");
  if (auto others = fields.noOthers(); !others) {
    return others.error();
  }
  return attempt;
}

Result<void> parseEntities(const boost::json::value* value,
                           std::map<std::string, std::uint32_t>& entities) {
  if (value == nullptr) {
    return fieldError("entities", "is missing");
  }
  if (!value->is_object()) {
    return fieldError("entities", "must be an object");
  }
  for (const auto& entry : value->get_object()) {
    const std::string key(entry.key());
    auto count = Fields::toInteger<std::uint32_t>(entry.value(), "entities." + key);
    if (!count) {
      return count.error();
    }
    entities.emplace(key, *count);
  }
  return {};
}

Result<void> parseAttempts(const boost::json::value* value, std::vector<Attempt>& attempts) {
  if (value == nullptr) {
    return fieldError("attempts", "is missing");
  }
  if (!value->is_array()) {
    return fieldError("attempts", "must be an array");
  }
  for (const boost::json::value& element : value->get_array()) {
    auto attempt = parseAttempt(element, attempts.size());
    if (!attempt) {
      return attempt.error();
    }
    attempts.push_back(std::move(*attempt));
  }
  return {};
}

Result<void> checkHex(std::string_view name, const std::string& value) {
  if (!isLowerHex64(value)) {
    return fieldError(name, "must be 64 lower-case hex digits");
  }
  return {};
}

} // namespace

std::string canonical(const Record& record) {
  std::string out;
  out.reserve(512);
  out.push_back('{');
  member(out, "instance", record.instance);
  member(out, "sequence", record.sequence);
  member(out, "prev_hash", record.prev_hash);
  member(out, "request_id", record.request_id);
  member(out, "time_ms", record.time_ms);
  member(out, "tenant", record.tenant);
  member(out, "key", record.key);
  member(out, "endpoint", record.endpoint);
  member(out, "model", record.model);
  member(out, "declared_level", record.declared_level);
  member(out, "detected_level", record.detected_level);
  member(out, "level", record.level);
  appendKey(out, "entities");
  out.push_back('{');
  bool first = true;
  for (const auto& [type, count] : record.entities) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    appendString(out, type);
    out.push_back(':');
    appendInteger(out, count);
  }
  out.push_back('}');
  member(out, "target", record.target);
  member(out, "boundary", record.boundary);
  member(out, "region", record.region);
  member(out, "pseudonymized", record.pseudonymized);
  member(out, "pseudonymized_values", record.pseudonymized_values);
  member(out, "reason", record.reason);
  appendKey(out, "attempts");
  out.push_back('[');
  first = true;
  for (const Attempt& attempt : record.attempts) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out.push_back('{');
    member(out, "backend", attempt.backend);
    member(out, "model", attempt.model);
    member(out, "status", attempt.status);
    member(out, "latency_ms", attempt.latency_ms);
    member(out, "error", attempt.error);
    out.push_back('}');
  }
  out.push_back(']');
  member(out, "tokens_in", record.tokens_in);
  member(out, "tokens_out", record.tokens_out);
  member(out, "outcome", record.outcome);
  member(out, "status", record.status);
  // Fields added after the first release: at the end, and only when set (docs/audit.md).
  if (!record.prompt.empty()) {
    member(out, "prompt", record.prompt);
  }
  if (!record.guardrails.empty()) {
    appendKey(out, "guardrails");
    out.push_back('{');
    bool first_guardrail = true;
    for (const auto& [name, action] : record.guardrails) {
      if (!first_guardrail) {
        out.push_back(',');
      }
      first_guardrail = false;
      appendString(out, name);
      out.push_back(':');
      appendString(out, action);
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string stored(const Record& record) {
  std::string out = canonical(record);
  out.pop_back(); // the closing '}'
  member(out, "hash", record.hash);
  out.push_back('}');
  return out;
}

Result<Record> parseStored(std::string_view json) {
  boost::system::error_code error;
  const boost::json::value document = boost::json::parse(json, error);
  if (error) {
    return makeError(Errc::BadRequest, "audit record: not JSON (" + error.message() + ")");
  }
  if (!document.is_object()) {
    return makeError(Errc::BadRequest, "audit record: not a JSON object");
  }
  Fields fields(document.get_object(), "");
  Record record;
  CORDON_READ(fields, record.instance, string, "instance");
  CORDON_READ(fields, record.sequence, integer<std::uint64_t>, "sequence");
  CORDON_READ(fields, record.prev_hash, string, "prev_hash");
  CORDON_READ(fields, record.request_id, string, "request_id");
  CORDON_READ(fields, record.time_ms, integer<std::int64_t>, "time_ms");
  CORDON_READ(fields, record.tenant, string, "tenant");
  CORDON_READ(fields, record.key, string, "key");
  CORDON_READ(fields, record.endpoint, string, "endpoint");
  CORDON_READ(fields, record.model, string, "model");
  CORDON_READ(fields, record.declared_level, string, "declared_level");
  CORDON_READ(fields, record.detected_level, string, "detected_level");
  CORDON_READ(fields, record.level, string, "level");
  fields.know("entities");
  if (auto entities = parseEntities(fields.take("entities"), record.entities); !entities) {
    return entities.error();
  }
  CORDON_READ(fields, record.target, string, "target");
  CORDON_READ(fields, record.boundary, string, "boundary");
  CORDON_READ(fields, record.region, string, "region");
  CORDON_READ(fields, record.pseudonymized, boolean, "pseudonymized");
  CORDON_READ(fields, record.pseudonymized_values, integer<std::uint32_t>, "pseudonymized_values");
  CORDON_READ(fields, record.reason, string, "reason");
  fields.know("attempts");
  if (auto attempts = parseAttempts(fields.take("attempts"), record.attempts); !attempts) {
    return attempts.error();
  }
  CORDON_READ(fields, record.tokens_in, integer<std::int64_t>, "tokens_in");
  CORDON_READ(fields, record.tokens_out, integer<std::int64_t>, "tokens_out");
  CORDON_READ(fields, record.outcome, string, "outcome");
  CORDON_READ(fields, record.status, integer<unsigned>, "status");
  // Optional (absent in records written before prompt templates and guardrails).
  fields.know("prompt");
  if (fields.present("prompt")) {
    CORDON_READ(fields, record.prompt, string, "prompt");
  }
  fields.know("guardrails");
  if (const boost::json::value* guardrails = fields.take("guardrails")) {
    if (!guardrails->is_object()) {
      return fieldError("guardrails", "must be an object");
    }
    for (const auto& entry : guardrails->get_object()) {
      if (!entry.value().is_string()) {
        return fieldError("guardrails", "must map names to strings");
      }
      record.guardrails.emplace(std::string(entry.key()), std::string(entry.value().get_string()));
    }
  }
  CORDON_READ(fields, record.hash, string, "hash");
  if (auto others = fields.noOthers(); !others) {
    return others.error();
  }
  if (auto hex = checkHex("prev_hash", record.prev_hash); !hex) {
    return hex.error();
  }
  if (auto hex = checkHex("hash", record.hash); !hex) {
    return hex.error();
  }
  return record;
}

#undef CORDON_READ

Chain::Chain(std::string instance, std::uint64_t next_sequence, std::string last_hash)
    : instance_(std::move(instance)), next_(next_sequence), last_hash_(std::move(last_hash)) {}

void Chain::link(Record& record) {
  record.instance = instance_;
  record.sequence = next_++;
  record.prev_hash = last_hash_;
  record.hash = toHex(sha256(canonical(record)));
  last_hash_ = record.hash;
}

} // namespace cordon::audit
