#include "cli/audit_commands.h"

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "cordon/audit/flows.h"
#include "cordon/audit/record.h"

namespace cordon::cli {
namespace {

std::string counted(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

} // namespace

int auditVerify(std::string_view sink_spec, std::ostream& out, std::ostream& err) {
  // Read mode: a mistyped path must be an error, not a freshly created empty sink that
  // verifies as intact.
  auto sink = audit::openSink(sink_spec, audit::OpenMode::Read);
  if (!sink) {
    fmt::print(err, "cordon: {}\n", sink.error().detail);
    return kAuditError;
  }
  auto report = audit::verify(**sink);
  if (!report) {
    fmt::print(err, "cordon: {}\n", report.error().detail);
    return kAuditError;
  }
  const std::string counts = fmt::format("{} in {}", counted(report->records, "record", "records"),
                                         counted(report->chains, "chain", "chains"));
  if (!report->intact()) {
    fmt::print(out, "audit: broken: {}\naudit: {} read\n", report->problem, counts);
    return kAuditBroken;
  }
  fmt::print(out, "audit: {}, intact\n", counts);
  if (!report->open_chains.empty()) {
    fmt::print(out,
               "audit: not sealed (the gateway is running, stopped without draining, or records "
               "were cut from the end): {}\n",
               fmt::join(report->open_chains, ", "));
  }
  return kAuditIntact;
}

int auditFlows(std::string_view sink_spec, const AuditFlowsOptions& options, std::ostream& out,
               std::ostream& err) {
  if (options.format != "table" && options.format != "json") {
    fmt::print(err, "cordon: --format must be table or json, not \"{}\"\n", options.format);
    return kAuditError;
  }
  audit::FlowQuery query;
  query.tenant = options.tenant;
  if (!options.since.empty()) {
    query.since_ms = audit::parseTimestamp(options.since);
    if (!query.since_ms) {
      fmt::print(err,
                 "cordon: --since must be a date (2026-03-01) or an RFC 3339 date-time "
                 "(2026-03-01T09:00:00Z, 2026-03-01T10:00:00+01:00), not \"{}\"\n",
                 options.since);
      return kAuditError;
    }
  }
  auto sink = audit::openSink(sink_spec, audit::OpenMode::Read);
  if (!sink) {
    fmt::print(err, "cordon: {}\n", sink.error().detail);
    return kAuditError;
  }
  auto result = audit::flows(**sink, query);
  if (!result) {
    fmt::print(err, "cordon: {}\n", result.error().detail);
    return kAuditError;
  }
  if (options.format == "json") {
    fmt::print(out, "{}\n", audit::flowsJson(*result));
  } else {
    fmt::print(out, "{}", audit::flowsTable(*result));
  }
  return 0;
}

} // namespace cordon::cli
