// Pseudonymization through the real binary: a confidential request goes to the preferred cloud
// target with placeholders, the simulated cloud backend (echo mode, recording every body it
// receives) never sees an original value, and the client gets every value back: whole answers,
// streams split every few bytes, tool-call arguments, several turns.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

namespace json = boost::json;

/// A confidential request: a name, an e-mail address and a phone number, all pseudonymizable.
constexpr std::string_view kComplaint =
    "Dear team, my name is Jane Roe. Your courier lost my parcel twice. Write to "
    "jane.roe@example.com or call +44 20 7946 0958 today.";
constexpr std::string_view kOriginals[] = {"Jane Roe", "jane.roe@example.com", "+44 20 7946 0958"};

class PseudonymizeTest : public IntegrationTest {
protected:
  void SetUp() override {
    const auto local = startSimulator("local", {"--record", dir.path() + "/local.jsonl"});
    const auto us = startSimulator("us", {"--record", dir.path() + "/us.jsonl"});
    const auto split =
        startSimulator("split", {"--record", dir.path() + "/split.jsonl", "--chunk-bytes", "3"});
    const auto eu = startSimulator("eu", {"--record", dir.path() + "/eu.jsonl"});
    const auto broken = startSimulator(
        "broken", {"--reset-mid-stream", "--chunk-bytes", "5", "--token-delay-ms", "5"});
    port = startGateway(config(backend("local", "onprem", local) + backend("us", "us-cloud", us) +
                                   backend("split", "us-cloud", split) +
                                   backend("eu", "eu-cloud", eu) +
                                   backend("broken", "us-cloud", broken),
                               "  assistant: { pseudonymize: auto, targets: [us:m, local:m] }\n"
                               "  splitter: { pseudonymize: auto, targets: [split:m, local:m] }\n"
                               "  plain: { pseudonymize: never, targets: [us:m, eu:m, local:m] }\n"
                               "  brittle: { pseudonymize: auto, targets: [broken:m] }\n"));
  }

  /// Every body the named simulator received, one per line.
  std::string received(const std::string& backend) const {
    std::ifstream in(dir.path() + "/" + backend + ".jsonl");
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

  /// The backend's record holds none of the original values.
  void expectNoOriginalsReached(const std::string& backend) const {
    const std::string seen = received(backend);
    ASSERT_FALSE(seen.empty()) << backend << " received nothing";
    for (const std::string_view value : kOriginals) {
      EXPECT_EQ(seen.find(value), std::string::npos) << value << " reached " << backend;
    }
  }

  static std::string toolsField() {
    return R"("tools":[{"type":"function","function":{"name":"file_ticket",)"
           R"("parameters":{"type":"object","properties":{"echo":{"type":"string"}}}}}])";
  }

  std::uint16_t port = 0;
};

TEST_F(PseudonymizeTest, TheCloudSeesPlaceholdersTheClientSeesValues) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", kComplaint));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-backend"), "us");
  EXPECT_EQ(response.header("x-cordon-level"), "confidential");
  EXPECT_EQ(response.header("x-cordon-pseudonymized"), "3");
  const json::value answer = json::parse(response.body);
  EXPECT_EQ(str(answer, "/choices/0/message/content"), "[us] " + std::string(kComplaint));

  expectNoOriginalsReached("us");
  const std::string seen = received("us");
  EXPECT_NE(seen.find("<PERSON_1>"), std::string::npos) << seen;
  EXPECT_NE(seen.find("<EMAIL_ADDRESS_1>"), std::string::npos) << seen;
  EXPECT_NE(seen.find("<PHONE_NUMBER_1>"), std::string::npos) << seen;
}

TEST_F(PseudonymizeTest, StreamsSplitEveryThreeBytesComeBackWhole) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody("splitter", kComplaint, true));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-pseudonymized"), "3");
  EXPECT_EQ(streamedContent(response.body), "[split] " + std::string(kComplaint));
  const auto events = sseData(response.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  expectNoOriginalsReached("split");
}

TEST_F(PseudonymizeTest, ToolCallArgumentsAreRestored) {
  const std::string text =
      "CALL_TOOL for the customer jane.roe@example.com, phone +44 20 7946 0958.";
  for (const bool stream : {false, true}) {
    const HttpResponse response = chat(
        port, kAcmeKey, chatBody(stream ? "splitter" : "assistant", text, stream, toolsField()));
    ASSERT_EQ(response.status, 200) << response.body;
    std::string arguments;
    if (stream) {
      for (const auto& data : sseData(response.body)) {
        if (data == "[DONE]") {
          continue;
        }
        arguments += str(json::parse(data), "/choices/0/delta/tool_calls/0/function/arguments");
      }
    } else {
      arguments =
          str(json::parse(response.body), "/choices/0/message/tool_calls/0/function/arguments");
    }
    const json::value parsed = json::parse(arguments);
    EXPECT_EQ(str(parsed, "/echo"), text) << (stream ? "streamed: " : "whole: ") << arguments;
  }
  expectNoOriginalsReached("us");
  expectNoOriginalsReached("split");
}

