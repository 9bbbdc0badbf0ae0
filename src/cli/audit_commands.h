// `cordon audit verify` and `cordon audit flows` (PRODUCT.md §4, docs/audit.md): the command
// bodies, apart from main's argument wiring.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace cordon::cli {

/// Exit codes of the audit commands.
inline constexpr int kAuditIntact = 0;
inline constexpr int kAuditBroken = 1; ///< verify found a broken chain
inline constexpr int kAuditError = 2;  ///< a bad option, or the sink cannot be opened or read

/// `cordon audit verify`: checks every chain of the sink `sink_spec` (config audit.sink).
/// Prints "audit: N records in M chains, intact" (exit 0) or the first broken record (exit 1);
/// a sink that cannot be opened or read is reported on `err` (exit 2).
int auditVerify(std::string_view sink_spec, std::ostream& out, std::ostream& err);

struct AuditFlowsOptions {
  std::string tenant;           ///< "" for every tenant
  std::string since;            ///< "" for all records, else YYYY-MM-DD or RFC 3339
  std::string format = "table"; ///< "table" or "json"
};

/// `cordon audit flows`: where the data went. Exit 0, or 2 (message on `err`) for a bad option
/// or a sink that cannot be read.
int auditFlows(std::string_view sink_spec, const AuditFlowsOptions& options, std::ostream& out,
               std::ostream& err);

} // namespace cordon::cli
