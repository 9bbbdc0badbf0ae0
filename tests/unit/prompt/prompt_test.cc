#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/prompt/prompt.h"

namespace cordon::prompt {
namespace {

using protocol::ChatRequest;
using protocol::Message;
using protocol::PassthroughField;
using protocol::Role;

struct RenderCase {
  std::string_view label;
  std::string_view text;
  Variables variables;
  std::string expected;
};

TEST(Render, Table) {
  const Variables defaults = {{"language", "English"}, {"company", "Default Corp"}};
  const std::vector<RenderCase> cases = {
      {"no placeholder", "plain text", {}, "plain text"},
      {"empty text", "", {}, ""},
      {"variable", "Hello {{company}}.", {{"company", "ACME"}}, "Hello ACME."},
      {"variable wins over default", "{{language}}", {{"language", "French"}}, "French"},
      {"default", "Answer in {{language}}.", {}, "Answer in English."},
      {"spaces inside braces",
       "[{{ company }}][{{company  }}][{{   company}}]",
       {{"company", "X"}},
       "[X][X][X]"},
      {"adjacent", "{{a}}{{b}}{{a}}", {{"a", "1"}, {"b", "2"}}, "121"},
      {"whole text", "{{a}}", {{"a", "only"}}, "only"},
      {"empty value", "<{{a}}>", {{"a", ""}}, "<>"},
      {"underscore and digits", "{{_x1}} {{A_2b}}", {{"_x1", "p"}, {"A_2b", "q"}}, "p q"},
      {"value holding a placeholder is not expanded again",
       "{{a}}",
       {{"a", "{{b}}"}, {"b", "never"}},
       "{{b}}"},
      {"value holding braces", "x{{a}}y", {{"a", "}}{{ {"}}, "x}}{{ {y"},
      {"value completing a placeholder is not rescanned",
       "{{a}}b}}",
       {{"a", "{{"}, {"b", "no"}},
       "{{b}}"},
      {"single braces", "{a} {{ } }} {", {}, "{a} {{ } }} {"},
      {"name starting with a digit", "{{1a}}", {}, "{{1a}}"},
      {"unclosed", "{{company", {}, "{{company"},
      {"single closing brace", "{{company}", {}, "{{company}"},
      {"space in the name", "{{com pany}}", {}, "{{com pany}}"},
      {"tab is not a space", "{{\tcompany}}", {}, "{{\tcompany}}"},
      {"hyphen", "{{com-pany}}", {}, "{{com-pany}}"},
      {"triple braces", "{{{a}}}", {{"a", "v"}}, "{v}"},
      {"empty braces", "{{}} {{ }}", {}, "{{}} {{ }}"},
      {"unicode around",
       "Grüße, {{name}} — 日本語 🙂",
       {{"name", "Zoë"}},
       "Grüße, Zoë — 日本語 🙂"},
      {"unicode value", "{{a}}", {{"a", "日本語 🙂"}}, "日本語 🙂"},
      {"invalid UTF-8 value kept as bytes",
       "[{{a}}]",
       {{"a", std::string("\xFF\xC0\x80\xED\xA0\x80")}},
       std::string("[\xFF\xC0\x80\xED\xA0\x80]")},
      {"NUL byte in value", "[{{a}}]", {{"a", std::string("a\0b", 3)}}, std::string("[a\0b]", 5)},
  };
  for (const RenderCase& test : cases) {
    auto rendered = render(test.text, test.variables, defaults, "support@3");
    ASSERT_TRUE(rendered) << test.label << ": " << rendered.error().detail;
    EXPECT_EQ(*rendered, test.expected) << test.label;
  }
}

TEST(Render, MissingVariableNamesItAndNoValue) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"Hi {{who}}", "who"},
      {"{{ who }}", "who"},
      {"{{known}} then {{first}} then {{second}}", "first"},
  };
  for (const auto& [text, missing] : cases) {
    auto rendered = render(text, {{"known", "SECRET-VALUE"}}, {}, "support@3");
    ASSERT_FALSE(rendered) << text;
    EXPECT_EQ(rendered.error().code, Errc::BadRequest);
    EXPECT_EQ(rendered.error().detail,
              "prompt support@3: missing variable " + std::string(missing));
  }
}

config::PromptTemplate supportTemplate() {
  config::PromptTemplate tmpl;
  tmpl.name = "support";
  tmpl.version = "3";
  tmpl.wording.system = "You are the support assistant of {{company}}. Answer in {{language}}.";
  tmpl.wording.messages = {{"user", "Who are you?"}, {"assistant", "{{company}} support."}};
  tmpl.defaults = {{"language", "English"}};
  tmpl.per_target["claude"].system = "claude wording";
  tmpl.per_target["claude:opus"].system = "claude opus wording";
  tmpl.per_target["local"].system = "local wording";
  return tmpl;
}

