// The cordon.yaml loader (PRODUCT.md §2). yaml-cpp builds the node tree; everything here walks it
// against a fixed schema, so every mapping rejects unknown and duplicate keys and every problem
// becomes a ConfigError "SOURCE:LINE: problem". Messages name keys, paths and config values, never
// the values of environment variables (the upstream secrets).
#include "cordon/config/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace cordon::config {
namespace {

constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxLevelNameLength = 64;
constexpr std::size_t kMaxLevels = 64;
constexpr std::size_t kMaxUpstreamModelLength = 256;
constexpr std::size_t kMaxEnvNameLength = 128;
constexpr std::size_t kMaxRegexBytes = 1024;
constexpr std::size_t kMaxRegexStates = 10'000;
constexpr std::size_t kMaxRegexDepth = 64;
constexpr std::uint64_t kMaxBodyBytes = std::uint64_t{1} << 30U;
constexpr std::uint64_t kMaxTimeoutMs = 86'400'000;
constexpr std::uint64_t kMaxWorkers = 256;
constexpr std::uint64_t kMaxHeaderBytesLimit = std::uint64_t{1} << 20U;
constexpr std::uint64_t kMinHeaderBytes = 1024;
constexpr std::uint64_t kMaxCount = 1'000'000;
constexpr std::uint64_t kMaxBreakerWindow = 1'000;
constexpr std::uint64_t kMaxRetryAttempts = 10;
constexpr std::uint64_t kMaxRate = std::uint64_t{1} << 40U;
constexpr std::uint64_t kMaxGuardLimit = std::uint64_t{1} << 40U;
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20U;
constexpr std::size_t kMaxEcho = 64;
constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

constexpr std::string_view kPlainTag = "?";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";

constexpr std::array<std::string_view, 22> kTopKeys{"listen",
                                                    "max_body_bytes",
                                                    "max_header_bytes",
                                                    "max_keep_alive_requests",
                                                    "workers",
                                                    "client_timeouts",
                                                    "tls",
                                                    "timeouts",
                                                    "breaker",
                                                    "retries",
                                                    "limits",
                                                    "levels",
                                                    "boundaries",
                                                    "backends",
                                                    "models",
                                                    "tenants",
                                                    "entities",
                                                    "custom_entities",
                                                    "admin_keys",
                                                    "audit",
                                                    "guardrails",
                                                    "prompts"};
constexpr std::array<std::string_view, 3> kClientTimeoutKeys{"header_ms", "body_ms",
                                                             "keep_alive_ms"};
constexpr std::array<std::string_view, 3> kTimeoutKeys{"connect_ms", "first_byte_ms", "idle_ms"};
constexpr std::array<std::string_view, 3> kBoundaryKeys{"clearance", "region", "note"};
constexpr std::array<std::string_view, 9> kBackendKeys{
    "boundary", "protocol", "url",          "api_key_env",    "ca_file",
    "timeouts", "breaker",  "health_check", "max_connections"};
constexpr std::array<std::string_view, 5> kBreakerKeys{"consecutive_failures", "error_rate",
                                                       "window", "open_ms", "half_open_probes"};
constexpr std::array<std::string_view, 2> kHealthCheckKeys{"path", "interval_ms"};
constexpr std::array<std::string_view, 4> kRetryKeys{"attempts", "backoff_ms", "max_backoff_ms",
                                                     "deadline_ms"};
constexpr std::array<std::string_view, 1> kLimitsKeys{"store"};
constexpr std::array<std::string_view, 2> kRateLimitKeys{"rpm", "tpm"};
constexpr std::array<std::string_view, 4> kTlsKeys{"cert", "key", "client_ca", "client_auth"};
constexpr std::array<std::string_view, 2> kClientAuthModes{"optional", "required"};
constexpr std::array<std::string_view, 4> kModelKeys{"targets", "pseudonymize", "prompt",
                                                     "guardrails"};
constexpr std::array<std::string_view, 8> kTenantKeys{
    "residency", "floor", "keys", "guardrails", "models", "max_declared", "explain", "limits"};
constexpr std::array<std::string_view, 8> kTenantKeyKeys{
    "name", "sha256", "client_cn", "floor", "models", "max_declared", "explain", "limits"};
constexpr std::array<std::string_view, 7> kGuardrailKeys{"kind",  "action",    "limit",   "words",
                                                         "regex", "threshold", "entities"};
constexpr std::array<std::string_view, 7> kGuardKinds{
    "max_prompt_bytes", "max_messages",    "deny_words", "deny_regex",
    "prompt_injection", "output_entities", "json_output"};
constexpr std::array<std::string_view, 3> kGuardActions{"deny", "redact", "flag"};
constexpr std::array<std::string_view, 4> kPromptKeys{"system", "messages", "defaults", "targets"};
constexpr std::array<std::string_view, 2> kPromptWordingKeys{"system", "messages"};
constexpr std::array<std::string_view, 2> kPromptMessageKeys{"role", "content"};
constexpr std::array<std::string_view, 2> kPromptRoles{"user", "assistant"};
constexpr std::array<std::string_view, 3> kEntityKeys{"level", "pseudonymize", "action"};
constexpr std::array<std::string_view, 5> kCustomEntityKeys{"words", "regex", "level",
                                                            "pseudonymize", "action"};
constexpr std::array<std::string_view, 2> kAdminKeyKeys{"name", "sha256"};
constexpr std::array<std::string_view, 2> kAuditKeys{"sink", "durability"};
constexpr std::array<std::string_view, 2> kProtocols{"openai", "anthropic"};
constexpr std::array<std::string_view, 2> kPseudonymizeModes{"auto", "never"};
constexpr std::array<std::string_view, 2> kActions{"allow", "deny"};
constexpr std::array<std::string_view, 2> kDurabilities{"sync", "async"};

bool isAsciiAlnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// `text` in single quotes for a message: at most kMaxEcho bytes, control and non-ASCII bytes
/// escaped, so a message stays one readable line whatever the file contains.
std::string quote(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == kMaxEcho) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20U || byte >= 0x7fU || text[i] == '\'' || text[i] == '\\') {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(byte));
    } else {
      out += text[i];
    }
  }
  out += '\'';
  return out;
}

template <class Range> std::string joined(const Range& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

template <class Range> bool contains(const Range& items, std::string_view item) {
  return std::find(std::begin(items), std::end(items), item) != std::end(items);
}

std::size_t satAdd(std::size_t a, std::size_t b) noexcept {
  return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max()
                                                         : a + b;
}

std::size_t satMul(std::size_t a, std::size_t b) noexcept {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) {
    return std::numeric_limits<std::size_t>::max();
  }
  return a * b;
}

/// A host name: dot-separated labels of letters, digits, '-' and '_'. All-numeric names must be
/// valid IPv4 addresses (so "999.1.1.1" is not taken for a name).
bool isValidHostName(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) {
    return false;
  }
  if (std::all_of(host.begin(), host.end(), [](char c) { return isDigit(c) || c == '.'; })) {
    return static_cast<bool>(boost::urls::parse_ipv4_address(host));
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > kMaxLabelLength || host[i - 1] == '-' || host[i - label] == '-') {
        return false;
      }
      label = 0;
      continue;
    }
    if (!isAsciiAlnum(host[i]) && host[i] != '-' && host[i] != '_') {
      return false;
    }
    ++label;
  }
  return true;
}

