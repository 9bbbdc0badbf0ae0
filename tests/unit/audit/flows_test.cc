#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "cordon/audit/flows.h"
#include "unit/audit/support.h"

namespace cordon::audit {
namespace {

using testing::answered;
using testing::MemorySink;

Record refused(std::string tenant, int n, std::string reason) {
  Record record = answered(std::move(tenant), n);
  record.target.clear();
  record.boundary.clear();
  record.region.clear();
  record.attempts.clear();
  record.level = "restricted";
  record.reason = std::move(reason);
  record.outcome = "refused";
  record.status = 403;
  return record;
}

Record cloud(std::string tenant, int n, bool pseudonymized) {
  Record record = answered(std::move(tenant), n);
  record.target = "openai:gpt-4o";
  record.boundary = "cloud";
  record.region = "us";
  record.level = "confidential";
  record.pseudonymized = pseudonymized;
  // The local backend timed out first, then the cloud one answered.
  record.attempts = {{"local", "llama3:8b", 0, 5000, "timeout"},
                     {"openai", "gpt-4o", 200, 900, ""}};
  return record;
}

Record failed(std::string tenant, int n) {
  Record record = answered(std::move(tenant), n);
  record.attempts = {{"local", "llama3:8b", 502, 10, ""}};
  record.outcome = "failed";
  record.status = 502;
  return record;
}

MemorySink sample() {
  std::vector<Record> records{answered("acme", 0),
                              answered("acme", 1),
                              cloud("acme", 2, true),
                              cloud("acme", 3, false),
                              cloud("acme", 4, true),
                              refused("acme", 5, "deny PRIVATE_KEY"),
                              refused("acme", 6, "deny PRIVATE_KEY"),
                              refused("acme", 7, "restricted stays on premises"),
                              failed("acme", 8),
                              answered("globex", 9),
                              refused("", 10, "no API key")};
  Chain chain("gw");
  MemorySink sink;
  for (Record& record : records) {
    chain.link(record);
  }
  EXPECT_TRUE(sink.append(records));
  sink.texts.insert(sink.texts.begin() + 3, "not a record");
  return sink;
}

TEST(Flows, SumsPerTenantAndDestination) {
  MemorySink sink = sample();
  auto result = flows(sink, {});
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_EQ(result->records, 11U);
  EXPECT_EQ(result->unreadable, 1U);
  EXPECT_EQ(result->first_ms, 1767225600000);
  EXPECT_EQ(result->last_ms, 1767225610000);
  ASSERT_EQ(result->tenants.size(), 3U);

  EXPECT_EQ(result->tenants[0].tenant, ""); // not authenticated sorts first
  EXPECT_EQ(result->tenants[0].refusals, (std::map<std::string, std::uint64_t>{{"no API key", 1}}));
  EXPECT_TRUE(result->tenants[0].flows.empty());

  const TenantFlows& acme = result->tenants[1];
  EXPECT_EQ(acme.tenant, "acme");
  EXPECT_EQ(acme.requests, 9U);
  EXPECT_EQ(acme.outcomes,
            (std::map<std::string, std::uint64_t>{{"answered", 5}, {"failed", 1}, {"refused", 3}}));
  ASSERT_EQ(acme.flows.size(), 2U);
  EXPECT_EQ(acme.flows[0].boundary, "cloud");
  EXPECT_EQ(acme.flows[0].region, "us");
  EXPECT_EQ(acme.flows[0].backend, "openai");
  EXPECT_EQ(acme.flows[0].level, "confidential");
  EXPECT_EQ(acme.flows[0].requests, 3U);
  EXPECT_EQ(acme.flows[0].pseudonymized, 2U);
  EXPECT_EQ(acme.flows[1].boundary, "onprem");
  EXPECT_EQ(acme.flows[1].backend, "local"); // "local:llama3:8b": the backend ends at the first ':'
  EXPECT_EQ(acme.flows[1].requests, 3U);     // the failed request was sent there too
  EXPECT_EQ(acme.flows[1].pseudonymized, 0U);
  EXPECT_EQ(acme.refusals, (std::map<std::string, std::uint64_t>{
                               {"deny PRIVATE_KEY", 2}, {"restricted stays on premises", 1}}));
  EXPECT_EQ(acme.failures, 1U);
  EXPECT_EQ(acme.attempts.at("local").tried, 6U);
  EXPECT_EQ(acme.attempts.at("local").failed, 4U);
  EXPECT_EQ(acme.attempts.at("openai").tried, 3U);
  EXPECT_EQ(acme.attempts.at("openai").failed, 0U);

  EXPECT_EQ(result->tenants[2].tenant, "globex");
  EXPECT_EQ(result->tenants[2].requests, 1U);
}

struct QueryCase {
  const char* name;
  FlowQuery query;
  std::uint64_t records;
  std::size_t tenants;
};

class FlowQueries : public ::testing::TestWithParam<QueryCase> {};

TEST_P(FlowQueries, Filter) {
  MemorySink sink = sample();
  auto result = flows(sink, GetParam().query);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->records, GetParam().records);
  EXPECT_EQ(result->tenants.size(), GetParam().tenants);
}

INSTANTIATE_TEST_SUITE_P(
    Queries, FlowQueries,
    ::testing::Values(QueryCase{"all", {}, 11, 3}, QueryCase{"tenant", {"acme", {}}, 9, 1},
                      QueryCase{"unknown_tenant", {"initech", {}}, 0, 0},
                      QueryCase{"since", {"", 1767225608000}, 3, 3},
                      QueryCase{"since_inclusive", {"acme", 1767225608000}, 1, 1},
                      QueryCase{"after_everything", {"", 1767225611000}, 0, 0}),
    [](const ::testing::TestParamInfo<QueryCase>& info) { return std::string(info.param.name); });

TEST(Flows, TableForAComplianceOfficer) {
  MemorySink sink = sample();
  auto result = flows(sink, {"acme", 1767225600000});
  ASSERT_TRUE(result);
  EXPECT_EQ(flowsTable(*result),
            "tenant:  acme\n"
            "period:  since 2026-01-01T00:00:00Z (records from 2026-01-01T00:00:00Z to "
            "2026-01-01T00:00:08Z)\n"
            "totals:  9 requests: 5 answered, 3 refused, 1 failed\n"
            "warning: 1 stored entries are not audit records and were skipped (run `cordon audit "
            "verify`)\n"
            "\n"
            "tenant acme: 9 requests (5 answered, 3 refused, 1 failed)\n"
            "  BOUNDARY  REGION  BACKEND  LEVEL         REQUESTS  PSEUDONYMIZED\n"
            "  cloud     us      openai   confidential         3              2\n"
            "  onprem    eu      local    internal             3              0\n"
            "  refused, by reason:\n"
            "    2  deny PRIVATE_KEY\n"
            "    1  restricted stays on premises\n"
            "  failed (every eligible target failed): 1\n"
            "  backends tried (fallbacks included):\n"
            "    local   6  (4 failed)\n"
            "    openai  3\n");
}

TEST(Flows, TableWithNothingToShow) {
  MemorySink sink;
  auto result = flows(sink, {});
  ASSERT_TRUE(result);
  EXPECT_EQ(flowsTable(*result), "tenant:  all tenants\n"
                                 "period:  all records\n"
                                 "totals:  0 requests\n");
}

TEST(Flows, JsonShape) {
  MemorySink sink = sample();
  auto result = flows(sink, {"globex", {}});
  ASSERT_TRUE(result);
  EXPECT_EQ(flowsJson(*result),
            R"({"tenant":"globex","since_ms":null,"first_ms":1767225609000,)"
            R"("last_ms":1767225609000,"records":1,"unreadable":1,"tenants":[{"tenant":"globex",)"
            R"("requests":1,"outcomes":{"answered":1},"flows":[{"boundary":"onprem",)"
            R"("region":"eu","backend":"local","level":"internal","requests":1,)"
            R"("pseudonymized":0}],"refusals":{},"failures":0,)"
            R"("attempts":{"local":{"tried":1,"failed":0}}}]})");
  auto all = flows(sink, {});
  ASSERT_TRUE(all);
  const boost::json::value parsed = boost::json::parse(flowsJson(*all));
  EXPECT_TRUE(parsed.at("tenant").is_null());
  EXPECT_EQ(parsed.at("tenants").as_array().size(), 3U);
}

struct TimeCase {
  const char* text;
  std::optional<std::int64_t> ms;
};

class Timestamps : public ::testing::TestWithParam<TimeCase> {};

TEST_P(Timestamps, Parse) {
  EXPECT_EQ(parseTimestamp(GetParam().text), GetParam().ms) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Dates, Timestamps,
    ::testing::Values(TimeCase{"1970-01-01", 0}, TimeCase{"2026-01-01", 1767225600000},
                      TimeCase{"2024-02-29", 1709164800000}, TimeCase{"2000-03-01", 951868800000},
                      TimeCase{"1969-12-31", -86400000},
                      TimeCase{"2026-01-01T00:00:00Z", 1767225600000},
                      TimeCase{"2026-01-01t00:00:01z", 1767225601000},
                      TimeCase{"2026-01-01 00:00:01Z", 1767225601000},
                      TimeCase{"2026-01-01T01:00:00+01:00", 1767225600000},
                      TimeCase{"2025-12-31T19:00:00-05:00", 1767225600000},
                      TimeCase{"2026-01-01T00:00:00.25Z", 1767225600250},
                      TimeCase{"2026-01-01T00:00:00.123456Z", 1767225600123},
                      TimeCase{"", std::nullopt}, TimeCase{"2026-1-01", std::nullopt},
                      TimeCase{"2026-02-29", std::nullopt}, TimeCase{"2026-13-01", std::nullopt},
                      TimeCase{"2026-00-10", std::nullopt}, TimeCase{"2026-01-32", std::nullopt},
                      TimeCase{"2026-01-01T", std::nullopt},
                      TimeCase{"2026-01-01T00:00:00", std::nullopt},
                      TimeCase{"2026-01-01T24:00:00Z", std::nullopt},
                      TimeCase{"2026-01-01T00:00:00.Z", std::nullopt},
                      TimeCase{"2026-01-01T00:00:00+0100", std::nullopt},
                      TimeCase{"2026-01-01T00:00:00+01:00x", std::nullopt},
                      TimeCase{"yesterday", std::nullopt}, TimeCase{"2026-01-01x", std::nullopt}));

TEST(Timestamps, Format) {
  EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatTimestamp(1767225600000), "2026-01-01T00:00:00Z");
  EXPECT_EQ(formatTimestamp(1709251199999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(formatTimestamp(-1), "1969-12-31T23:59:59.999Z");
  for (const std::int64_t ms : {0LL, 1767225600123LL, -86400000LL, 951868800000LL}) {
    EXPECT_EQ(parseTimestamp(formatTimestamp(ms)), ms);
  }
}

} // namespace
} // namespace cordon::audit
