// `cordon audit flows`: sums the records by tenant and by where their data went, for a
// compliance officer (table) or a script (JSON).
#include "cordon/audit/flows.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <tuple>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace cordon::audit {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms):
// exact for every year, no time zone database, no locale.
std::int64_t daysFromCivil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil civilFromDays(std::int64_t days) noexcept {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool isLeap(std::int64_t year) noexcept {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

unsigned daysInMonth(std::int64_t year, unsigned month) noexcept {
  constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeap(year) ? 29 : kDays[month - 1];
}

/// Reads exactly `width` digits at text[pos] into `value`.
bool digits(std::string_view text, std::size_t pos, std::size_t width, unsigned& value) {
  if (pos + width > text.size()) {
    return false;
  }
  value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

std::string tenantLabel(const std::string& tenant) {
  return tenant.empty() ? "(not authenticated)" : tenant;
}

std::string outcomeList(const std::map<std::string, std::uint64_t>& outcomes) {
  // The usual outcomes first, in the order a reader expects them, then any others.
  constexpr std::array<std::string_view, 6> kOrder{"answered", "refused", "rejected",
                                                   "failed",   "aborted", "unavailable"};
  std::string out;
  const auto add = [&out](std::string_view name, std::uint64_t count) {
    out.append(out.empty() ? "" : ", ");
    out.append(fmt::format("{} {}", count, name));
  };
  for (const std::string_view name : kOrder) {
    if (const auto found = outcomes.find(std::string(name)); found != outcomes.end()) {
      add(name, found->second);
    }
  }
  for (const auto& [name, count] : outcomes) {
    if (std::find(kOrder.begin(), kOrder.end(), name) == kOrder.end()) {
      add(name, count);
    }
  }
  return out;
}

/// Left-aligned text columns, right-aligned number columns, two spaces apart.
std::string table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric, std::string_view indent) {
  std::vector<std::size_t> widths(numeric.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) {
        line.append("  ");
      }
      const std::string pad(widths[i] - row[i].size(), ' ');
      line.append(numeric[i] ? pad + row[i] : row[i] + pad);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out.append(line).push_back('\n');
  }
  return out;
}

boost::json::object counts(const std::map<std::string, std::uint64_t>& map) {
  boost::json::object out;
  for (const auto& [name, count] : map) {
    out[name] = count;
  }
  return out;
}

boost::json::value optionalMs(const std::optional<std::int64_t>& ms) {
  return ms ? boost::json::value(*ms) : boost::json::value(nullptr);
}

using RowKey = std::tuple<std::string, std::string, std::string, std::string>;

struct TenantSums {
  TenantFlows flows;
  std::map<RowKey, FlowRow> rows;
};

void add(TenantSums& sums, const Record& record) {
  TenantFlows& tenant = sums.flows;
  ++tenant.requests;
  ++tenant.outcomes[record.outcome];
  if (record.outcome == "refused") {
    ++tenant.refusals[record.reason];
  }
  if (record.outcome == "failed") {
    ++tenant.failures;
  }
  if (!record.target.empty()) {
    std::string backend = record.target.substr(0, record.target.find(':'));
    RowKey key{record.boundary, record.region, backend, record.level};
    FlowRow& row = sums.rows[key];
    if (row.requests == 0) {
      row = FlowRow{record.boundary, record.region, std::move(backend), record.level, 0, 0};
    }
    ++row.requests;
    row.pseudonymized += record.pseudonymized ? 1 : 0;
  }
  for (const Attempt& attempt : record.attempts) {
    BackendAttempts& tried = tenant.attempts[attempt.backend];
    ++tried.tried;
    if (!attempt.error.empty() || attempt.status == 0 || attempt.status >= 400) {
      ++tried.failed;
    }
  }
}

} // namespace

Result<Flows> flows(Sink& sink, const FlowQuery& query) {
  Flows result;
  result.query = query;
  std::map<std::string, TenantSums> tenants;
  auto walked = sink.each([&](std::string_view text) {
    auto record = parseStored(text);
    if (!record) {
      ++result.unreadable;
      return;
    }
    // A chain's seal is no request.
    if (record->outcome == kSealOutcome ||
        (!query.tenant.empty() && record->tenant != query.tenant) ||
        (query.since_ms && record->time_ms < *query.since_ms)) {
      return;
    }
    ++result.records;
    result.first_ms = std::min(result.first_ms.value_or(record->time_ms), record->time_ms);
    result.last_ms = std::max(result.last_ms.value_or(record->time_ms), record->time_ms);
    TenantSums& sums = tenants[record->tenant];
    sums.flows.tenant = record->tenant;
    add(sums, *record);
  });
  if (!walked) {
    return walked.error();
  }
  for (auto& [name, sums] : tenants) {
    for (auto& [key, row] : sums.rows) {
      sums.flows.flows.push_back(std::move(row));
    }
    result.tenants.push_back(std::move(sums.flows));
  }
  return result;
}