TEST(WordingFor, MostSpecificTargetWins) {
  const config::PromptTemplate tmpl = supportTemplate();
  const std::vector<std::tuple<std::string_view, std::string_view, std::string_view>> cases = {
      {"claude", "opus", "claude opus wording"},
      {"claude", "sonnet", "claude wording"},
      {"claude", "", "claude wording"},
      {"local", "opus", "local wording"},
      {"openai", "gpt-4o", tmpl.wording.system},
      {"opus", "claude", tmpl.wording.system},
      {"", "", tmpl.wording.system},
  };
  for (const auto& [backend, model, system] : cases) {
    EXPECT_EQ(wordingFor(tmpl, backend, model).system, system) << backend << ":" << model;
  }
  EXPECT_EQ(&wordingFor(tmpl, "openai", "x"), &tmpl.wording);
}

Message textMessage(Role role, std::string text, bool is_string = true) {
  Message message;
  message.role = role;
  message.content_is_string = is_string;
  message.content.emplace_back().text = std::move(text);
  return message;
}

struct Shape {
  Role role;
  std::string text;
};

void expectMessages(const ChatRequest& request, const std::vector<Shape>& expected) {
  ASSERT_EQ(request.messages.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Message& message = request.messages[i];
    EXPECT_EQ(message.role, expected[i].role) << i;
    ASSERT_EQ(message.content.size(), 1U) << i;
    EXPECT_EQ(message.content[0].kind, protocol::ContentPart::Kind::Text) << i;
    EXPECT_EQ(message.content[0].text, expected[i].text) << i;
  }
}

TEST(Apply, WithoutClientSystemMessages) {
  const config::PromptTemplate tmpl = supportTemplate();
  ChatRequest request;
  request.messages = {textMessage(Role::User, "My order is late"),
                      textMessage(Role::Assistant, "Which order?"), textMessage(Role::User, "#42")};
  ASSERT_TRUE(apply(tmpl, tmpl.wording, {{"company", "ACME"}}, request));
  expectMessages(request,
                 {{Role::System, "You are the support assistant of ACME. Answer in English."},
                  {Role::User, "Who are you?"},
                  {Role::Assistant, "ACME support."},
                  {Role::User, "My order is late"},
                  {Role::Assistant, "Which order?"},
                  {Role::User, "#42"}});
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(request.messages[i].content_is_string) << i;
  }
}

TEST(Apply, ClientSystemMessagesKeptAfterTheTemplatesAndBeforeScaffolding) {
  const config::PromptTemplate tmpl = supportTemplate();
  ChatRequest request;
  request.messages = {textMessage(Role::System, "Be brief.", false),
                      textMessage(Role::Developer, "Use bullet points."),
                      textMessage(Role::User, "Hello")};
  ASSERT_TRUE(apply(tmpl, tmpl.wording, {{"company", "ACME"}, {"language", "German"}}, request));
  expectMessages(request,
                 {{Role::System, "You are the support assistant of ACME. Answer in German."},
                  {Role::System, "Be brief."},
                  {Role::Developer, "Use bullet points."},
                  {Role::User, "Who are you?"},
                  {Role::Assistant, "ACME support."},
                  {Role::User, "Hello"}});
  EXPECT_FALSE(request.messages[1].content_is_string); // the client's message is untouched
}

TEST(Apply, EmptySystemPromptAddsNoMessage) {
  config::PromptTemplate tmpl = supportTemplate();
  tmpl.wording.system.clear();
  ChatRequest request;
  request.messages = {textMessage(Role::User, "Hello")};
  ASSERT_TRUE(apply(tmpl, tmpl.wording, {{"company", "ACME"}}, request));
  expectMessages(
      request,
      {{Role::User, "Who are you?"}, {Role::Assistant, "ACME support."}, {Role::User, "Hello"}});
}

TEST(Apply, PerTargetWording) {
  const config::PromptTemplate tmpl = supportTemplate();
  ChatRequest request;
  request.messages = {textMessage(Role::User, "Hello")};
  ASSERT_TRUE(apply(tmpl, wordingFor(tmpl, "claude", "opus"), {}, request));
  expectMessages(request, {{Role::System, "claude opus wording"}, {Role::User, "Hello"}});
}

TEST(Apply, MissingVariableLeavesTheRequestUntouched) {
  config::PromptTemplate tmpl = supportTemplate();
  tmpl.wording.system = "static";
  ChatRequest request;
  request.messages = {textMessage(Role::User, "Hello")};
  auto applied = apply(tmpl, tmpl.wording, {}, request); // {{company}} in the scaffolding
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, Errc::BadRequest);
  EXPECT_EQ(applied.error().detail, "prompt support@3: missing variable company");
  expectMessages(request, {{Role::User, "Hello"}});
}

TEST(Apply, EmbeddingsRefused) {
  const config::PromptTemplate tmpl = supportTemplate();
  ChatRequest request;
  request.operation = protocol::Operation::Embeddings;
  request.messages = {textMessage(Role::User, "input")};
  auto applied = apply(tmpl, tmpl.wording, {{"company", "ACME"}}, request);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, Errc::BadRequest);
  EXPECT_EQ(request.messages.size(), 1U);
}

ChatRequest withPassthrough(std::vector<PassthroughField> fields) {
  ChatRequest request;
  request.passthrough = std::move(fields);
  return request;
}