/// 1..65535 in plain decimal digits.
std::optional<std::uint16_t> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), isDigit)) {
    return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value == 0 || value > std::numeric_limits<std::uint16_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

/// An upper estimate of the states libstdc++'s std::regex builds for `pattern`: a bounded
/// repetition {n,m} copies its operand max(n,m) times, so nested repetitions multiply. nullopt
/// when groups nest deeper than kMaxRegexDepth (the compiler recurses per group).
std::optional<std::size_t> regexStateEstimate(std::string_view pattern) {
  struct Frame {
    std::size_t total = 0; ///< States of everything in this group so far.
    std::size_t last = 0;  ///< States of the last atom, which a quantifier repeats.
  };
  std::vector<Frame> stack(1);
  const auto add = [&stack](std::size_t cost) {
    stack.back().total = satAdd(stack.back().total, cost);
    stack.back().last = cost;
  };
  const std::size_t size = pattern.size();
  for (std::size_t i = 0; i < size; ++i) {
    switch (pattern[i]) {
    case '\\':
      ++i;
      add(1);
      break;
    case '[': {
      std::size_t j = i + 1;
      if (j < size && pattern[j] == '^') {
        ++j;
      }
      if (j < size && pattern[j] == ']') {
        ++j;
      }
      while (j < size && pattern[j] != ']') {
        j += pattern[j] == '\\' ? 2 : 1;
      }
      i = j;
      add(1);
      break;
    }
    case '(':
      if (stack.size() > kMaxRegexDepth) {
        return std::nullopt;
      }
      stack.emplace_back();
      if (i + 1 < size && pattern[i + 1] == '?') {
        i += 2; // (?: (?= (?!
      }
      break;
    case ')':
      if (stack.size() > 1) {
        const Frame inner = stack.back();
        stack.pop_back();
        add(satAdd(inner.total, 2));
      } else {
        add(1);
      }
      break;
    case '|':
      stack.back().total = satAdd(stack.back().total, 1);
      stack.back().last = 0;
      break;
    case '*':
    case '+':
    case '?':
      stack.back().total = satAdd(stack.back().total, 1);
      break;
    case '{': {
      // {n}, {n,} or {n,m}; anything else is left for std::regex to judge.
      std::size_t j = i + 1;
      std::size_t low = 0;
      std::size_t high = 0;
      std::size_t digits = 0;
      while (j < size && isDigit(pattern[j])) {
        low = satAdd(satMul(low, 10), static_cast<std::size_t>(pattern[j] - '0'));
        ++j;
        ++digits;
      }
      high = low;
      if (j < size && pattern[j] == ',') {
        ++j;
        std::size_t upper = 0;
        while (j < size && isDigit(pattern[j])) {
          upper = satAdd(satMul(upper, 10), static_cast<std::size_t>(pattern[j] - '0'));
          ++j;
        }
        high = std::max(low, upper);
      }
      if (digits == 0 || j >= size || pattern[j] != '}') {
        add(1);
        break;
      }
      Frame& frame = stack.back();
      frame.total = satAdd(frame.total, satMul(frame.last, high));
      frame.last = satMul(frame.last, satAdd(high, 1));
      i = j;
      break;
    }
    default:
      add(1);
      break;
    }
  }
  std::size_t total = 0;
  for (const Frame& frame : stack) {
    total = satAdd(total, frame.total);
  }
  return total;
}

/// A node together with where errors about it point and its dotted path for messages.
struct Value {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;
};

struct Entry {
  std::string key;
  YAML::Mark key_mark;
  Value value;
};

/// The entries of one mapping, in file order.
struct Fields {
  std::vector<Entry> entries;

  const Value* find(std::string_view key) const {
    for (const Entry& entry : entries) {
      if (entry.key == key) {
        return &entry.value;
      }
    }
    return nullptr;
  }
};

YAML::Mark markOf(const YAML::Node& node, const YAML::Mark& fallback) {
  if (node.IsNull()) {
    return fallback;
  }
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? fallback : mark;
}

std::string childPath(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

/// Records where each document of a stream starts and where its content (if any) begins.
class DocumentCounter : public YAML::EventHandler {
public:
  struct Document {
    YAML::Mark start;
    std::optional<YAML::Mark> content;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, {}}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { content(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {
    content(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
    content(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    content(mark);
  }
  void OnMapEnd() override {}

private:
  void content(const YAML::Mark& mark) {
    if (!documents.empty() && !documents.back().content) {
      documents.back().content = mark;
    }
  }
};

enum class NameKind : std::uint8_t { Plain, Model };

class Parser {
public:
  Parser(std::string source, EnvLookup env) : source_(std::move(source)), env_(env) {}

  std::shared_ptr<Config> parse(std::string_view text) {
    config_ = std::make_shared<Config>();
    config_->source = source_;
    config_->levels = {"public", "internal", "confidential", "restricted"};

    checkSingleDocument(text);
    const YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) {
      failNoLine("the config is empty");
    }
    const Value top_value{root, root.Mark(), ""};
    if (!root.IsMap()) {
      fail(top_value.mark, "the config must be a mapping of keys to values");
    }
    const Fields top = fields(top_value, kTopKeys);

    // Sections are read in dependency order (levels before anything naming a level, boundaries
    // before backends, backends before models), whatever order the file lists them in.
    if (const Value* v = top.find("listen")) {
      parseListen(*v);
    }
    if (const Value* v = top.find("max_body_bytes")) {
      config_->server.max_body_bytes = static_cast<std::size_t>(positive(*v, kMaxBodyBytes));
    }
    if (const Value* v = top.find("max_header_bytes")) {
      config_->server.max_header_bytes =
          static_cast<std::size_t>(positive(*v, kMaxHeaderBytesLimit));
      if (config_->server.max_header_bytes < kMinHeaderBytes) {
        fail(v->mark, fmt::format("max_header_bytes must be at least {}", kMinHeaderBytes));
      }
    }
    if (const Value* v = top.find("max_keep_alive_requests")) {
      const std::optional<std::uint64_t> requests = integer(v->node);
      if (!requests || *requests > kMaxCount) {
        fail(v->mark, fmt::format("max_keep_alive_requests must be an integer from 0 to {} "
                                  "(0 = no limit)",
                                  kMaxCount));
      }
      config_->server.max_keep_alive_requests = static_cast<std::uint32_t>(*requests);
    }
    if (const Value* v = top.find("tls")) {
      parseTls(*v);
    }
    if (const Value* v = top.find("breaker")) {
      applyBreaker(*v, default_breaker_);
    }
    if (const Value* v = top.find("retries")) {
      parseRetries(*v);
    }
    if (const Value* v = top.find("limits")) {
      parseLimits(*v);
    }
    if (const Value* v = top.find("workers")) {
      const std::optional<std::uint64_t> workers = integer(v->node);
      if (!workers || *workers > kMaxWorkers) {
        fail(v->mark, fmt::format("workers must be an integer from 0 to {} (0 = one per core)",
                                  kMaxWorkers));
      }
      config_->server.workers = static_cast<unsigned>(*workers);
    }
    if (const Value* v = top.find("client_timeouts")) {
      parseClientTimeouts(*v);
    }
    if (const Value* v = top.find("timeouts")) {
      applyTimeouts(*v, default_timeouts_);
    }
    if (const Value* v = top.find("levels")) {
      parseLevels(*v);
    }
    if (const Value* v = top.find("boundaries")) {
      parseBoundaries(*v);
    }
    if (const Value* v = top.find("backends")) {
      parseBackends(*v);
    }
    if (const Value* v = top.find("entities")) {
      parseEntities(*v);
    }
    if (const Value* v = top.find("custom_entities")) {
      parseCustomEntities(*v);
    }
    if (const Value* v = top.find("guardrails")) {
      parseGuardrails(*v);
    }
    if (const Value* v = top.find("prompts")) {
      parsePrompts(*v);
    }
    if (const Value* v = top.find("models")) {
      parseModels(*v);
    }
    if (const Value* v = top.find("tenants")) {
      parseTenants(*v);
    }
    if (const Value* v = top.find("admin_keys")) {
      parseAdminKeys(*v);
    }
    if (const Value* v = top.find("audit")) {
      parseAudit(*v);
    }
    resolveEntityPolicies();
    return std::move(config_);
  }

  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view problem) const {
    if (mark.is_null() || mark.line < 0) {
      failNoLine(problem);
    }
    throw ConfigError(fmt::format("{}:{}: {}", source_, mark.line + 1, problem));
  }

  [[noreturn]] void failNoLine(std::string_view problem) const {
    throw ConfigError(fmt::format("{}: {}", source_, problem));
  }

private:
  /// Rejects a stream with more than one non-empty document. yaml-cpp 0.7's LoadAll loops forever
  /// on a ',' where a document should start (the parser keeps returning empty documents without
  /// consuming it), so documents are counted here with a bounded loop and only the first is
  /// loaded.
  void checkSingleDocument(std::string_view text) const {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentCounter counter;
    std::vector<DocumentCounter::Document>& documents = counter.documents;
    // Every real document consumes input, so the loop ends; the cap is a second guard.
    for (std::size_t i = 0; i <= text.size() + 2 && parser.HandleNextDocument(counter); ++i) {
      if (documents.size() >= 2 && documents.back().content) {
        fail(*documents.back().content, "only one YAML document is allowed");
      }
      if (documents.size() >= 2 &&
          documents[documents.size() - 1].start.pos == documents[documents.size() - 2].start.pos) {
        const YAML::Mark& stuck = documents.back().start;
        const auto pos = static_cast<std::size_t>(std::max(stuck.pos, 0));
        fail(stuck, fmt::format("invalid YAML: unexpected {}",
                                pos < text.size() ? quote(text.substr(pos, 1)) : "end of input"));
      }
    }
  }

  // ---- generic readers ---------------------------------------------------------------------

  /// The entries of a mapping. With an empty `allowed`, any key is accepted (name-keyed maps);
  /// otherwise a key outside `allowed` is an error. Duplicate keys are always an error.
  Fields fields(const Value& map, std::span<const std::string_view> allowed) const {
    const std::string_view where =
        map.path.empty() ? std::string_view("the top level") : std::string_view(map.path);
    if (!map.node.IsMap()) {
      fail(map.mark, fmt::format("{} must be a mapping", where));
    }
    Fields out;
    std::map<std::string, int, std::less<>> seen; // key -> 0-based line of its first use
    for (auto it = map.node.begin(); it != map.node.end(); ++it) {
      const YAML::Node key = it->first; // copies: the iterator hands out temporaries
      const YAML::Mark key_mark = markOf(key, map.mark);
      if (!key.IsScalar()) {
        fail(key_mark, fmt::format("keys in {} must be plain strings", where));
      }
      std::string name = key.Scalar();
      if (const auto first = seen.find(name); first != seen.end()) {
        fail(key_mark, fmt::format("duplicate key {} in {} (first on line {})", quote(name), where,
                                   first->second + 1));
      }
      if (!allowed.empty() && !contains(allowed, name)) {
        if (map.path.empty()) {
          fail(key_mark,
               fmt::format("unknown top-level key {} (allowed: {})", quote(name), joined(allowed)));
        }
        fail(key_mark, fmt::format("unknown key {} in {} (allowed: {})", quote(name), where,
                                   joined(allowed)));
      }
      seen.emplace(name, key_mark.line);
      const YAML::Node node = it->second;
      Value value{node, markOf(node, key_mark), childPath(map.path, name)};
      out.entries.push_back(Entry{std::move(name), key_mark, std::move(value)});
    }
    return out;
  }

  const Value& required(const Fields& fields, const Value& parent, std::string_view key) const {
    const Value* value = fields.find(key);
    if (value == nullptr) {
      fail(parent.mark, fmt::format("{} is missing required key '{}'", parent.path, key));
    }
    return *value;
  }

  std::vector<Value> sequence(const Value& list) const {
    if (!list.node.IsSequence()) {
      fail(list.mark, fmt::format("{} must be a list", list.path));
    }
    std::vector<Value> out;
    out.reserve(list.node.size());
    std::size_t index = 0;
    for (auto it = list.node.begin(); it != list.node.end(); ++it, ++index) {
      const YAML::Node node = *it;
      out.push_back(Value{node, markOf(node, list.mark), fmt::format("{}[{}]", list.path, index)});
    }
    return out;
  }

  std::string string(const Value& value) const {
    if (!value.node.IsScalar()) {
      fail(value.mark, fmt::format("{} must be a string", value.path));
    }
    return value.node.Scalar();
  }

  std::string nonEmptyString(const Value& value) const {
    std::string text = string(value);
    if (text.empty()) {
      fail(value.mark, fmt::format("{} must not be empty", value.path));
    }
    return text;
  }

  /// A plain (unquoted) decimal integer without sign or leading zeros; nullopt otherwise.
  static std::optional<std::uint64_t> integer(const YAML::Node& node) {
    if (!node.IsScalar() || (node.Tag() != kPlainTag && node.Tag() != kIntTag)) {
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    if (text.empty() || text.size() > 18 || (text.size() > 1 && text[0] == '0') ||
        !std::all_of(text.begin(), text.end(), isDigit)) {
      return std::nullopt;
    }
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  }

  std::uint64_t positive(const Value& value, std::uint64_t max) const {
    const std::optional<std::uint64_t> number = integer(value.node);
    if (!number || *number == 0) {
      fail(value.mark, fmt::format("{} must be a positive integer", value.path));
    }
    if (*number > max) {
      fail(value.mark, fmt::format("{} must be at most {}", value.path, max));
    }
    return *number;
  }

  std::chrono::milliseconds millis(const Value& value) const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(positive(value, kMaxTimeoutMs)));
  }

  bool boolean(const Value& value) const {
    if (value.node.IsScalar() && (value.node.Tag() == kPlainTag || value.node.Tag() == kBoolTag)) {
      const std::string& text = value.node.Scalar();
      if (text == "true" || text == "True" || text == "TRUE") {
        return true;
      }
      if (text == "false" || text == "False" || text == "FALSE") {
        return false;
      }
    }
    fail(value.mark, fmt::format("{} must be true or false", value.path));
  }

  std::string oneOf(const Value& value, std::span<const std::string_view> options) const {
    if (value.node.IsScalar() && contains(options, value.node.Scalar())) {
      return value.node.Scalar();
    }
    fail(value.mark, fmt::format("{} must be one of: {}", value.path, joined(options)));
  }

  LevelIndex level(const Value& value) const {
    const std::string name = string(value);
    if (const std::optional<LevelIndex> index = config_->findLevel(name)) {
      return *index;
    }
    fail(value.mark, fmt::format("{}: unknown level {} (levels: {})", value.path, quote(name),
                                 joined(config_->levels)));
  }

  Sha256Digest digest(const Value& value) const {
    const std::string text = string(value);
    const std::optional<Sha256Digest> parsed = digestFromHex(text);
    if (!parsed) {
      fail(value.mark,
           fmt::format("{} must be 64 hex digits (the SHA-256 of the key)", value.path));
    }
    return *parsed;
  }

  /// Checks a name used as a mapping key (boundary, backend, model, tenant) or a key's name.
  void checkName(std::string_view name, const YAML::Mark& mark, std::string_view what,
                 NameKind kind = NameKind::Plain) const {
    const bool valid = !name.empty() && name.size() <= kMaxNameLength &&
                       std::all_of(name.begin(), name.end(), [kind](char c) {
                         return isAsciiAlnum(c) || c == '_' || c == '.' || c == '-' ||
                                (kind == NameKind::Model && (c == '/' || c == ':'));
                       });
    if (!valid) {
      fail(mark,
           fmt::format("{} name {} is invalid (use 1 to {} letters, digits, '_', '.', '-'{})", what,
                       quote(name), kMaxNameLength, kind == NameKind::Model ? ", '/', ':'" : ""));
    }
  }

  // ---- sections ----------------------------------------------------------------------------

  void parseListen(const Value& value) {
    const std::string text = string(value);
    const auto bad = [](std::string_view why) {
      return fmt::format("listen must be \"host:port\" ({})", why);
    };
    std::string_view host;
    std::string_view port;
    const std::string_view view = text;
    if (!view.empty() && view.front() == '[') {
      const std::size_t close = view.find(']');
      if (close == std::string_view::npos) {
        fail(value.mark, bad("missing ']' after the IPv6 address"));
      }
      host = view.substr(1, close - 1);
      const std::string_view rest = view.substr(close + 1);
      if (rest.empty() || rest.front() != ':') {
        fail(value.mark, bad("missing ':port' after the IPv6 address"));
      }
      port = rest.substr(1);
      if (!boost::urls::parse_ipv6_address(host)) {
        fail(value.mark, bad("invalid IPv6 address"));
      }
    } else {
      const std::size_t colon = view.rfind(':');
      if (colon == std::string_view::npos) {
        fail(value.mark, bad("no port"));
      }
      host = view.substr(0, colon);
      port = view.substr(colon + 1);
      if (host.find(':') != std::string_view::npos) {
        fail(value.mark, bad("write IPv6 addresses in brackets, e.g. [::1]:8080"));
      }
      if (!isValidHostName(host)) {
        fail(value.mark, bad("invalid host"));
      }
    }
    // Port 0 asks the kernel for a free port (tests, the demo); `serve` prints the one it got.
    const std::optional<std::uint16_t> port_number =
        port == "0" ? std::optional<std::uint16_t>{0} : parsePort(port);
    if (!port_number) {
      fail(value.mark, bad("the port must be 0 to 65535"));
    }
    config_->server.listen_host = std::string(host);
    config_->server.listen_port = *port_number;
  }

  void parseClientTimeouts(const Value& value) {
    const Fields f = fields(value, kClientTimeoutKeys);
    ServerSettings& server = config_->server;
    if (const Value* v = f.find("header_ms")) {
      server.header_timeout = millis(*v);
    }
    if (const Value* v = f.find("body_ms")) {
      server.body_timeout = millis(*v);
    }
    if (const Value* v = f.find("keep_alive_ms")) {
      server.keep_alive_timeout = millis(*v);
    }
  }

  void parseTls(const Value& value) {
    const Fields f = fields(value, kTlsKeys);
    TlsSettings& tls = config_->server.tls;
    tls.cert_file = nonEmptyString(required(f, value, "cert"));
    tls.key_file = nonEmptyString(required(f, value, "key"));
    if (const Value* v = f.find("client_ca")) {
      tls.client_ca = nonEmptyString(*v);
    }
    if (const Value* v = f.find("client_auth")) {
      if (tls.client_ca.empty()) {
        fail(v->mark, fmt::format("{} needs tls.client_ca (the CAs client certificates are "
                                  "checked against)",
                                  v->path));
      }
      tls.client_cert_required = oneOf(*v, kClientAuthModes) == "required";
    }
  }

  /// Overrides the keys present in `value`, leaving the others as they are.
  void applyBreaker(const Value& value, BreakerSettings& breaker) const {
    const Fields f = fields(value, kBreakerKeys);
    if (const Value* v = f.find("consecutive_failures")) {
      const std::optional<std::uint64_t> failures = integer(v->node);
      if (!failures || *failures > kMaxCount) {
        fail(v->mark,
             fmt::format("{} must be an integer from 0 to {} (0 = off)", v->path, kMaxCount));
      }
      breaker.consecutive_failures = static_cast<std::uint32_t>(*failures);
    }
    if (const Value* v = f.find("error_rate")) {
      const std::optional<double> rate = fraction(v->node);
      if (!rate || *rate < 0 || *rate > 1) {
        fail(v->mark, fmt::format("{} must be a number from 0 to 1 (0 = off)", v->path));
      }
      breaker.error_rate = *rate;
    }
    if (const Value* v = f.find("window")) {
      breaker.window = static_cast<std::uint32_t>(positive(*v, kMaxBreakerWindow));
    }
    if (const Value* v = f.find("open_ms")) {
      breaker.open = millis(*v);
    }
    if (const Value* v = f.find("half_open_probes")) {
      breaker.half_open_probes = static_cast<std::uint32_t>(positive(*v, kMaxCount));
    }
  }

  void parseRetries(const Value& value) {
    const Fields f = fields(value, kRetryKeys);
    RetrySettings& retries = config_->retries;
    if (const Value* v = f.find("attempts")) {
      retries.attempts = static_cast<std::uint32_t>(positive(*v, kMaxRetryAttempts));
    }
    if (const Value* v = f.find("backoff_ms")) {
      retries.backoff = millis(*v);
    }
    if (const Value* v = f.find("max_backoff_ms")) {
      retries.max_backoff = millis(*v);
    }
    if (retries.max_backoff < retries.backoff) {
      fail(value.mark, fmt::format("{}: max_backoff_ms must not be below backoff_ms", value.path));
    }
    if (const Value* v = f.find("deadline_ms")) {
      retries.deadline = millis(*v);
    }
  }

  void parseLimits(const Value& value) {
    const Fields f = fields(value, kLimitsKeys);
    if (const Value* v = f.find("store")) {
      const std::string store = nonEmptyString(*v);
      if (store != "local" && !store.starts_with("redis://")) {
        fail(v->mark, fmt::format("{} must be \"local\" or \"redis://HOST:PORT[/DB]\"", v->path));
      }
      config_->limits.store = store;
    }
  }

  /// `limits: {rpm, tpm}` of a tenant or a key.
  RateLimits parseRateLimits(const Fields& f) const {
    RateLimits limits;
    if (const Value* v = f.find("limits")) {
      const Fields lf = fields(*v, kRateLimitKeys);
      if (const Value* rpm = lf.find("rpm")) {
        limits.requests_per_minute = positive(*rpm, kMaxRate);
      }
      if (const Value* tpm = lf.find("tpm")) {
        limits.tokens_per_minute = positive(*tpm, kMaxRate);
      }
    }
    return limits;
  }

  /// Overrides the keys present in `value`, leaving the others as they are.
  void applyTimeouts(const Value& value, UpstreamTimeouts& timeouts) const {
    const Fields f = fields(value, kTimeoutKeys);
    if (const Value* v = f.find("connect_ms")) {
      timeouts.connect = millis(*v);
    }
    if (const Value* v = f.find("first_byte_ms")) {
      timeouts.first_byte = millis(*v);
    }
    if (const Value* v = f.find("idle_ms")) {
      timeouts.idle = millis(*v);
    }
  }

  void parseLevels(const Value& value) {
    const std::vector<Value> items = sequence(value);
    if (items.empty()) {
      fail(value.mark, "levels must not be empty");
    }
    if (items.size() > kMaxLevels) {
      fail(value.mark, fmt::format("levels: at most {} levels are allowed", kMaxLevels));
    }
    std::vector<std::string> levels;
    for (const Value& item : items) {
      std::string name = string(item);
      const bool valid = !name.empty() && name.size() <= kMaxLevelNameLength &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || isDigit(c) || c == '_' || c == '-';
                         });
      if (!valid) {
        fail(item.mark, fmt::format("level name {} is invalid (use 1 to {} of a-z, 0-9, '_', '-')",
                                    quote(name), kMaxLevelNameLength));
      }
      if (contains(levels, name)) {
        fail(item.mark, fmt::format("levels: duplicate level {}", quote(name)));
      }
      levels.push_back(std::move(name));
    }
    config_->levels = std::move(levels);
  }

  void parseBoundaries(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      checkName(entry.key, entry.key_mark, "boundary");
      const Fields f = fields(entry.value, kBoundaryKeys);
      Boundary boundary;
      boundary.name = entry.key;
      boundary.clearance = level(required(f, entry.value, "clearance"));
      boundary.region = nonEmptyString(required(f, entry.value, "region"));
      if (const Value* v = f.find("note")) {
        boundary.note = string(*v);
      }
      config_->boundaries.push_back(std::move(boundary));
    }
  }

  Endpoint parseUrl(const Value& value, std::string_view url) const {
    // The url itself is not echoed: a rejected one may carry credentials.
    const auto bad = [&value](std::string_view why) {
      return fmt::format("{} {}", value.path, why);
    };
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
      fail(value.mark, bad("is not a valid URL"));
    }
    const boost::urls::url_view& u = *parsed;
    Endpoint endpoint;
    if (u.scheme_id() == boost::urls::scheme::https) {
      endpoint.tls = true;
    } else if (u.scheme_id() != boost::urls::scheme::http) {
      fail(value.mark, bad("must start with http:// or https://"));
    }
    if (!u.has_authority()) {
      fail(value.mark, bad("must name a host (http://HOST[:PORT][/PATH])"));
    }
    if (u.has_userinfo()) {
      fail(value.mark, bad("must not contain user info (upstream keys come from api_key_env)"));
    }
    if (u.has_query()) {
      fail(value.mark, bad("must not contain a query ('?...')"));
    }
    if (u.has_fragment()) {
      fail(value.mark, bad("must not contain a fragment ('#...')"));
    }
    const auto host = u.encoded_host_address();
    if (host.empty()) {
      fail(value.mark, bad("must name a host (http://HOST[:PORT][/PATH])"));
    }
    switch (u.host_type()) {
    case boost::urls::host_type::name:
      if (!isValidHostName(std::string_view(host.data(), host.size()))) {
        fail(value.mark, bad("has an invalid host name"));
      }
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      break;
    default:
      fail(value.mark, bad("must name a host (http://HOST[:PORT][/PATH])"));
    }
    endpoint.host.assign(host.data(), host.size());
    if (u.has_port()) {
      const std::optional<std::uint16_t> port = parsePort(u.port());
      if (!port) {
        fail(value.mark, bad("has an invalid port (1 to 65535)"));
      }
      endpoint.port = *port;
    } else {
      endpoint.port = endpoint.tls ? 443 : 80;
    }
    const auto path = u.encoded_path();
    endpoint.base_path.assign(path.data(), path.size());
    while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
      endpoint.base_path.pop_back();
    }
    return endpoint;
  }

  void parseBackends(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      checkName(entry.key, entry.key_mark, "backend");
      const Fields f = fields(entry.value, kBackendKeys);
      Backend backend;
      backend.name = entry.key;

      const Value& boundary_value = required(f, entry.value, "boundary");
      const std::string boundary_name = string(boundary_value);
      const auto boundary =
          std::find_if(config_->boundaries.begin(), config_->boundaries.end(),
                       [&](const Boundary& b) { return b.name == boundary_name; });
      if (boundary == config_->boundaries.end()) {
        std::vector<std::string_view> names;
        for (const Boundary& b : config_->boundaries) {
          names.emplace_back(b.name);
        }
        fail(boundary_value.mark,
             fmt::format("{}: unknown boundary {} (boundaries: {})", boundary_value.path,
                         quote(boundary_name), names.empty() ? "none defined" : joined(names)));
      }
      backend.boundary = static_cast<std::size_t>(boundary - config_->boundaries.begin());

      backend.protocol = oneOf(required(f, entry.value, "protocol"), kProtocols) == "anthropic"
                             ? Protocol::Anthropic
                             : Protocol::OpenAi;

      const Value& url_value = required(f, entry.value, "url");
      backend.url = nonEmptyString(url_value);
      backend.endpoint = parseUrl(url_value, backend.url);

      if (const Value* v = f.find("ca_file")) {
        backend.ca_file = nonEmptyString(*v);
      }
      backend.timeouts = default_timeouts_;
      if (const Value* v = f.find("timeouts")) {
        applyTimeouts(*v, backend.timeouts);
      }
      backend.breaker = default_breaker_;
      if (const Value* v = f.find("breaker")) {
        applyBreaker(*v, backend.breaker);
      }
      if (const Value* v = f.find("health_check")) {
        const Fields hf = fields(*v, kHealthCheckKeys);
        const Value& path_value = required(hf, *v, "path");
        backend.health_check.path = nonEmptyString(path_value);
        if (backend.health_check.path.front() != '/' ||
            !std::all_of(backend.health_check.path.begin(), backend.health_check.path.end(),
                         [](char c) {
                           const auto byte = static_cast<unsigned char>(c);
                           return byte > 0x20U && byte < 0x7fU;
                         })) {
          fail(path_value.mark,
               fmt::format("{} must start with '/' and hold no spaces", path_value.path));
        }
        if (const Value* interval = hf.find("interval_ms")) {
          backend.health_check.interval = millis(*interval);
        }
      }
      if (const Value* v = f.find("max_connections")) {
        backend.max_connections = static_cast<std::uint32_t>(positive(*v, kMaxCount));
      }
      if (const Value* v = f.find("api_key_env")) {
        backend.api_key_env = string(*v);
        const std::string& var = backend.api_key_env;
        const bool valid =
            !var.empty() && var.size() <= kMaxEnvNameLength && !isDigit(var[0]) &&
            std::all_of(var.begin(), var.end(), [](char c) { return isAsciiAlnum(c) || c == '_'; });
        if (!valid) {
          fail(v->mark, fmt::format("{} must be an environment variable name "
                                    "(letters, digits and '_', not starting with a digit)",
                                    v->path));
        }
        std::optional<std::string> secret;
        if (env_ != nullptr) {
          secret = env_(var.c_str());
        }
        if (!secret) {
          config_->missing_secrets.push_back(
              fmt::format("backend {}: environment variable {} is not set", backend.name, var));
        } else if (secret->empty()) {
          config_->missing_secrets.push_back(
              fmt::format("backend {}: environment variable {} is empty", backend.name, var));
        } else {
          backend.api_key = std::move(secret);
        }
      }
      config_->backends.push_back(std::move(backend));
    }
  }

  Target parseTarget(const Value& value) const {
    if (value.node.IsMap()) {
      fail(value.mark,
           fmt::format("{} must be a string \"backend:model\" (no space after ':')", value.path));
    }
    const std::string text = string(value);
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos) {
      fail(value.mark, fmt::format("{} must be \"backend:model\"", value.path));
    }
    const std::string_view backend_name = std::string_view(text).substr(0, colon);
    const std::string_view model = std::string_view(text).substr(colon + 1);
    const auto backend = std::find_if(config_->backends.begin(), config_->backends.end(),
                                      [&](const Backend& b) { return b.name == backend_name; });
    if (backend == config_->backends.end()) {
      std::vector<std::string_view> names;
      for (const Backend& b : config_->backends) {
        names.emplace_back(b.name);
      }
      fail(value.mark,
           fmt::format("{}: unknown backend {} (backends: {})", value.path, quote(backend_name),
                       names.empty() ? "none defined" : joined(names)));
    }
    const bool valid_model = !model.empty() && model.size() <= kMaxUpstreamModelLength &&
                             std::all_of(model.begin(), model.end(), [](char c) {
                               const auto byte = static_cast<unsigned char>(c);
                               return byte > 0x20U && byte != 0x7fU;
                             });
    if (!valid_model) {
      fail(value.mark,
           fmt::format("{}: the model after '{}:' must be 1 to {} characters without spaces",
                       value.path, backend_name, kMaxUpstreamModelLength));
    }
    return Target{static_cast<std::size_t>(backend - config_->backends.begin()),
                  std::string(model)};
  }

  void parseModels(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      checkName(entry.key, entry.key_mark, "model", NameKind::Model);
      const Fields f = fields(entry.value, kModelKeys);
      Model model;
      model.name = entry.key;
      const Value& targets_value = required(f, entry.value, "targets");
      const std::vector<Value> targets = sequence(targets_value);
      if (targets.empty()) {
        fail(targets_value.mark, fmt::format("{} must not be empty", targets_value.path));
      }
      std::set<std::string, std::less<>> seen; // "backend:model" as written
      const auto add = [&](const Value& item, std::size_t step) {
        Target target = parseTarget(item);
        target.step = step;
        if (!seen.emplace(item.node.Scalar()).second) {
          fail(item.mark,
               fmt::format("{}: target {} is listed twice", item.path, quote(item.node.Scalar())));
        }
        model.targets.push_back(std::move(target));
      };
      for (std::size_t step = 0; step < targets.size(); ++step) {
        const Value& item = targets[step];
        if (!item.node.IsSequence()) {
          add(item, step);
          continue;
        }
        // A list is one preference step whose members share the load.
        const std::vector<Value> members = sequence(item);
        if (members.empty()) {
          fail(item.mark, fmt::format("{} must not be empty", item.path));
        }
        for (const Value& member : members) {
          if (member.node.IsSequence()) {
            fail(member.mark,
                 fmt::format("{}: a target group holds targets, not groups", member.path));
          }
          add(member, step);
        }
      }
      if (const Value* v = f.find("pseudonymize")) {
        model.pseudonymize = oneOf(*v, kPseudonymizeModes) == "auto" ? PseudonymizeMode::Auto
                                                                     : PseudonymizeMode::Never;
      }
      if (const Value* v = f.find("prompt")) {
        const std::string id = nonEmptyString(*v);
        const PromptTemplate* found = config_->findPrompt(id);
        if (found == nullptr) {
          fail(v->mark, fmt::format("{}: unknown prompt template {}", v->path, quote(id)));
        }
        model.prompt = static_cast<std::size_t>(found - config_->prompts.data());
      }
      if (const Value* v = f.find("guardrails")) {
        model.guardrails = guardrailList(*v);
      }
      config_->models.push_back(std::move(model));
    }
  }

  void claimDigest(const Sha256Digest& digest, const Value& where, std::string owner) {
    const auto [it, inserted] = key_owners_.emplace(digest, owner);
    if (!inserted) {
      fail(where.mark, fmt::format("{}: the same key is already used by {} (a key must belong to "
                                   "exactly one tenant or admin)",
                                   where.path, it->second));
    }
  }

  void parseTenants(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      checkName(entry.key, entry.key_mark, "tenant");
      const Fields f = fields(entry.value, kTenantKeys);
      Tenant tenant;
      tenant.name = entry.key;
      if (const Value* v = f.find("residency")) {
        const std::vector<Value> regions = sequence(*v);
        if (regions.empty()) {
          fail(v->mark,
               fmt::format("{} must not be empty (leave it out to allow any region)", v->path));
        }
        for (const Value& region : regions) {
          tenant.residency.push_back(nonEmptyString(region));
        }
      }
      if (const Value* v = f.find("floor")) {
        tenant.floor = level(*v);
      }
      tenant.access = parseAccess(f);
      tenant.limits = parseRateLimits(f);
      if (const Value* v = f.find("guardrails")) {
        tenant.guardrails = guardrailList(*v);
      }
      if (const Value* v = f.find("keys")) {
        std::set<std::string, std::less<>> key_names;
        for (const Value& item : sequence(*v)) {
          const Fields kf = fields(item, kTenantKeyKeys);
          ApiKey key;
          const Value& name_value = required(kf, item, "name");
          key.name = string(name_value);
          checkName(key.name, name_value.mark, "key");
          if (!key_names.insert(key.name).second) {
            fail(name_value.mark, fmt::format("{}: tenant {} already has a key named {}",
                                              name_value.path, tenant.name, quote(key.name)));
          }
          if (const Value* digest_value = kf.find("sha256")) {
            key.digest = digest(*digest_value);
            claimDigest(*key.digest, *digest_value,
                        fmt::format("tenant {} key {}", tenant.name, key.name));
          }
          if (const Value* cn_value = kf.find("client_cn")) {
            key.client_cn = nonEmptyString(*cn_value);
            const auto [owner, inserted] = client_cn_owners_.emplace(
                key.client_cn, fmt::format("tenant {} key {}", tenant.name, key.name));
            if (!inserted) {
              fail(cn_value->mark, fmt::format("{}: the same client_cn is already used by {}",
                                               cn_value->path, owner->second));
            }
          }
          if (!key.digest && key.client_cn.empty()) {
            fail(item.mark, fmt::format("{} needs sha256 (an API key) or client_cn (a client "
                                        "certificate), or both",
                                        item.path));
          }
          key.limits = parseRateLimits(kf);
          if (const Value* floor = kf.find("floor")) {
            key.floor = level(*floor);
          }
          key.access = parseAccess(kf);
          tenant.keys.push_back(std::move(key));
        }
      }
      config_->tenants.push_back(std::move(tenant));
    }
  }

  /// `models`, `max_declared` and `explain` of a tenant or a key.
  Access parseAccess(const Fields& f) const {
    Access access;
    if (const Value* v = f.find("models")) {
      std::vector<std::string> names;
      for (const Value& item : sequence(*v)) {
        std::string name = nonEmptyString(item);
        if (config_->findModel(name) == nullptr) {
          fail(item.mark, fmt::format("{}: unknown model {}", item.path, quote(name)));
        }
        names.push_back(std::move(name));
      }
      access.models = std::move(names);
    }
    if (const Value* v = f.find("max_declared")) {
      access.max_declared = level(*v);
    }
    if (const Value* v = f.find("explain")) {
      access.explain = boolean(*v);
    }
    return access;
  }

  std::vector<std::size_t> guardrailList(const Value& value) const {
    std::vector<std::size_t> indexes;
    for (const Value& item : sequence(value)) {
      const std::string name = nonEmptyString(item);
      const auto found =
          std::find_if(config_->guardrails.begin(), config_->guardrails.end(),
                       [&name](const Guardrail& guardrail) { return guardrail.name == name; });
      if (found == config_->guardrails.end()) {
        fail(item.mark, fmt::format("{}: unknown guardrail {}", item.path, quote(name)));
      }
      const auto index = static_cast<std::size_t>(found - config_->guardrails.begin());
      if (std::find(indexes.begin(), indexes.end(), index) != indexes.end()) {
        fail(item.mark, fmt::format("{}: guardrail {} is listed twice", item.path, quote(name)));
      }
      indexes.push_back(index);
    }
    return indexes;
  }

  void parseGuardrails(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      checkName(entry.key, entry.key_mark, "guardrail");
      const Fields f = fields(entry.value, kGuardrailKeys);
      Guardrail guardrail;
      guardrail.name = entry.key;
      const Value& kind_value = required(f, entry.value, "kind");
      const std::string kind = oneOf(kind_value, kGuardKinds);
      guardrail.kind = static_cast<GuardKind>(
          std::find(kGuardKinds.begin(), kGuardKinds.end(), kind) - kGuardKinds.begin());
      if (const Value* v = f.find("action")) {
        const std::string action = oneOf(*v, kGuardActions);
        guardrail.action = action == "deny"     ? GuardAction::Deny
                           : action == "redact" ? GuardAction::Redact
                                                : GuardAction::Flag;
        const bool can_redact = guardrail.kind != GuardKind::MaxPromptBytes &&
                                guardrail.kind != GuardKind::MaxMessages &&
                                guardrail.kind != GuardKind::JsonOutput;
        if (guardrail.action == GuardAction::Redact && !can_redact) {
          fail(v->mark,
               fmt::format("{}: a {} guardrail cannot redact (use deny or flag)", v->path, kind));
        }
      }
      // Each kind reads its own keys; a key another kind reads is an error, not ignored.
      const auto needs = [&](std::string_view key, bool wanted) -> const Value* {
        const Value* v = f.find(key);
        if (v != nullptr && !wanted) {
          fail(v->mark, fmt::format("{}: a {} guardrail has no {}", v->path, kind, key));
        }
        if (v == nullptr && wanted && key != "threshold" && key != "entities") {
          fail(entry.value.mark,
               fmt::format("{}: a {} guardrail needs {}", entry.value.path, kind, key));
        }
        return v;
      };
      const bool sized =
          guardrail.kind == GuardKind::MaxPromptBytes || guardrail.kind == GuardKind::MaxMessages;
      if (const Value* v = needs("limit", sized)) {
        guardrail.limit = positive(*v, kMaxGuardLimit);
      }
      if (const Value* v = needs("words", guardrail.kind == GuardKind::DenyWords)) {
        const std::vector<Value> words = sequence(*v);
        if (words.empty()) {
          fail(v->mark, fmt::format("{} must not be empty", v->path));
        }
        for (const Value& word : words) {
          guardrail.words.push_back(nonEmptyString(word));
        }
      }
      if (const Value* v = needs("regex", guardrail.kind == GuardKind::DenyRegex)) {
        guardrail.regex = nonEmptyString(*v);
        checkRegex(*v, guardrail.regex);
      }
      if (const Value* v = needs("threshold", guardrail.kind == GuardKind::PromptInjection)) {
        const std::optional<double> threshold = fraction(v->node);
        if (!threshold || *threshold <= 0 || *threshold > 1) {
          fail(v->mark, fmt::format("{} must be a number above 0 and at most 1", v->path));
        }
        guardrail.threshold = *threshold;
      }
      if (const Value* v = needs("entities", guardrail.kind == GuardKind::OutputEntities)) {
        for (const Value& item : sequence(*v)) {
          std::string type = nonEmptyString(item);
          const bool custom = std::any_of(
              config_->custom_entities.begin(), config_->custom_entities.end(),
              [&type](const CustomEntity& entity) { return entity.policy.type == type; });
          if (!custom && !contains(builtinEntityTypes(), type)) {
            fail(item.mark, fmt::format("{}: unknown entity type {}", item.path, quote(type)));
          }
          guardrail.entities.push_back(std::move(type));
        }
      }
      config_->guardrails.push_back(std::move(guardrail));
    }
  }

  /// A plain decimal number such as 0.5 or 1; nullopt otherwise.
  static std::optional<double> fraction(const YAML::Node& node) {
    if (!node.IsScalar() || node.Tag() == "!") {
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    double number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
      return std::nullopt;
    }
    return number;
  }

  PromptWording promptWording(const Value& value, const Fields& f) const {
    PromptWording wording;
    if (const Value* v = f.find("system")) {
      wording.system = string(*v);
    }
    if (const Value* v = f.find("messages")) {
      for (const Value& item : sequence(*v)) {
        const Fields mf = fields(item, kPromptMessageKeys);
        PromptMessage message;
        message.role = oneOf(required(mf, item, "role"), kPromptRoles);
        message.content = nonEmptyString(required(mf, item, "content"));
        wording.messages.push_back(std::move(message));
      }
    }
    if (wording.system.empty() && wording.messages.empty()) {
      fail(value.mark, fmt::format("{}: a prompt needs a system prompt or messages", value.path));
    }
    return wording;
  }

  void parsePrompts(const Value& value) {
    for (const Entry& named : fields(value, {}).entries) {
      checkName(named.key, named.key_mark, "prompt");
      for (const Entry& versioned : fields(named.value, {}).entries) {
        checkName(versioned.key, versioned.key_mark, "prompt version");
        const Fields f = fields(versioned.value, kPromptKeys);
        PromptTemplate tmpl;
        tmpl.name = named.key;
        tmpl.version = versioned.key;
        tmpl.wording = promptWording(versioned.value, f);
        if (const Value* v = f.find("defaults")) {
          for (const Entry& variable : fields(*v, {}).entries) {
            tmpl.defaults.emplace(variable.key, string(variable.value));
          }
        }
        if (const Value* v = f.find("targets")) {
          for (const Entry& target : fields(*v, {}).entries) {
            const std::string_view backend =
                std::string_view(target.key).substr(0, target.key.find(':'));
            const bool known = std::any_of(
                config_->backends.begin(), config_->backends.end(),
                [backend](const Backend& candidate) { return candidate.name == backend; });
            if (!known) {
              fail(target.key_mark,
                   fmt::format("{}: unknown backend {}", target.value.path, quote(backend)));
            }
            tmpl.per_target.emplace(
                target.key, promptWording(target.value, fields(target.value, kPromptWordingKeys)));
          }
        }
        config_->prompts.push_back(std::move(tmpl));
      }
    }
  }

  /// A default level of the four-step ladder, on this config's levels: by name when it has it,
  /// otherwise the same relative rank rounded up (towards more sensitive).
  LevelIndex defaultLevel(std::string_view name) const {
    const auto& levels = config_->levels;
    if (const auto found = config_->findLevel(name)) {
      return *found;
    }
    constexpr std::array<std::string_view, 4> kLadder{"public", "internal", "confidential",
                                                      "restricted"};
    std::size_t rank = kLadder.size() - 1;
    for (std::size_t i = 0; i < kLadder.size(); ++i) {
      if (kLadder[i] == name) {
        rank = i;
      }
    }
    const std::size_t top = levels.size() - 1;
    return static_cast<LevelIndex>((rank * top + kLadder.size() - 2) / (kLadder.size() - 1));
  }

  void resolveEntityPolicies() {
    auto& resolved = config_->entity_policies;
    for (const auto& builtin : builtinEntities()) {
      resolved[std::string(builtin.type)] = ResolvedEntity{
          defaultLevel(builtin.level), builtin.pseudonymize, EntityAction::Allow, builtin.secret};
    }
    for (const auto& [type, policy] : config_->entities) {
      ResolvedEntity& entry = resolved.at(type); // entities only names built-in types
      entry.level = policy.level.value_or(entry.level);
      entry.pseudonymize = policy.pseudonymize;
      entry.action = policy.action;
    }
    const auto top = static_cast<LevelIndex>(config_->levels.size() - 1);
    for (const auto& custom : config_->custom_entities) {
      ResolvedEntity& entry = resolved[custom.policy.type];
      entry.level = custom.policy.level.value_or(top);
      entry.pseudonymize = custom.policy.pseudonymize;
      entry.action = custom.policy.action;
    }
  }

  /// `entities.TYPE` overrides the built-in default key by key: keys not given keep the default.
  EntityPolicy parsePolicy(std::string type, const Fields& f) const {
    EntityPolicy policy;
    for (const auto& builtin : builtinEntities()) {
      if (builtin.type == type) {
        policy.pseudonymize = builtin.pseudonymize;
      }
    }
    policy.type = std::move(type);
    if (const Value* v = f.find("level")) {
      policy.level = level(*v);
    }
    if (const Value* v = f.find("pseudonymize")) {
      policy.pseudonymize = boolean(*v);
    }
    if (const Value* v = f.find("action")) {
      policy.action = oneOf(*v, kActions) == "deny" ? EntityAction::Deny : EntityAction::Allow;
    }
    return policy;
  }

  void parseEntities(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      if (!contains(builtinEntityTypes(), entry.key)) {
        fail(entry.key_mark,
             fmt::format("entities: unknown entity type {} (define your own under custom_entities)",
                         quote(entry.key)));
      }
      config_->entities.emplace(entry.key,
                                parsePolicy(entry.key, fields(entry.value, kEntityKeys)));
    }
  }

  void checkRegex(const Value& value, const std::string& pattern) const {
    if (pattern.size() > kMaxRegexBytes) {
      fail(value.mark, fmt::format("{} is longer than {} bytes", value.path, kMaxRegexBytes));
    }
    const std::optional<std::size_t> states = regexStateEstimate(pattern);
    if (!states) {
      fail(value.mark,
           fmt::format("{} nests groups deeper than {} levels", value.path, kMaxRegexDepth));
    }
    if (*states > kMaxRegexStates) {
      fail(value.mark, fmt::format("{} is too complex (its repetitions expand to more than {} "
                                   "states; use smaller {{n,m}} bounds)",
                                   value.path, kMaxRegexStates));
    }
    try {
      const std::regex compiled(pattern, std::regex::ECMAScript);
      if (std::regex_match(std::string(), compiled)) {
        fail(value.mark, fmt::format("{} matches the empty string", value.path));
      }
    } catch (const std::regex_error& e) {
      fail(value.mark, fmt::format("{} does not compile: {}", value.path, e.what()));
    }
  }

  void parseCustomEntities(const Value& value) {
    for (const Entry& entry : fields(value, {}).entries) {
      const std::string& type = entry.key;
      const bool valid = !type.empty() && type.size() <= kMaxNameLength && type[0] >= 'A' &&
                         type[0] <= 'Z' && std::all_of(type.begin(), type.end(), [](char c) {
                           return (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_';
                         });
      if (!valid) {
        fail(entry.key_mark,
             fmt::format("custom entity type {} is invalid (use A-Z, 0-9 and '_', starting with "
                         "a letter)",
                         quote(type)));
      }
      if (contains(builtinEntityTypes(), type)) {
        fail(entry.key_mark, fmt::format("custom_entities.{} clashes with a built-in entity type "
                                         "(configure it under entities)",
                                         type));
      }
      const Fields f = fields(entry.value, kCustomEntityKeys);
      const Value* words = f.find("words");
      const Value* regex = f.find("regex");
      if (words != nullptr && regex != nullptr) {
        fail(entry.value.mark,
             fmt::format("{} must have either words or regex, not both", entry.value.path));
      }
      if (words == nullptr && regex == nullptr) {
        fail(entry.value.mark, fmt::format("{} needs words or regex", entry.value.path));
      }
      CustomEntity custom;
      custom.policy = parsePolicy(type, f);
      if (words != nullptr) {
        const std::vector<Value> items = sequence(*words);
        if (items.empty()) {
          fail(words->mark, fmt::format("{} must not be empty", words->path));
        }
        for (const Value& item : items) {
          std::string word = string(item);
          if (std::all_of(word.begin(), word.end(),
                          [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
            fail(item.mark, fmt::format("{} must not be empty", item.path));
          }
          custom.words.push_back(std::move(word));
        }
      } else {
        custom.regex = nonEmptyString(*regex);
        checkRegex(*regex, custom.regex);
      }
      config_->custom_entities.push_back(std::move(custom));
    }
  }

  void parseAdminKeys(const Value& value) {
    std::set<std::string, std::less<>> names;
    for (const Value& item : sequence(value)) {
      const Fields f = fields(item, kAdminKeyKeys);
      AdminKey key;
      const Value& name_value = required(f, item, "name");
      key.name = string(name_value);
      checkName(key.name, name_value.mark, "admin key");
      if (!names.insert(key.name).second) {
        fail(name_value.mark,
             fmt::format("{}: duplicate admin key name {}", name_value.path, quote(key.name)));
      }
      const Value& digest_value = required(f, item, "sha256");
      key.digest = digest(digest_value);
      claimDigest(key.digest, digest_value, fmt::format("admin key {}", key.name));
      config_->admin_keys.push_back(std::move(key));
    }
  }

  void parseAudit(const Value& value) {
    const Fields f = fields(value, kAuditKeys);
    if (const Value* v = f.find("sink")) {
      std::string sink = string(*v);
      const auto rest_after = [&sink](std::string_view prefix) -> std::optional<std::string_view> {
        if (sink.size() > prefix.size() &&
            std::string_view(sink).substr(0, prefix.size()) == prefix) {
          return std::string_view(sink).substr(prefix.size());
        }
        return std::nullopt;
      };
      const bool valid = sink == kAuditOff || rest_after("sqlite:") || rest_after("jsonl:") ||
                         rest_after("postgresql://") || rest_after("postgres://");
      if (!valid) {
        // Not echoed: a postgresql:// url may carry a password.
        fail(v->mark, "audit.sink must be \"sqlite:PATH\", \"jsonl:PATH\", a "
                      "\"postgresql://...\" connection url or \"none\"");
      }
      config_->audit.sink = std::move(sink);
    }
    if (const Value* v = f.find("durability")) {
      config_->audit.durability =
          oneOf(*v, kDurabilities) == "async" ? AuditDurability::Async : AuditDurability::Sync;
    }
  }

  std::string source_;
  EnvLookup env_;
  std::shared_ptr<Config> config_;
  UpstreamTimeouts default_timeouts_;
  BreakerSettings default_breaker_;
  std::map<Sha256Digest, std::string> key_owners_;
  std::map<std::string, std::string, std::less<>> client_cn_owners_;
};

} // namespace

std::optional<LevelIndex> Config::findLevel(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] == name) {
      return static_cast<LevelIndex>(i);
    }
  }
  return std::nullopt;
}