std::string flowsTable(const Flows& flows) {
  std::string out;
  out.append(fmt::format("tenant:  {}\n",
                         flows.query.tenant.empty() ? "all tenants" : flows.query.tenant));
  std::string period = flows.query.since_ms
                           ? fmt::format("since {}", formatTimestamp(*flows.query.since_ms))
                           : std::string("all records");
  if (flows.first_ms) {
    period.append(fmt::format(" (records from {} to {})", formatTimestamp(*flows.first_ms),
                              formatTimestamp(*flows.last_ms)));
  }
  out.append(fmt::format("period:  {}\n", period));
  std::map<std::string, std::uint64_t> outcomes;
  for (const TenantFlows& tenant : flows.tenants) {
    for (const auto& [name, count] : tenant.outcomes) {
      outcomes[name] += count;
    }
  }
  out.append(fmt::format("totals:  {} requests{}{}\n", flows.records, outcomes.empty() ? "" : ": ",
                         outcomeList(outcomes)));
  if (flows.unreadable > 0) {
    out.append(fmt::format("warning: {} stored entries are not audit records and were skipped "
                           "(run `cordon audit verify`)\n",
                           flows.unreadable));
  }
  for (const TenantFlows& tenant : flows.tenants) {
    out.append(fmt::format("\ntenant {}: {} requests ({})\n", tenantLabel(tenant.tenant),
                           tenant.requests, outcomeList(tenant.outcomes)));
    if (tenant.flows.empty()) {
      out.append("  no data sent to any backend\n");
    } else {
      std::vector<std::vector<std::string>> rows{
          {"BOUNDARY", "REGION", "BACKEND", "LEVEL", "REQUESTS", "PSEUDONYMIZED"}};
      for (const FlowRow& row : tenant.flows) {
        rows.push_back({row.boundary, row.region, row.backend, row.level,
                        std::to_string(row.requests), std::to_string(row.pseudonymized)});
      }
      out.append(table(rows, {false, false, false, false, true, true}, "  "));
    }
    if (!tenant.refusals.empty()) {
      out.append("  refused, by reason:\n");
      std::vector<std::vector<std::string>> rows;
      for (const auto& [reason, count] : tenant.refusals) {
        rows.push_back({std::to_string(count), reason.empty() ? "(no reason recorded)" : reason});
      }
      out.append(table(rows, {true, false}, "    "));
    }
    if (tenant.failures > 0) {
      out.append(fmt::format("  failed (every eligible target failed): {}\n", tenant.failures));
    }
    if (!tenant.attempts.empty()) {
      out.append("  backends tried (fallbacks included):\n");
      std::vector<std::vector<std::string>> rows;
      for (const auto& [backend, tried] : tenant.attempts) {
        rows.push_back({backend, std::to_string(tried.tried),
                        tried.failed > 0 ? fmt::format("({} failed)", tried.failed) : ""});
      }
      out.append(table(rows, {false, true, false}, "    "));
    }
  }
  return out;
}

std::string flowsJson(const Flows& flows) {
  boost::json::object out;
  out["tenant"] = flows.query.tenant.empty() ? boost::json::value(nullptr)
                                             : boost::json::value(flows.query.tenant);
  out["since_ms"] = optionalMs(flows.query.since_ms);
  out["first_ms"] = optionalMs(flows.first_ms);
  out["last_ms"] = optionalMs(flows.last_ms);
  out["records"] = flows.records;
  out["unreadable"] = flows.unreadable;
  boost::json::array tenants;
  for (const TenantFlows& tenant : flows.tenants) {
    boost::json::object entry;
    entry["tenant"] = tenant.tenant;
    entry["requests"] = tenant.requests;
    entry["outcomes"] = counts(tenant.outcomes);
    boost::json::array rows;
    for (const FlowRow& row : tenant.flows) {
      rows.push_back(boost::json::object{{"boundary", row.boundary},
                                         {"region", row.region},
                                         {"backend", row.backend},
                                         {"level", row.level},
                                         {"requests", row.requests},
                                         {"pseudonymized", row.pseudonymized}});
    }
    entry["flows"] = std::move(rows);
    entry["refusals"] = counts(tenant.refusals);
    entry["failures"] = tenant.failures;
    boost::json::object attempts;
    for (const auto& [backend, tried] : tenant.attempts) {
      attempts[backend] = boost::json::object{{"tried", tried.tried}, {"failed", tried.failed}};
    }
    entry["attempts"] = std::move(attempts);
    tenants.push_back(std::move(entry));
  }
  out["tenants"] = std::move(tenants);
  return boost::json::serialize(out);
}

std::optional<std::int64_t> parseTimestamp(std::string_view text) {
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) || month < 1 ||
      month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return std::nullopt;
  }
  const std::int64_t days = daysFromCivil(year, month, day);
  if (text.size() == 10) {
    return days * kSecondsPerDay * kMsPerSecond;
  }
  // RFC 3339 date-time: 'T' (or 't', or a space as its section 5.6 note allows), time,
  // optional fraction, then 'Z' or a numeric offset.
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text.size() < 20 || text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (text[pos] == '.') {
    const std::size_t start = ++pos;
    std::int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale; // digits past milliseconds are dropped
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  std::int64_t offset_minutes = 0;
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "z") {
    unsigned offset_hour = 0;
    unsigned offset_minute = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') ||
        !digits(zone, 1, 2, offset_hour) || zone[3] != ':' || !digits(zone, 4, 2, offset_minute) ||
        offset_hour > 23 || offset_minute > 59) {
      return std::nullopt;
    }
    offset_minutes =
        (zone[0] == '-' ? -1 : 1) * static_cast<std::int64_t>(offset_hour * 60 + offset_minute);
  }
  const std::int64_t seconds = days * kSecondsPerDay + std::int64_t{hour} * 3600 +
                               std::int64_t{minute} * 60 + second - offset_minutes * 60;
  return seconds * kMsPerSecond + ms;
}

std::string formatTimestamp(std::int64_t ms) {
  std::int64_t seconds = ms / kMsPerSecond;
  std::int64_t millis = ms % kMsPerSecond;
  if (millis < 0) {
    millis += kMsPerSecond;
    --seconds;
  }
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const Civil date = civilFromDays(days);
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", date.year, date.month, date.day,
                  second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
  if (millis != 0) {
    out.append(fmt::format(".{:03}", millis));
  }
  out.push_back('Z');
  return out;
}

} // namespace cordon::audit