TEST_F(PseudonymizeTest, OneValueOnePlaceholderAcrossTurns) {
  const std::string body =
      R"({"model":"assistant","messages":[)"
      R"({"role":"user","content":"Please contact jane.roe@example.com about order 77."},)"
      R"({"role":"assistant","content":"Sure, I will write to jane.roe@example.com."},)"
      R"({"role":"user","content":"Also cc jane.roe@example.com and tom.poe@example.org."}]})";
  const HttpResponse response = chat(port, kAcmeKey, body);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-pseudonymized"), "2");
  EXPECT_EQ(str(json::parse(response.body), "/choices/0/message/content"),
            "[us] Also cc jane.roe@example.com and tom.poe@example.org.");
  const std::string seen = received("us");
  EXPECT_EQ(seen.find("example.com"), std::string::npos) << seen;
  // The first value of the request got number 1, the second 2, in every turn.
  std::size_t ones = 0;
  for (auto at = seen.find("<EMAIL_ADDRESS_1>"); at != std::string::npos;
       at = seen.find("<EMAIL_ADDRESS_1>", at + 1)) {
    ++ones;
  }
  EXPECT_EQ(ones, 3U) << seen;
  EXPECT_NE(seen.find("<EMAIL_ADDRESS_2>"), std::string::npos) << seen;
}

TEST_F(PseudonymizeTest, APlaceholderTypedByTheUserComesBackUnchanged) {
  const std::string text = "Is <EMAIL_ADDRESS_1> a valid token? Mine is jane.roe@example.com.";
  const HttpResponse response = chat(port, kAcmeKey, chatBody("assistant", text));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(json::parse(response.body), "/choices/0/message/content"), "[us] " + text);
  const std::string seen = received("us");
  EXPECT_NE(seen.find("<EMAIL_ADDRESS_1> a valid token"), std::string::npos) << seen;
  EXPECT_NE(seen.find("<EMAIL_ADDRESS_2>"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("jane.roe@example.com"), std::string::npos) << seen;
}

TEST_F(PseudonymizeTest, NeverMeansTheValuesStayInsideTheirBoundary) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody("plain", kComplaint));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-backend"), "eu");
  EXPECT_EQ(response.header("x-cordon-pseudonymized"), "0");
  EXPECT_EQ(received("us"), "");
  EXPECT_NE(received("eu").find("jane.roe@example.com"), std::string::npos);
}

TEST_F(PseudonymizeTest, WhatCannotBePseudonymizedStaysOnPrem) {
  const HttpResponse response = chat(
      port, kAcmeKey, chatBody("assistant", "Jane Roe asks why card 4111 1111 1111 1111 failed."));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-backend"), "local");
  EXPECT_EQ(response.header("x-cordon-level"), "restricted");
  EXPECT_EQ(response.header("x-cordon-pseudonymized"), "0");
  EXPECT_EQ(received("us"), "");
  EXPECT_NE(received("local").find("4111 1111 1111 1111"), std::string::npos);
}

TEST_F(PseudonymizeTest, AStreamCutShortEndsWithAnErrorEvent) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody("brittle", kComplaint, true));
  ASSERT_EQ(response.status, 200) << response.body;
  const auto events = sseData(response.body);
  ASSERT_FALSE(events.empty()) << response.body;
  EXPECT_NE(events.back(), "[DONE]");
  EXPECT_NE(events.back().find("\"error\""), std::string::npos) << events.back();
  // What arrived is a prefix of the restored answer, but for the bytes of a placeholder that
  // were held back when the backend broke off.
  const std::string content = streamedContent(response.body);
  const std::string whole = "[broken] " + std::string(kComplaint);
  const std::size_t placeholder = content.rfind('<');
  const std::string restored_part =
      placeholder == std::string::npos ? content : content.substr(0, placeholder);
  EXPECT_EQ(whole.compare(0, restored_part.size(), restored_part), 0) << content;
  expectStillServes(port);
}

TEST_F(PseudonymizeTest, HarmlessRequestsAreSentAsTheyAre) {
  const HttpResponse response = chat(
      port, kAcmeKey, chatBody("assistant", "Summarise release 4.2.1 of the billing service."));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-cordon-backend"), "us");
  EXPECT_EQ(response.header("x-cordon-pseudonymized"), "0");
}

} // namespace
} // namespace cordon::itest
