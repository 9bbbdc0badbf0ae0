// `cordon audit flows`: where the data went, summed from the audit records (PRODUCT.md §4,
// docs/audit.md "Flows").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/audit/record.h"
#include "cordon/common/result.h"

namespace cordon::audit {

struct FlowQuery {
  std::string tenant;                   ///< only this tenant's records; empty: every tenant
  std::optional<std::int64_t> since_ms; ///< only records with time_ms >= since_ms
};

/// Requests whose data went to one (boundary, region, backend, level): the records whose
/// `target` (the target that answered, or was tried last) is on that backend.
struct FlowRow {
  std::string boundary;
  std::string region;
  std::string backend; ///< the backend part of the record's `target` ("backend:model")
  std::string level;   ///< the request's level
  std::uint64_t requests = 0;
  std::uint64_t pseudonymized = 0; ///< of `requests`, how many were sent pseudonymized
};

/// How often a backend was tried (every attempt of every record, fallbacks included).
struct BackendAttempts {
  std::uint64_t tried = 0;
  std::uint64_t failed = 0; ///< attempts with an error, no status or a status >= 400
};

struct TenantFlows {
  std::string tenant; ///< "" for requests that were not authenticated
  std::uint64_t requests = 0;
  std::map<std::string, std::uint64_t> outcomes; ///< outcome -> records ("answered", ...)
  std::vector<FlowRow> flows;                    ///< by boundary, region, backend, level
  std::map<std::string, std::uint64_t> refusals; ///< reason -> records refused for it
  std::uint64_t failures = 0;                    ///< records with outcome "failed"
  std::map<std::string, BackendAttempts> attempts;
};

struct Flows {
  FlowQuery query;
  std::uint64_t records = 0;    ///< records that matched the query
  std::uint64_t unreadable = 0; ///< stored entries that are not records (skipped; see verify)
  std::optional<std::int64_t> first_ms; ///< earliest time_ms of the matched records
  std::optional<std::int64_t> last_ms;  ///< latest time_ms of the matched records
  std::vector<TenantFlows> tenants;     ///< by tenant name
};

/// Sums the records of `sink` that match `query`. Errors only when the sink cannot be read.
Result<Flows> flows(Sink& sink, const FlowQuery& query);

/// The readable report: header lines (tenant, period, totals), then one block per tenant.
std::string flowsTable(const Flows& flows);

/// The JSON report (one line, shape in docs/audit.md).
std::string flowsJson(const Flows& flows);

/// "YYYY-MM-DD" (midnight UTC) or an RFC 3339 date-time ("2026-03-01T12:00:00Z",
/// "2026-03-01T12:00:00.250+01:00") as Unix milliseconds; nullopt when it is neither.
std::optional<std::int64_t> parseTimestamp(std::string_view text);

/// Unix milliseconds as "2026-03-01T12:00:00Z" (UTC, whole seconds; ".250" added when the
/// milliseconds are not zero).
std::string formatTimestamp(std::int64_t ms);

} // namespace cordon::audit