const Model* Config::findModel(std::string_view name) const noexcept {
  const auto it = std::find_if(models.begin(), models.end(),
                               [name](const Model& model) { return model.name == name; });
  return it == models.end() ? nullptr : &*it;
}

const Tenant* Config::findTenant(std::string_view name) const noexcept {
  const auto it = std::find_if(tenants.begin(), tenants.end(),
                               [name](const Tenant& tenant) { return tenant.name == name; });
  return it == tenants.end() ? nullptr : &*it;
}

const PromptTemplate* Config::findPrompt(std::string_view id) const noexcept {
  const auto at = id.find('@');
  const std::string_view name = id.substr(0, at);
  const PromptTemplate* best = nullptr;
  for (const PromptTemplate& tmpl : prompts) {
    if (tmpl.name != name) {
      continue;
    }
    if (at != std::string_view::npos) {
      if (tmpl.version == id.substr(at + 1)) {
        return &tmpl;
      }
      continue;
    }
    // The highest version: numerically when both are numbers ("10" after "9"), else as text.
    const auto numeric = [](const std::string& version) {
      return !version.empty() && version.size() < 10 &&
             std::all_of(version.begin(), version.end(), isDigit);
    };
    const bool higher =
        best == nullptr || (numeric(best->version) && numeric(tmpl.version)
                                ? std::stoul(tmpl.version) > std::stoul(best->version)
                                : tmpl.version > best->version);
    if (higher) {
      best = &tmpl;
    }
  }
  return at == std::string_view::npos ? best : nullptr;
}

