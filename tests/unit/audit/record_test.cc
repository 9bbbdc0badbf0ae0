// The canonical form is what the chain hashes: these golden strings must never change. If one of
// them fails, a change broke every existing audit chain; add a field at the end instead
// (docs/audit.md, "Canonical form").
#include <gtest/gtest.h>

#include "cordon/audit/record.h"
#include "cordon/common/sha256.h"
#include "unit/audit/support.h"

namespace cordon::audit {
namespace {

using testing::answered;

Record fullRecord() {
  Record record;
  record.request_id = "5f0c6c1e9d2a4b7f8e3d2c1b0a998877";
  record.time_ms = 1767268800123;
  record.tenant = "acme";
  record.key = "billing-app";
  record.endpoint = "/v1/chat/completions";
  record.model = "assistant";
  record.declared_level = "internal";
  record.detected_level = "confidential";
  record.level = "confidential";
  record.entities = {{"PHONE_NUMBER", 1}, {"EMAIL_ADDRESS", 2}, {"PERSON", 3}};
  record.target = "cloud:gpt-4o";
  record.boundary = "cloud-eu";
  record.region = "eu-west";
  record.pseudonymized = true;
  record.pseudonymized_values = 6;
  record.reason = "pseudonymized: confidential may leave as placeholders";
  record.attempts = {{"local", "llama3:8b", 0, 5000, "timeout"}, {"cloud", "gpt-4o", 200, 812, ""}};
  record.tokens_in = 1200;
  record.tokens_out = 345;
  record.outcome = "answered";
  record.status = 200;
  Chain chain("gw-1", 41, std::string(64, 'a'));
  chain.link(record);
  return record;
}

Record refusedRecord() {
  Record record;
  record.request_id = "r2";
  record.time_ms = -1; // before 1970: the field is signed and must stay so
  record.tenant = "t\"\\\n\t\x01\x7f";
  record.key = "k";
  record.endpoint = "/v1/messages";
  record.level = "restricted";
  record.entities = {{"PRIVATE_KEY", 1}};
  record.reason = "deny PRIVATE_KEY";
  record.outcome = "refused";
  record.status = 403;
  Chain chain("gw-2");
  chain.link(record);
  return record;
}

TEST(Canonical, GoldenDefaultRecord) {
  EXPECT_EQ(canonical(Record{}),
            R"({"instance":"","sequence":0,"prev_hash":"","request_id":"","time_ms":0,)"
            R"("tenant":"","key":"","endpoint":"","model":"","declared_level":"",)"
            R"("detected_level":"","level":"","entities":{},"target":"","boundary":"",)"
            R"("region":"","pseudonymized":false,"pseudonymized_values":0,"reason":"",)"
            R"("attempts":[],"tokens_in":0,"tokens_out":0,"outcome":"","status":0})");
}

TEST(Canonical, GoldenAnsweredRecord) {
  const Record record = fullRecord();
  EXPECT_EQ(
      canonical(record),
      R"({"instance":"gw-1","sequence":41,)"
      R"("prev_hash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
      R"("request_id":"5f0c6c1e9d2a4b7f8e3d2c1b0a998877","time_ms":1767268800123,)"
      R"("tenant":"acme","key":"billing-app","endpoint":"/v1/chat/completions",)"
      R"("model":"assistant","declared_level":"internal","detected_level":"confidential",)"
      R"("level":"confidential","entities":{"EMAIL_ADDRESS":2,"PERSON":3,"PHONE_NUMBER":1},)"
      R"("target":"cloud:gpt-4o","boundary":"cloud-eu","region":"eu-west","pseudonymized":true,)"
      R"("pseudonymized_values":6,"reason":"pseudonymized: confidential may leave as placeholders",)"
      R"("attempts":[{"backend":"local","model":"llama3:8b","status":0,"latency_ms":5000,)"
      R"("error":"timeout"},{"backend":"cloud","model":"gpt-4o","status":200,"latency_ms":812,)"
      R"("error":""}],"tokens_in":1200,"tokens_out":345,"outcome":"answered","status":200})");
  EXPECT_EQ(record.hash, "eebf74b6b7490483590e7bd93a22ba1061027fab273a474d9e8291d1c5d5bf4a");
}

TEST(Canonical, GoldenRefusedRecordWithEscapes) {
  const Record record = refusedRecord();
  EXPECT_EQ(canonical(record),
            R"({"instance":"gw-2","sequence":0,)"
            R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
            R"("request_id":"r2","time_ms":-1,"tenant":"t\"\\\n\t\u0001)"
            "\x7f"
            R"(","key":"k","endpoint":"/v1/messages","model":"","declared_level":"",)"
            R"("detected_level":"","level":"restricted","entities":{"PRIVATE_KEY":1},"target":"",)"
            R"("boundary":"","region":"","pseudonymized":false,"pseudonymized_values":0,)"
            R"("reason":"deny PRIVATE_KEY","attempts":[],"tokens_in":0,"tokens_out":0,)"
            R"("outcome":"refused","status":403})");
  EXPECT_EQ(record.hash, "45fdd27fc846383ff28ecd7b122cd75eb64376cf7ebebbf6388d8cc8cdc8a4e3");
}

struct EscapeCase {
  const char* name;
  std::string input;
  std::string json; ///< the value as canonical() writes it, quotes included
};

class Escaping : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(Escaping, WritesTheOneSpelling) {
  Record record;
  record.tenant = GetParam().input;
  const std::string text = canonical(record);
  EXPECT_NE(text.find(R"("tenant":)" + GetParam().json + R"(,"key":)"), std::string::npos) << text;
}

TEST_P(Escaping, ReadsBackToTheSameBytes) {
  Record record = answered(GetParam().input, 1);
  Chain("gw").link(record);
  auto parsed = parseStored(stored(record));
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(stored(*parsed), stored(record));
  EXPECT_EQ(toHex(sha256(canonical(*parsed))), record.hash);
}

INSTANTIATE_TEST_SUITE_P(
    Strings, Escaping,
    ::testing::Values(EscapeCase{"plain", "acme", R"("acme")"}, EscapeCase{"empty", "", R"("")"},
                      EscapeCase{"quote", "a\"b", R"("a\"b")"},
                      EscapeCase{"backslash", "a\\b", R"("a\\b")"},
                      EscapeCase{"slash_not_escaped", "a/b", R"("a/b")"},
                      EscapeCase{"short_escapes", "\b\t\n\f\r", R"("\b\t\n\f\r")"},
                      EscapeCase{"nul", std::string("a\0b", 3), R"("a\u0000b")"},
                      EscapeCase{"other_controls", "\x01\x1f\x0b", R"("\u0001\u001f\u000b")"},
                      EscapeCase{"del_as_is", "\x7f", "\"\x7f\""},
                      EscapeCase{"utf8_as_is", "Zürich 東京 😀", "\"Zürich 東京 😀\""},
                      EscapeCase{"u2028_as_is", "\xE2\x80\xA8", "\"\xE2\x80\xA8\""},
                      EscapeCase{"invalid_byte",
                                 "a\xFF"
                                 "b",
                                 "\"a\xEF\xBF\xBD"
                                 "b\""},
                      EscapeCase{"truncated_sequence", "\xC3", "\"\xEF\xBF\xBD\""},
                      EscapeCase{"overlong", "\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},
                      EscapeCase{"surrogate", "\xED\xA0\x80",
                                 "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
                      EscapeCase{"above_max", "\xF4\x90\x80\x80",
                                 "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""}),
    [](const ::testing::TestParamInfo<EscapeCase>& info) { return std::string(info.param.name); });

TEST(Stored, IsCanonicalWithTheHashLast) {
  const Record record = fullRecord();
  const std::string text = canonical(record);
  EXPECT_EQ(stored(record), text.substr(0, text.size() - 1) + R"(,"hash":")" + record.hash + "\"}");
}

TEST(Stored, RoundTripIsIdentical) {
  Record unauthenticated = answered("", 7);
  Chain("gw-3").link(unauthenticated);
  for (const Record& record : {fullRecord(), refusedRecord(), unauthenticated}) {
    auto parsed = parseStored(stored(record));
    ASSERT_TRUE(parsed) << parsed.error().detail;
    EXPECT_EQ(*parsed, record);
    EXPECT_EQ(stored(*parsed), stored(record));
  }
}

TEST(Stored, ExtremeIntegersRoundTrip) {
  Record record;
  record.sequence = std::numeric_limits<std::uint64_t>::max();
  record.time_ms = std::numeric_limits<std::int64_t>::min();
  record.tokens_in = std::numeric_limits<std::int64_t>::max();
  record.status = std::numeric_limits<unsigned>::max();
  record.pseudonymized_values = std::numeric_limits<std::uint32_t>::max();
  record.entities = {{"X", std::numeric_limits<std::uint32_t>::max()}};
  record.prev_hash = std::string(64, '0');
  record.hash = std::string(64, 'f');
  auto parsed = parseStored(stored(record));
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(*parsed, record);
}

TEST(Stored, ParsesInsignificantWhitespaceAndOtherKeyOrders) {
  // Not what cordon writes, but the same content: the hash is over the content's canonical form.
  const Record record = refusedRecord();
  auto parsed = parseStored(" \n" + stored(record) + "\n ");
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(*parsed, record);
}

struct BadCase {
  const char* name;
  std::string json;
  std::string problem; ///< a substring of the error
};

class ParseErrors : public ::testing::TestWithParam<BadCase> {};

/// stored(refusedRecord()) with `from` replaced by `to` (once).
std::string tampered(std::string_view from, std::string_view to) {
  std::string text = stored(refusedRecord());
  const std::size_t at = text.find(from);
  if (at == std::string::npos) {
    return "pattern not found";
  }
  return text.replace(at, from.size(), to);
}

TEST_P(ParseErrors, NameTheProblem) {
  auto parsed = parseStored(GetParam().json);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::BadRequest);
  EXPECT_NE(parsed.error().detail.find(GetParam().problem), std::string::npos)
      << parsed.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Records, ParseErrors,
    ::testing::Values(
        BadCase{"empty", "", "not JSON"}, BadCase{"garbage", "{\"instance\"", "not JSON"},
        BadCase{"array", "[]", "not a JSON object"},
        BadCase{"missing_tenant",
                tampered(R"("tenant":"t\"\\\n\t\u0001)"
                         "\x7f\",",
                         ""),
                "\"tenant\" is missing"},
        BadCase{"string_as_number", tampered(R"("sequence":0)", R"("sequence":"0")"),
                "\"sequence\" must be an integer"},
        BadCase{"negative_sequence", tampered(R"("sequence":0)", R"("sequence":-1)"),
                "\"sequence\" is out of range"},
        BadCase{"fraction", tampered(R"("status":403)", R"("status":403.0)"),
                "\"status\" must be an integer"},
        BadCase{"status_too_big", tampered(R"("status":403)", R"("status":4294967296)"),
                "\"status\" is out of range"},
        BadCase{"bool_as_string", tampered(R"("pseudonymized":false)", R"("pseudonymized":"no")"),
                "\"pseudonymized\" must be true or false"},
        BadCase{"tenant_number", tampered(R"("key":"k")", R"("key":1)"),
                "\"key\" must be a string"},
        BadCase{"entities_array", tampered(R"("entities":{"PRIVATE_KEY":1})", R"("entities":[])"),
                "\"entities\" must be an object"},
        BadCase{"entity_negative",
                tampered(R"("entities":{"PRIVATE_KEY":1})", R"("entities":{"PRIVATE_KEY":-1})"),
                "\"entities.PRIVATE_KEY\" is out of range"},
        BadCase{"attempts_object", tampered(R"("attempts":[])", R"("attempts":{})"),
                "\"attempts\" must be an array"},
        BadCase{"attempt_not_object", tampered(R"("attempts":[])", R"("attempts":[1])"),
                "\"attempts[0]\" must be an object"},
        BadCase{"attempt_missing_field",
                tampered(R"("attempts":[])",
                         R"("attempts":[{"backend":"b","model":"m","status":1,"latency_ms":2}])"),
                "\"attempts[0].error\" is missing"},
        BadCase{"attempt_unknown_field",
                tampered(R"("attempts":[])", R"("attempts":[{"backend":"b","model":"m",)"
                                             R"("status":1,"latency_ms":2,"error":"","x":0}])"),
                "\"attempts[0].x\" is not a field"},
        BadCase{"unknown_field", tampered(R"("status":403)", R"("status":403,"prompt_text":"hi")"),
                "\"prompt_text\" is not a field of an audit record"},
        BadCase{"hash_missing", stored(Record{}).substr(0, canonical(Record{}).size() - 1) + "}",
                "\"hash\" is missing"},
        BadCase{"hash_upper_case", tampered(R"("hash":")", R"("hash":"A)"), "\"hash\" must be 64"},
        BadCase{"prev_hash_short", tampered(R"("prev_hash":"0)", R"("prev_hash":")"),
                "\"prev_hash\" must be 64"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(Chain, LinksRecordsInOrder) {
  Chain chain("gw-1");
  Record first = answered("acme", 1);
  Record second = answered("acme", 2);
  chain.link(first);
  chain.link(second);
  EXPECT_EQ(chain.instance(), "gw-1");
  EXPECT_EQ(first.instance, "gw-1");
  EXPECT_EQ(first.sequence, 0U);
  EXPECT_EQ(first.prev_hash, std::string(64, '0'));
  EXPECT_EQ(first.hash, toHex(sha256(canonical(first))));
  EXPECT_EQ(second.sequence, 1U);
  EXPECT_EQ(second.prev_hash, first.hash);
  EXPECT_EQ(second.hash, toHex(sha256(canonical(second))));
}

TEST(Chain, ResumesWhereAChainEnded) {
  Chain chain("gw-1");
  Record first = answered("acme", 1);
  Record second = answered("acme", 2);
  chain.link(first);
  chain.link(second);
  Chain resumed("gw-1", 1, first.hash);
  Record again = answered("acme", 2);
  resumed.link(again);
  EXPECT_EQ(again, second);
}

TEST(Chain, HashIgnoresTheHashField) {
  Record record = answered("acme", 1);
  Chain("gw").link(record);
  const std::string hash = record.hash;
  record.hash = "anything";
  EXPECT_EQ(toHex(sha256(canonical(record))), hash);
}

} // namespace
} // namespace cordon::audit

namespace cordon::audit {
namespace {

TEST(RecordOptionalFields, PromptAndGuardrailsRoundTripAndOldRecordsKeepTheirForm) {
  Record plain;
  plain.request_id = "r1";
  const std::string before = canonical(plain);
  EXPECT_EQ(before.find("prompt"), std::string::npos);
  EXPECT_EQ(before.find("guardrails"), std::string::npos);

  Record governed = plain;
  governed.prompt = "support@3";
  governed.guardrails = {{"injection", "denied"}, {"rivals", "redacted"}};
  Chain chain("i1", 0, std::string(64, '0'));
  chain.link(governed);
  const auto parsed = parseStored(stored(governed));
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(*parsed, governed);
  EXPECT_EQ(toHex(sha256(canonical(*parsed))), governed.hash);
}

} // namespace
} // namespace cordon::audit
