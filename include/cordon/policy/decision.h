// The routing decision (PRODUCT.md §1) as a pure function: the same inputs always give the same
// answer, nothing here does I/O, and `cordon check` / `cordon explain` call this very function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/config/config.h"

namespace cordon::policy {

using config::LevelIndex;

/// What the gateway learned about one request before deciding.
struct RequestFacts {
  std::optional<LevelIndex> declared; ///< x-cordon-level; can only raise the level.
  LevelIndex detected = 0;            ///< Highest level of any entity found in the text.
  /// Highest level of the entities that cannot be pseudonymized (the detected level once every
  /// pseudonymizable entity is replaced by a placeholder).
  LevelIndex residual_detected = 0;
  /// Set when an entity with `action: deny` was found: names the entity type (never its value).
  std::optional<std::string> denied_entity;
  /// How many findings of each entity type (for the audit record; never the values).
  std::map<std::string, std::uint32_t, std::less<>> entity_counts;
  /// The first secret type found (a credential or key): the request then goes only to boundaries
  /// of the highest clearance, whatever the levels say (the secrets guardrail).
  std::optional<std::string> secret;
};

enum class Delivery : std::uint8_t {
  AsIs,         ///< The target may see the request as the client sent it.
  Pseudonymized ///< The target may see it only with pseudonymizable entities replaced.
};

/// The verdict on one target of the model, in preference order.
struct TargetVerdict {
  std::size_t target = 0; ///< Index into Model::targets.
  bool eligible = false;
  Delivery delivery = Delivery::AsIs;
  /// Why the target is eligible or not, e.g. "boundary us-cloud clearance internal is below
  /// request level confidential". Names levels, boundaries and regions, never request data.
  std::string reason;
};

struct Decision {
  LevelIndex level = 0;                ///< max(declared, tenant floor, key floor, detected).
  LevelIndex residual_level = 0;       ///< The same with residual_detected in place of detected.
  std::vector<TargetVerdict> verdicts; ///< One per model target, preference order.
  std::vector<std::size_t> eligible;   ///< Indices into verdicts, preference order.
  /// Set when the request must be refused (403 policy_violation): the rule, never the data.
  std::optional<std::string> refusal;

  bool allowed() const noexcept { return !refusal.has_value(); }
};

/// Counts one detected entity of `type` into `facts`: raises `detected` to the type's level, and
/// `residual_detected` too unless the type may be pseudonymized; records the first type whose
/// action is deny; counts it in `entity_counts`. A type the config does not know counts as the
/// highest level and is not pseudonymizable (fail closed).
void countDetected(const config::Config& config, std::string_view type, RequestFacts& facts);

/// Decides which targets of `model` may receive a request of `tenant` (through `key`, which may be
/// null for tools such as `cordon check` that reason about a tenant as a whole). Targets are
/// never added by fallback: the gateway tries `eligible` in order and nothing else.
Decision decide(const config::Config& config, const config::Tenant& tenant,
                const config::ApiKey* key, const config::Model& model, const RequestFacts& facts);

/// What a caller asks to do, for access control.
struct AccessRequest {
  std::string_view model;
  std::optional<LevelIndex> declared; ///< x-cordon-level, when sent.
  bool explain = false;               ///< POST /v1/cordon/explain
};

/// Why `tenant` (through `key`, which may be null) may not do `request`, naming the rule (the
/// tenant's or the key's `models`, `max_declared` or `explain`) and never any data; nullopt when
/// it may. A key is held to its tenant's rules and to its own.
std::optional<std::string> accessRefusal(const config::Config& config, const config::Tenant& tenant,
                                         const config::ApiKey* key, const AccessRequest& request);

} // namespace cordon::policy