std::vector<std::string> names(const ChatRequest& request) {
  std::vector<std::string> out;
  for (const PassthroughField& field : request.passthrough) {
    out.push_back(field.name);
  }
  return out;
}

TEST(TakeVariables, Absent) {
  ChatRequest request = withPassthrough({{"seed", "1"}, {"user", R"("u")"}});
  auto variables = takeVariables(request);
  ASSERT_TRUE(variables);
  EXPECT_TRUE(variables->empty());
  EXPECT_EQ(names(request), (std::vector<std::string>{"seed", "user"}));
}

TEST(TakeVariables, ValidAndRemoved) {
  ChatRequest request =
      withPassthrough({{"seed", "1"},
                       {"cordon_variables", R"({"company":"ACME","_x9":"Gr\u00fc\u00dfe \"q\"",)"
                                            R"("empty":"","braces":"{{b}}"})"},
                       {"user", R"("u")"}});
  auto variables = takeVariables(request);
  ASSERT_TRUE(variables) << variables.error().detail;
  const Variables expected = {
      {"company", "ACME"}, {"_x9", "Grüße \"q\""}, {"empty", ""}, {"braces", "{{b}}"}};
  EXPECT_EQ(*variables, expected);
  EXPECT_EQ(names(request), (std::vector<std::string>{"seed", "user"}));
}

TEST(TakeVariables, EmptyObject) {
  ChatRequest request = withPassthrough({{"cordon_variables", " { } "}});
  auto variables = takeVariables(request);
  ASSERT_TRUE(variables);
  EXPECT_TRUE(variables->empty());
  EXPECT_TRUE(request.passthrough.empty());
}

TEST(TakeVariables, RepeatedMemberLastWinsAndAllRemoved) {
  ChatRequest request = withPassthrough({{"cordon_variables", R"({"a":"first"})"},
                                         {"seed", "1"},
                                         {"cordon_variables", R"({"a":"second"})"}});
  auto variables = takeVariables(request);
  ASSERT_TRUE(variables);
  EXPECT_EQ(*variables, (Variables{{"a", "second"}}));
  EXPECT_EQ(names(request), (std::vector<std::string>{"seed"}));
}

struct BadCase {
  std::string_view label;
  std::string json;
  std::string detail;
};

TEST(TakeVariables, Refused) {
  const std::string not_object = "cordon_variables: must be an object of strings";
  const std::string odd_name = "cordon_variables: a variable name is not [A-Za-z_][A-Za-z0-9_]*";
  const std::vector<BadCase> cases = {
      {"array", R"(["a"])", not_object},
      {"string", R"("company=ACME")", not_object},
      {"null", "null", not_object},
      {"number", "42", not_object},
      {"invalid JSON", R"({"a":)", not_object},
      {"number value", R"({"a":"x","count":42})",
       "cordon_variables: variable count must be a string"},
      {"bool value", R"({"flag":true})", "cordon_variables: variable flag must be a string"},
      {"null value", R"({"n":null})", "cordon_variables: variable n must be a string"},
      {"object value", R"({"o":{"k":"v"}})", "cordon_variables: variable o must be a string"},
      {"empty name", R"({"":"v"})", odd_name},
      {"name starting with a digit", R"({"1a":"v"})", odd_name},
      {"hyphen in name", R"({"a-b":"v"})", odd_name},
      {"space in name", R"({"a b":"v"})", odd_name},
      {"non-ASCII name", R"({"größe":"v"})", odd_name},
      {"braces in name", R"({"{{a}}":"v"})", odd_name},
  };
  for (const BadCase& test : cases) {
    ChatRequest request = withPassthrough({{"cordon_variables", test.json}, {"seed", "1"}});
    auto variables = takeVariables(request);
    ASSERT_FALSE(variables) << test.label;
    EXPECT_EQ(variables.error().code, Errc::BadRequest) << test.label;
    EXPECT_EQ(variables.error().detail, test.detail) << test.label;
    EXPECT_EQ(names(request), (std::vector<std::string>{"seed"})) << test.label;
  }
}

TEST(TakeVariables, ValueNeverInTheError) {
  ChatRequest request =
      withPassthrough({{"cordon_variables", R"({"ok":"SECRET-1","bad":12345678})"}});
  auto variables = takeVariables(request);
  ASSERT_FALSE(variables);
  EXPECT_EQ(variables.error().detail.find("SECRET-1"), std::string::npos);
  EXPECT_EQ(variables.error().detail.find("12345678"), std::string::npos);
}

TEST(StaticTexts, EveryWording) {
  config::PromptTemplate tmpl = supportTemplate();
  tmpl.per_target["claude"].messages = {{"user", "claude scaffolding {{company}}"}};
  const std::vector<std::string> texts = staticTexts(tmpl);
  const std::vector<std::string> expected = {
      "You are the support assistant of {{company}}. Answer in {{language}}.",
      "Who are you?",
      "{{company}} support.",
      "claude wording",
      "claude scaffolding {{company}}",
      "claude opus wording",
      "local wording",
  };
  EXPECT_EQ(texts, expected);
}

} // namespace
} // namespace cordon::prompt