std::optional<std::string> processEnv(const char* name) {
  if (name == nullptr) {
    return std::nullopt;
  }
  // Read once at config load, before worker threads exist.
  const char* value = std::getenv(name); // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

ConfigConstSharedPtr parseConfig(std::string_view yaml_text, std::string_view source,
                                 EnvLookup env) {
  const std::string source_name(source);
  try {
    Parser parser(source_name, env);
    return parser.parse(yaml_text);
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null() || e.mark.line < 0) {
      throw ConfigError(fmt::format("{}: invalid YAML: {}", source_name, e.msg));
    }
    throw ConfigError(fmt::format("{}:{}: invalid YAML: {}", source_name, e.mark.line + 1, e.msg));
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("{}: cannot load the config: {}", source_name, e.what()));
  }
}

ConfigConstSharedPtr loadConfigFile(const std::string& path, EnvLookup env) {
  std::string text;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw ConfigError(fmt::format("{}: cannot open the file", path));
    }
    std::array<char, 65536> buffer{};
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
      if (text.size() > kMaxFileBytes) {
        throw ConfigError(fmt::format("{}: the file is larger than {} bytes", path, kMaxFileBytes));
      }
    }
    if (in.bad()) {
      throw ConfigError(fmt::format("{}: cannot read the file", path));
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("{}: cannot read the file: {}", path, e.what()));
  }
  return parseConfig(text, path, env);
}

