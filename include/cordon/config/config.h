// The configuration snapshot (cordon.yaml, PRODUCT.md §2). A Config is immutable once loaded and
// shared as ConfigConstSharedPtr; a reload builds a new one and swaps it whole, so a request keeps
// the snapshot it started with. Cross references are resolved to indices at load time, so nothing
// on the request path looks a name up twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/common/sha256.h"

namespace cordon::config {

/// Index into Config::levels; a higher index is a more sensitive level.
using LevelIndex = std::uint8_t;

struct Boundary {
  std::string name;
  LevelIndex clearance = 0; ///< The highest level this boundary may receive.
  std::string region;       ///< Where the data is processed; matched against tenant residency.
  std::string note;         ///< Free text (contract terms, retention), shown by `check`.
};

enum class Protocol : std::uint8_t { OpenAi, Anthropic };

/// A backend url split once at load time.
struct Endpoint {
  bool tls = false;       ///< https
  std::string host;       ///< Host name or address, without brackets.
  std::uint16_t port = 0; ///< Explicit or the scheme's default.
  std::string base_path;  ///< e.g. "/v1"; never ends with '/'. Paths are appended to it.
};

/// Upstream timeouts. Config keys: `timeouts: {connect_ms, first_byte_ms, idle_ms}` at the top
/// level (defaults for every backend) and per backend (overrides).
struct UpstreamTimeouts {
  std::chrono::milliseconds connect{5'000};     ///< TCP connect plus TLS handshake.
  std::chrono::milliseconds first_byte{60'000}; ///< Request sent → response headers received.
  std::chrono::milliseconds idle{60'000};       ///< Longest silence between two body reads.
};

/// The circuit breaker of one backend (docs/reliability.md). Config key `breaker:` at the top
/// level (defaults for every backend) and per backend (overrides, key by key).
struct BreakerSettings {
  /// Consecutive failed attempts that open the breaker; 0 turns the breaker off.
  std::uint32_t consecutive_failures = 5;
  /// The breaker also opens when at least this share of the last `window` attempts failed
  /// (checked once `window` attempts were seen); 0 turns the rate rule off.
  double error_rate = 0.5;
  std::uint32_t window = 20;
  /// How long an open breaker refuses attempts before it lets probes through (half-open).
  std::chrono::milliseconds open{30'000};
  /// Probes let through at a time while half-open; one success closes the breaker, one failure
  /// opens it again.
  std::uint32_t half_open_probes = 1;
};

/// Optional active health check (`health_check: {path, interval_ms}` per backend): a GET of
/// `path` (appended to the backend url) every interval; a failed probe counts as a failed attempt
/// for the breaker and a successful one closes it.
struct HealthCheck {
  std::string path; ///< Empty: no active health check.
  std::chrono::milliseconds interval{10'000};
};

struct Backend {
  std::string name;
  std::size_t boundary = 0; ///< Index into Config::boundaries.
  Protocol protocol = Protocol::OpenAi;
  std::string url; ///< As written in the file.
  Endpoint endpoint;
  std::string api_key_env; ///< Name of the environment variable holding the upstream key.
  /// The upstream key read from api_key_env at load time; nullopt when the backend has no
  /// api_key_env or the variable is unset (see Config::missing_secrets). Never logged.
  std::optional<std::string> api_key;
  std::string ca_file; ///< Optional PEM bundle to verify this backend's certificate with.
  UpstreamTimeouts timeouts;
  BreakerSettings breaker;
  HealthCheck health_check;
  /// Requests this gateway may have open to the backend at once (over all workers); an attempt
  /// over the limit fails at once and the next eligible target is tried. 0 = no limit.
  std::uint32_t max_connections = 0;
};

/// One `backend:model` entry of a model's preference list.
struct Target {
  std::size_t backend = 0; ///< Index into Config::backends.
  std::string model;       ///< The model name sent upstream.
  /// The preference step this target belongs to. A list inside `targets`
  /// (`targets: [[a:m, b:m], c:m]`) is one step whose eligible members share the load, least
  /// outstanding requests first; a plain entry is a step of its own. Steps are numbered from 0
  /// in preference order, and the targets of one step are adjacent in Model::targets.
  std::size_t step = 0;
};

/// Retries across the eligible targets (top-level `retries:`). When every eligible target of a
/// request failed before the first byte, cordon waits a jittered backoff and walks the eligible
/// list again, up to `attempts` walks in all and never past the request's deadline.
struct RetrySettings {
  std::uint32_t attempts = 1;                   ///< Walks of the eligible list; 1 = no retry.
  std::chrono::milliseconds backoff{50};        ///< Base delay before the second walk.
  std::chrono::milliseconds max_backoff{1'000}; ///< Cap of the doubling, before jitter.
  /// Budget of one request over all attempts, from its arrival; an attempt's connect and
  /// first-byte timeouts are cut to what remains. 0 = no budget beyond the backend timeouts.
  std::chrono::milliseconds deadline{0};
};

/// Requests and tokens a caller may use per minute (`limits: {rpm, tpm}` on a tenant or a key).
/// Tokens are estimated from the request size before the call (bytes / 4) and corrected with the
/// upstream's usage after it. nullopt = no limit.
struct RateLimits {
  std::optional<std::uint64_t> requests_per_minute;
  std::optional<std::uint64_t> tokens_per_minute;

  [[nodiscard]] bool any() const noexcept {
    return requests_per_minute.has_value() || tokens_per_minute.has_value();
  }
};

/// Where rate-limit counters live (top-level `limits: {store}`): this process (`local`, the
/// default) or a Redis server shared by every replica (`redis://HOST:PORT[/DB]`).
struct LimitsSettings {
  std::string store = "local";

  [[nodiscard]] bool shared() const noexcept { return store != "local"; }
};

/// Listener TLS (`tls: {cert, key, client_ca, client_auth}`). With `client_ca` the listener asks
/// for a client certificate signed by it; `client_auth: required` refuses a handshake without
/// one. A verified certificate's subject CN authenticates as the tenant key whose `client_cn`
/// names it (an API key, when also sent, must belong to the same key).
struct TlsSettings {
  std::string cert_file; ///< PEM certificate chain; empty = plain HTTP.
  std::string key_file;  ///< PEM private key.
  std::string client_ca; ///< PEM bundle of CAs for client certificates; empty = no mTLS.
  bool client_cert_required = false;

  [[nodiscard]] bool enabled() const noexcept { return !cert_file.empty(); }
};

enum class PseudonymizeMode : std::uint8_t { Auto, Never };

/// What a guardrail does when it fires (docs/guardrails.md).
enum class GuardAction : std::uint8_t {
  Deny,   ///< Refuse the request (403, naming the guardrail) or, on output, withhold the answer.
  Redact, ///< Replace what matched ("[REDACTED]", "[REDACTED:TYPE]", hidden characters removed).
  Flag,   ///< Let it through; count it and record it in the audit.
};

enum class GuardKind : std::uint8_t {
  MaxPromptBytes,  ///< Input: total bytes of the request's texts above `limit` (deny, flag).
  MaxMessages,     ///< Input: more than `limit` messages (deny, flag).
  DenyWords,       ///< Input: any of `words`, case-insensitive whole words (deny, redact, flag).
  DenyRegex,       ///< Input: `regex` (Hyperscan syntax) matches (deny, redact, flag).
  PromptInjection, ///< Input: injection score ≥ `threshold` (deny, redact = strip hidden text,
                   ///< flag).
  OutputEntities,  ///< Output: the answer has a detected entity of `entities` (every type when
                   ///< empty) whose value the request did not contain (deny, redact, flag).
  JsonOutput,      ///< Output: a request for response_format json_object got invalid JSON (deny,
                   ///< flag).
};

struct Guardrail {
  std::string name;
  GuardKind kind = GuardKind::MaxPromptBytes;
  GuardAction action = GuardAction::Deny;
  std::uint64_t limit = 0;
  std::vector<std::string> words;
  std::string regex;
  double threshold = 0.5;
  std::vector<std::string> entities;
};

/// One message of a prompt template's scaffolding.
struct PromptMessage {
  std::string role; ///< "user" | "assistant"
  std::string content;
};

/// A template's wording: a system prompt and messages put before the client's, with {{name}}
/// variables.
struct PromptWording {
  std::string system;
  std::vector<PromptMessage> messages;
};

/// `prompts.NAME.VERSION`: a named, versioned template (docs/prompts.md).
struct PromptTemplate {
  std::string name;
  std::string version;
  PromptWording wording;
  /// Other wording for some targets (key: a backend name, or "backend:model"); the most specific
  /// match wins, then `wording`.
  std::map<std::string, PromptWording, std::less<>> per_target;
  std::map<std::string, std::string, std::less<>> defaults; ///< Variable defaults.

  std::string id() const { return name + "@" + version; }
};

/// Who may do what (tenants and keys alike; a key is held to its tenant's rules and its own).
struct Access {
  /// Model names this caller may use; nullopt = every model.
  std::optional<std::vector<std::string>> models;
  /// The highest level the caller may declare with x-cordon-level; nullopt = any.
  std::optional<LevelIndex> max_declared;
  bool explain = true; ///< May call /v1/cordon/explain.
};

struct Model {
  std::string name;            ///< What clients put in "model".
  std::vector<Target> targets; ///< Preference order, most preferred first.
  PseudonymizeMode pseudonymize = PseudonymizeMode::Never;
  /// A pinned template, "name@version" (an index into Config::prompts).
  std::optional<std::size_t> prompt;
  std::vector<std::size_t> guardrails; ///< Indexes into Config::guardrails.
};

struct ApiKey {
  std::string name;
  /// The SHA-256 of the key (`sha256:`); unset for a key that only authenticates by client
  /// certificate.
  std::optional<Sha256Digest> digest;
  /// Subject common name of a client certificate that authenticates as this key (`client_cn:`);
  /// empty = none. A key has `sha256`, `client_cn` or both.
  std::string client_cn;
  RateLimits limits;
  std::optional<LevelIndex> floor; ///< The key's own minimum level.
  Access access;
};

struct Tenant {
  std::string name;
  std::vector<std::string> residency; ///< Allowed regions; empty = any region.
  std::optional<LevelIndex> floor;
  std::vector<ApiKey> keys;
  Access access;
  std::vector<std::size_t> guardrails; ///< Indexes into Config::guardrails.
  RateLimits limits;
};

enum class EntityAction : std::uint8_t { Allow, Deny };

/// What an entity type means here (`entities:` overrides a built-in type's defaults).
struct EntityPolicy {
  std::string type;
  std::optional<LevelIndex> level;
  bool pseudonymize = false;
  EntityAction action = EntityAction::Allow;
};

/// How a detected entity type counts for a request once defaults and overrides are applied.
struct ResolvedEntity {
  LevelIndex level = 0;
  bool pseudonymize = false;
  EntityAction action = EntityAction::Allow;
  bool secret = false; ///< BuiltinEntity::secret
};

/// A built-in entity type and its documented default (docs/detection.md). `level` names a level
/// of the default ladder [public, internal, confidential, restricted]; see Config::entity_policies
/// for how it maps onto a config with other level names.
struct BuiltinEntity {
  std::string_view type;
  std::string_view level;
  bool pseudonymize;
  /// Credentials and keys: whatever `entities` says about their level, a request that carries
  /// one goes only to a boundary of the highest clearance (the on-prem guardrail).
  bool secret = false;
};

/// A config-defined detector: a whole-word list (case-insensitive) or a regex.
struct CustomEntity {
  EntityPolicy policy;
  std::vector<std::string> words;
  std::string regex;
};

struct AdminKey {
  std::string name;
  Sha256Digest digest{};
};

enum class AuditDurability : std::uint8_t { Sync, Async };

/// `audit.sink: none` turns the audit off. It exists to measure what the audit costs and for
/// throwaway experiments; a gateway without it cannot answer "where did the data go", so it
/// warns at every start and `/admin/flows` and `cordon audit` say the audit is off.
inline constexpr std::string_view kAuditOff = "none";

struct AuditSettings {
  std::string sink = "sqlite:cordon-audit.db";
  AuditDurability durability = AuditDurability::Sync;

  [[nodiscard]] bool enabled() const noexcept { return sink != kAuditOff; }
};

/// The listener and its limits.
struct ServerSettings {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::size_t max_body_bytes = std::size_t{8} * 1024U * 1024U;
  unsigned workers = 0; ///< 0 = one per core.
  /// Client must send the whole request head within this time (slowloris guard).
  std::chrono::milliseconds header_timeout{10'000};
  /// Client must send the whole body within this time.
  std::chrono::milliseconds body_timeout{30'000};
  /// An idle keep-alive connection is closed after this time.
  std::chrono::milliseconds keep_alive_timeout{60'000};
  /// Largest request head (request line and headers); larger gets 431 (`max_header_bytes`).
  std::size_t max_header_bytes = std::size_t{64} * 1024U;
  /// Requests served on one connection before it is closed (`max_keep_alive_requests`); 0 = no
  /// limit.
  std::uint32_t max_keep_alive_requests = 1'000;
  TlsSettings tls;
};

struct Config {
  std::string source; ///< File path (or a name for in-memory configs), for messages.
  ServerSettings server;
  std::vector<std::string> levels;
  std::vector<Boundary> boundaries;
  std::vector<Backend> backends;
  std::vector<Model> models;
  std::vector<Tenant> tenants;
  std::map<std::string, EntityPolicy, std::less<>> entities;
  std::vector<CustomEntity> custom_entities;
  /// Every built-in and custom entity type → how it counts: the built-in default, overridden key by
  /// key by `entities`; custom entities as configured (no level given: the highest level). A
  /// default level name the config's `levels` lack maps to the same relative rank, rounded up
  /// towards the more sensitive level (fail closed).
  std::map<std::string, ResolvedEntity, std::less<>> entity_policies;
  std::vector<AdminKey> admin_keys;
  std::vector<Guardrail> guardrails;
  std::vector<PromptTemplate> prompts;
  AuditSettings audit;
  RetrySettings retries;
  LimitsSettings limits;
  /// "backend X: environment variable Y is not set", one per backend whose secret is missing.
  /// `serve` refuses to start while this is non-empty; `check` prints them as warnings.
  std::vector<std::string> missing_secrets;

  std::optional<LevelIndex> findLevel(std::string_view name) const noexcept;
  const Model* findModel(std::string_view name) const noexcept;
  const Tenant* findTenant(std::string_view name) const noexcept;
  /// A template by "name@version", or by "name" alone (its highest version, compared as numbers
  /// when both are numbers); nullptr when there is none.
  const PromptTemplate* findPrompt(std::string_view id) const noexcept;
  /// The policy of a detected entity type; nullptr for a type the config does not know (callers
  /// fail closed: such a finding counts as the highest level).
  const ResolvedEntity* entityPolicy(std::string_view type) const noexcept;
  const Boundary& boundaryOf(const Backend& backend) const { return boundaries[backend.boundary]; }
};

using ConfigConstSharedPtr = std::shared_ptr<const Config>;

/// Thrown by the loader. what() is "FILE:LINE: problem" (or "FILE: problem" when no line
/// applies); the message never contains secret values.
class ConfigError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Reads an environment variable; injected so tests and fuzzers stay hermetic.
using EnvLookup = std::optional<std::string> (*)(const char* name);

/// The process environment (std::getenv).
std::optional<std::string> processEnv(const char* name);

/// Parses and validates a whole config. Throws ConfigError on the first problem: unknown keys,
/// unknown levels, a target naming an unknown backend, a backend in an unknown boundary, a regex
/// that does not compile, malformed values. `source` names the text in messages.
ConfigConstSharedPtr parseConfig(std::string_view yaml_text, std::string_view source,
                                 EnvLookup env = processEnv);

/// Reads `path` and parses it; throws ConfigError (also when the file cannot be read).
ConfigConstSharedPtr loadConfigFile(const std::string& path, EnvLookup env = processEnv);

/// The built-in entity types (Presidio's names and secret types) with their defaults.
const std::vector<BuiltinEntity>& builtinEntities();

/// The built-in entity types' names, in builtinEntities() order: what `entities:` may configure.
const std::vector<std::string_view>& builtinEntityTypes();

} // namespace cordon::config
