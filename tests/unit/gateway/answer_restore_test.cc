// Restoring answers to pseudonymized requests on the canonical types: whole answers (content,
// refusal, tool-call arguments as JSON strings) and streams whose placeholders are split across
// chunks of content, tool-call arguments and choices.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/pseudonymize/pseudonymizer.h"
#include "gateway/answer_restore.h"

namespace cordon::gateway {
namespace {

/// A map for "Jane Roe" (<PERSON_1>) and a value with a quote (<PERSON_2>, O"Hara).
pseudonymize::PlaceholderMap makeMap() {
  pseudonymize::Pseudonymizer pseudonymizer;
  const std::string text = "Jane Roe and O\"Hara";
  const std::vector<classify::Finding> findings{{"PERSON", 0, 8, 1.0F}, {"PERSON", 13, 19, 1.0F}};
  const std::string masked =
      pseudonymizer.apply(text, findings, [](std::string_view /*type*/) { return true; });
  EXPECT_EQ(masked, "<PERSON_1> and <PERSON_2>");
  return std::move(pseudonymizer).take();
}

protocol::ChatChunk contentChunk(std::int64_t choice, std::string content,
                                 std::string finish = {}) {
  protocol::ChatChunk chunk;
  chunk.id = "c1";
  protocol::ChoiceDelta delta;
  delta.index = choice;
  delta.content = std::move(content);
  delta.finish_reason = std::move(finish);
  chunk.choices.push_back(std::move(delta));
  return chunk;
}

TEST(AnswerRestore, WholeAnswer) {
  const auto map = makeMap();
  protocol::ChatResponse answer;
  protocol::Choice choice;
  choice.message.content.push_back(
      {protocol::ContentPart::Kind::Text, "Hi <PERSON_1>!", {}, {}, {}});
  choice.message.refusal = "I cannot help <person_1 >.";
  choice.message.tool_calls.push_back({"t1", "f", R"({"who":"<PERSON_2>","n":"<PERSON_9>"})", {}});
  answer.choices.push_back(std::move(choice));
  restoreAnswer(answer, map);
  const protocol::Message& message = answer.choices[0].message;
  EXPECT_EQ(message.content[0].text, "Hi Jane Roe!");
  EXPECT_EQ(message.refusal, "I cannot help Jane Roe.");
  // Inside JSON the quote is escaped; a placeholder the request never had stays as it is.
  EXPECT_EQ(message.tool_calls[0].arguments, R"({"who":"O\"Hara","n":"<PERSON_9>"})");
}

TEST(AnswerRestore, PlaceholderSplitAtEveryPointAcrossTwoChunks) {
  const auto map = makeMap();
  const std::string answer = "Dear <PERSON_1>, thanks.";
  for (std::size_t cut = 0; cut <= answer.size(); ++cut) {
    ChunkRestorer restorer(map);
    auto first = contentChunk(0, answer.substr(0, cut));
    auto second = contentChunk(0, answer.substr(cut), "stop");
    restorer.restore(first);
    restorer.restore(second);
    EXPECT_EQ(*first.choices[0].content + *second.choices[0].content, "Dear Jane Roe, thanks.")
        << "cut at " << cut;
    EXPECT_FALSE(restorer.flush().has_value());
  }
}

TEST(AnswerRestore, ChoicesAndToolCallsAreSeparateStreams) {
  const auto map = makeMap();
  ChunkRestorer restorer(map);
  protocol::ChatChunk chunk;
  protocol::ChoiceDelta zero;
  zero.index = 0;
  zero.content = "Hello <PERS";
  protocol::ChoiceDelta one;
  one.index = 1;
  one.tool_calls.push_back({0, "t1", "f", R"({"who":"<PER)"});
  chunk.choices = {zero, one};
  restorer.restore(chunk);
  EXPECT_EQ(*chunk.choices[0].content, "Hello ");
  EXPECT_EQ(chunk.choices[1].tool_calls[0].arguments, R"({"who":")");

  protocol::ChatChunk next;
  protocol::ChoiceDelta one_more;
  one_more.index = 1;
  one_more.tool_calls.push_back({0, "", "", R"(SON_2>"})"});
  protocol::ChoiceDelta zero_more;
  zero_more.index = 0;
  zero_more.content = "ON_1>";
  next.choices = {one_more, zero_more};
  restorer.restore(next);
  EXPECT_EQ(next.choices[0].tool_calls[0].arguments, R"(O\"Hara"})");
  EXPECT_EQ(*next.choices[1].content, "Jane Roe");
}

TEST(AnswerRestore, FinishReleasesWhatIsHeldIntoTheSameChunk) {
  const auto map = makeMap();
  ChunkRestorer restorer(map);
  auto chunk = contentChunk(0, "compare a <");
  restorer.restore(chunk);
  EXPECT_EQ(*chunk.choices[0].content, "compare a ");
  protocol::ChatChunk last;
  protocol::ChoiceDelta done;
  done.index = 0;
  done.finish_reason = "stop";
  last.choices.push_back(done);
  restorer.restore(last);
  ASSERT_TRUE(last.choices[0].content.has_value());
  EXPECT_EQ(*last.choices[0].content, "<");
}

TEST(AnswerRestore, FlushAfterACutStreamReturnsTheHeldBytes) {
  const auto map = makeMap();
  ChunkRestorer restorer(map);
  auto chunk = contentChunk(0, "see <PERSON_");
  protocol::ToolCallDelta call{0, "t", "f", R"({"a":"<PERSON_2)"};
  chunk.choices[0].tool_calls.push_back(call);
  restorer.restore(chunk);
  const auto held = restorer.flush();
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->choices.size(), 1U);
  EXPECT_EQ(held->id, "c1");
  EXPECT_EQ(*held->choices[0].content, "<PERSON_");
  ASSERT_EQ(held->choices[0].tool_calls.size(), 1U);
  EXPECT_EQ(held->choices[0].tool_calls[0].arguments, "<PERSON_2");
  EXPECT_FALSE(restorer.flush().has_value());
}

} // namespace
} // namespace cordon::gateway