const ResolvedEntity* Config::entityPolicy(std::string_view type) const noexcept {
  const auto found = entity_policies.find(type);
  return found == entity_policies.end() ? nullptr : &found->second;
}

const std::vector<BuiltinEntity>& builtinEntities() {
  static const std::vector<BuiltinEntity> entities = [] {
    std::vector<BuiltinEntity> all;
    auto add = [&all](std::string_view level, bool pseudonymize,
                      std::initializer_list<std::string_view> types, bool secret = false) {
      for (std::string_view type : types) {
        all.push_back({type, level, pseudonymize, secret});
      }
    };
    // Secrets: never leave a boundary of the highest clearance, whatever `entities` says.
    add("restricted", false,
        {"PRIVATE_KEY",
         "AWS_ACCESS_KEY",
         "AWS_SECRET_KEY",
         "GITHUB_TOKEN",
         "GITLAB_TOKEN",
         "SLACK_TOKEN",
         "SLACK_WEBHOOK",
         "STRIPE_KEY",
         "GOOGLE_API_KEY",
         "OPENAI_API_KEY",
         "ANTHROPIC_API_KEY",
         "HUGGINGFACE_TOKEN",
         "ARTIFACTORY_TOKEN",
         "MAILCHIMP_KEY",
         "NPM_TOKEN",
         "PYPI_TOKEN",
         "SENDGRID_KEY",
         "TELEGRAM_TOKEN",
         "TWILIO_KEY",
         "DISCORD_TOKEN",
         "SQUARE_OAUTH_SECRET",
         "AZURE_STORAGE_KEY",
         "JWT",
         "BASIC_AUTH_CREDENTIALS",
         "PASSWORD"},
        true);
    // Financial identifiers: never leave a restricted boundary, never pseudonymized.
    add("restricted", false,
        {"CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "ABA_ROUTING_NUMBER", "CRYPTO"});
    // Personal identifiers: confidential, may go further once replaced by placeholders.
    add("confidential", true,
        {"EMAIL_ADDRESS",
         "PERSON",
         "PHONE_NUMBER",
         "TR_PHONE_NUMBER",
         "PH_MOBILE_NUMBER",
         "NRP",
         "US_SSN",
         "US_ITIN",
         "US_PASSPORT",
         "US_DRIVER_LICENSE",
         "US_MBI",
         "MEDICAL_LICENSE",
         "UK_NHS",
         "UK_NINO",
         "UK_PASSPORT",
         "UK_DRIVING_LICENCE",
         "DE_TAX_ID",
         "DE_PASSPORT",
         "DE_FUEHRERSCHEIN",
         "DE_SOCIAL_SECURITY",
         "ES_NIF",
         "ES_NIE",
         "ES_PASSPORT",
         "IT_FISCAL_CODE",
         "IT_DRIVER_LICENSE",
         "IT_PASSPORT",
         "IT_IDENTITY_CARD",
         "FI_PERSONAL_IDENTITY_CODE",
         "SE_PERSONNUMMER",
         "TR_NATIONAL_ID",
         "KR_RRN",
         "KR_FRN",
         "KR_PASSPORT",
         "KR_DRIVER_LICENSE",
         "SG_NRIC_FIN",
         "IN_AADHAAR",
         "IN_PAN",
         "IN_VOTER",
         "IN_PASSPORT",
         "AU_TFN",
         "AU_MEDICARE",
         "ZA_ID_NUMBER",
         "NG_NIN",
         "PL_PESEL",
         "CA_SIN",
         "PH_TIN",
         "TH_TNIN",
         "UK_VEHICLE_REGISTRATION",
         "TR_LICENSE_PLATE",
         "NG_VEHICLE_REGISTRATION",
         "IN_VEHICLE_REGISTRATION",
         "DE_KFZ"});
    // Weak identifiers (places, addresses, organisations): internal.
    add("internal", true,
        {"LOCATION", "UK_POSTCODE", "DE_PLZ", "IP_ADDRESS", "MAC_ADDRESS", "ORGANIZATION",
         "SE_ORGANISATIONSNUMMER", "AU_ABN", "AU_ACN", "DE_HANDELSREGISTER", "DE_VAT_ID",
         "DE_TAX_NUMBER", "DE_LANR", "US_NPI", "IT_VAT_CODE", "IN_GSTIN", "SG_UEN"});
    // Common and harmless on their own: do not raise the level.
    add("public", false, {"URL", "DATE_TIME"});
    return all;
  }();
  return entities;
}

const std::vector<std::string_view>& builtinEntityTypes() {
  static const std::vector<std::string_view> types = [] {
    std::vector<std::string_view> names;
    for (const auto& entity : builtinEntities()) {
      names.push_back(entity.type);
    }
    return names;
  }();
  return types;
}

} // namespace cordon::config
