#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "cordon/config/config.h"

namespace cordon::config {
namespace {

using std::chrono::milliseconds;
using namespace std::string_view_literals;

constexpr std::string_view kAzureSecret = "sk-azure-TOPSECRET-4242";
constexpr std::string_view kAnthropicSecret = "sk-ant-TOPSECRET-1717";

std::optional<std::string> fakeEnv(const char* name) {
  const std::string_view var = name;
  if (var == "AZURE_OPENAI_KEY") {
    return std::string(kAzureSecret);
  }
  if (var == "ANTHROPIC_API_KEY") {
    return std::string(kAnthropicSecret);
  }
  if (var == "EMPTY_KEY") {
    return std::string();
  }
  return std::nullopt;
}

std::optional<std::string> noEnv(const char* /*name*/) {
  return std::nullopt;
}

ConfigConstSharedPtr parse(std::string_view yaml, EnvLookup env = noEnv) {
  return parseConfig(yaml, "test.yaml", env);
}

/// The ConfigError message parsing `yaml` gives, or "<no error>".
std::string errorOf(std::string_view yaml, EnvLookup env = noEnv) {
  try {
    parse(yaml, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

const std::string digest_a(64, 'a');
const std::string digest_b(64, 'b');
const std::string digest_c(64, 'c');

// PRODUCT.md §2, with real digests in place of the placeholders.
const std::string product_example = R"(listen: 127.0.0.1:8080
max_body_bytes: 8388608               # default 8 MiB; larger requests get 413
levels: [public, internal, confidential, restricted]

boundaries:
  onprem:   { clearance: restricted,   region: eu-de, note: "GPU cluster, Frankfurt DC" }
  eu-cloud: { clearance: confidential, region: eu,    note: "EU data zone, zero retention" }
  us-cloud: { clearance: internal,     region: us }

backends:
  local-llama: { boundary: onprem,   protocol: openai,    url: "http://127.0.0.1:8081/v1" }
  azure-eu:    { boundary: eu-cloud, protocol: openai,    url: "https://example.openai.azure.com/openai/v1", api_key_env: AZURE_OPENAI_KEY }
  claude:      { boundary: us-cloud, protocol: anthropic, url: "https://api.anthropic.com", api_key_env: ANTHROPIC_API_KEY }

models:                               # what clients put in "model"
  assistant:
    targets: [claude:claude-sonnet-4-5, azure-eu:gpt-4o, local-llama:llama-3.1-8b-instruct]
    pseudonymize: auto                # auto | never
  summarizer:
    targets: [local-llama:llama-3.1-8b-instruct]

tenants:
  acme:
    residency: [eu, eu-de]
    floor: internal
    keys:
      - { name: support-bot, sha256: ")" +
                                    digest_a + R"(" }

entities:                             # built-in detectors and what they mean here
  EMAIL_ADDRESS: { level: confidential, pseudonymize: true }
  PERSON:        { level: confidential, pseudonymize: true }
  PHONE_NUMBER:  { level: confidential, pseudonymize: true }
  IBAN_CODE:     { level: restricted }
  CREDIT_CARD:   { level: restricted }
  PRIVATE_KEY:   { action: deny }

custom_entities:
  PROJECT_CODENAME: { words: [Bluebird, Nightjar], level: confidential, pseudonymize: true }
  EMPLOYEE_ID:      { regex: "EMP-[0-9]{6}", level: confidential, pseudonymize: true }

admin_keys:
  - { name: compliance, sha256: ")" +
                                    digest_b + R"(" }

audit:
  sink: "sqlite:cordon-audit.db"      # sqlite:PATH | postgresql://... | jsonl:PATH
  durability: sync                    # sync: no answer is released before its record is durable
)";

// Four lines that later test snippets build on (so they start on line 5).
const std::string prelude = R"(boundaries:
  onprem: { clearance: restricted, region: eu }
backends:
  local: { boundary: onprem, protocol: openai, url: "http://127.0.0.1:8081/v1" }
)";

TEST(ConfigTest, ProductExampleParses) {
  const ConfigConstSharedPtr config = parse(product_example, fakeEnv);
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->source, "test.yaml");
  EXPECT_EQ(config->server.listen_host, "127.0.0.1");
  EXPECT_EQ(config->server.listen_port, 8080);
  EXPECT_EQ(config->server.max_body_bytes, 8388608U);
  ASSERT_EQ(config->levels.size(), 4U);
  EXPECT_EQ(config->levels[3], "restricted");

  ASSERT_EQ(config->boundaries.size(), 3U);
  EXPECT_EQ(config->boundaries[0].name, "onprem");
  EXPECT_EQ(config->boundaries[0].clearance, 3);
  EXPECT_EQ(config->boundaries[0].region, "eu-de");
  EXPECT_EQ(config->boundaries[0].note, "GPU cluster, Frankfurt DC");
  EXPECT_EQ(config->boundaries[2].clearance, 1);
  EXPECT_EQ(config->boundaries[2].note, "");

  ASSERT_EQ(config->backends.size(), 3U);
  const Backend& azure = config->backends[1];
  EXPECT_EQ(azure.name, "azure-eu");
  EXPECT_EQ(config->boundaryOf(azure).name, "eu-cloud");
  EXPECT_EQ(azure.protocol, Protocol::OpenAi);
  EXPECT_TRUE(azure.endpoint.tls);
  EXPECT_EQ(azure.endpoint.host, "example.openai.azure.com");
  EXPECT_EQ(azure.endpoint.port, 443);
  EXPECT_EQ(azure.endpoint.base_path, "/openai/v1");
  EXPECT_EQ(azure.api_key_env, "AZURE_OPENAI_KEY");
  EXPECT_EQ(azure.api_key, std::string(kAzureSecret));
  const Backend& claude = config->backends[2];
  EXPECT_EQ(claude.protocol, Protocol::Anthropic);
  EXPECT_EQ(claude.endpoint.base_path, "");
  const Backend& local = config->backends[0];
  EXPECT_FALSE(local.endpoint.tls);
  EXPECT_EQ(local.endpoint.port, 8081);
  EXPECT_EQ(local.api_key, std::nullopt);
  EXPECT_TRUE(config->missing_secrets.empty());

  const Model* assistant = config->findModel("assistant");
  ASSERT_NE(assistant, nullptr);
  EXPECT_EQ(assistant->pseudonymize, PseudonymizeMode::Auto);
  ASSERT_EQ(assistant->targets.size(), 3U);
  EXPECT_EQ(assistant->targets[0].backend, 2U);
  EXPECT_EQ(assistant->targets[0].model, "claude-sonnet-4-5");
  EXPECT_EQ(assistant->targets[2].model, "llama-3.1-8b-instruct");
  EXPECT_EQ(config->findModel("summarizer")->pseudonymize, PseudonymizeMode::Never);

  const Tenant* acme = config->findTenant("acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->residency, (std::vector<std::string>{"eu", "eu-de"}));
  EXPECT_EQ(acme->floor, LevelIndex{1});
  ASSERT_EQ(acme->keys.size(), 1U);
  EXPECT_EQ(acme->keys[0].name, "support-bot");
  EXPECT_EQ(toHex(acme->keys[0].digest.value()), digest_a);
  EXPECT_EQ(acme->keys[0].floor, std::nullopt);

  ASSERT_EQ(config->entities.size(), 6U);
  const EntityPolicy& email = config->entities.at("EMAIL_ADDRESS");
  EXPECT_EQ(email.type, "EMAIL_ADDRESS");
  EXPECT_EQ(email.level, LevelIndex{2});
  EXPECT_TRUE(email.pseudonymize);
  EXPECT_EQ(email.action, EntityAction::Allow);
  EXPECT_EQ(config->entities.at("PRIVATE_KEY").action, EntityAction::Deny);
  EXPECT_EQ(config->entities.at("PRIVATE_KEY").level, std::nullopt);
  EXPECT_FALSE(config->entities.at("IBAN_CODE").pseudonymize);

  ASSERT_EQ(config->custom_entities.size(), 2U);
  EXPECT_EQ(config->custom_entities[0].policy.type, "PROJECT_CODENAME");
  EXPECT_EQ(config->custom_entities[0].words, (std::vector<std::string>{"Bluebird", "Nightjar"}));
  EXPECT_TRUE(config->custom_entities[0].regex.empty());
  EXPECT_EQ(config->custom_entities[1].regex, "EMP-[0-9]{6}");
  EXPECT_TRUE(config->custom_entities[1].policy.pseudonymize);

  ASSERT_EQ(config->admin_keys.size(), 1U);
  EXPECT_EQ(config->admin_keys[0].name, "compliance");
  EXPECT_EQ(toHex(config->admin_keys[0].digest), digest_b);
  EXPECT_EQ(config->audit.sink, "sqlite:cordon-audit.db");
  EXPECT_EQ(config->audit.durability, AuditDurability::Sync);
}

TEST(ConfigTest, EmptyMappingGivesDefaults) {
  const ConfigConstSharedPtr config = parse("{}\n");
  const ServerSettings defaults;
  EXPECT_EQ(config->server.listen_host, "127.0.0.1");
  EXPECT_EQ(config->server.listen_port, 8080);
  EXPECT_EQ(config->server.max_body_bytes, 8U * 1024U * 1024U);
  EXPECT_EQ(config->server.workers, 0U);
  EXPECT_EQ(config->server.header_timeout, defaults.header_timeout);
  EXPECT_EQ(config->levels,
            (std::vector<std::string>{"public", "internal", "confidential", "restricted"}));
  EXPECT_TRUE(config->boundaries.empty());
  EXPECT_TRUE(config->backends.empty());
  EXPECT_TRUE(config->models.empty());
  EXPECT_TRUE(config->entities.empty());
  EXPECT_EQ(config->audit.sink, "sqlite:cordon-audit.db");
  EXPECT_EQ(config->audit.durability, AuditDurability::Sync);
}

TEST(ConfigTest, ServerKeys) {
  const ConfigConstSharedPtr config = parse("listen: \"[::1]:9000\"\n"
                                            "max_body_bytes: 1024\n"
                                            "workers: 4\n"
                                            "client_timeouts: {header_ms: 1500, keep_alive_ms: 7}\n"
                                            "audit: {sink: \"jsonl:/var/log/a.jsonl\", "
                                            "durability: async}\n");
  EXPECT_EQ(config->server.listen_host, "::1");
  EXPECT_EQ(config->server.listen_port, 9000);
  EXPECT_EQ(config->server.max_body_bytes, 1024U);
  EXPECT_EQ(config->server.workers, 4U);
  EXPECT_EQ(config->server.header_timeout, milliseconds(1500));
  EXPECT_EQ(config->server.body_timeout, ServerSettings{}.body_timeout);
  EXPECT_EQ(config->server.keep_alive_timeout, milliseconds(7));
  EXPECT_EQ(config->audit.sink, "jsonl:/var/log/a.jsonl");
  EXPECT_EQ(config->audit.durability, AuditDurability::Async);
}

TEST(ConfigTest, AuditCanBeTurnedOffOnlyByName) {
  EXPECT_TRUE(parse("workers: 1\n")->audit.enabled());
  const ConfigConstSharedPtr off = parse("audit: {sink: none}\n");
  EXPECT_FALSE(off->audit.enabled());
  EXPECT_TRUE(errorOf("audit: {sink: \"\"}\n").starts_with("test.yaml:1: audit.sink must be"));
  EXPECT_TRUE(errorOf("audit: {sink: off}\n").starts_with("test.yaml:1: audit.sink must be"));
}

TEST(ConfigTest, ListenForms) {
  EXPECT_EQ(parse("listen: localhost:80\n")->server.listen_host, "localhost");
  EXPECT_EQ(parse("listen: 0.0.0.0:65535\n")->server.listen_port, 65535);
  EXPECT_EQ(parse("listen: 127.0.0.1:0\n")->server.listen_port, 0); // the kernel picks one
  EXPECT_EQ(parse("listen: gw-1.internal.example:443\n")->server.listen_host,
            "gw-1.internal.example");
}

TEST(ConfigTest, BackendUrlsAreSplit) {
  const ConfigConstSharedPtr config = parse(R"(boundaries:
  b: { clearance: public, region: eu }
backends:
  a: { boundary: b, protocol: openai, url: "https://h.example/v1/" }
  c: { boundary: b, protocol: openai, url: "http://[fd00::1]:9000" }
  d: { boundary: b, protocol: anthropic, url: "HTTP://Host.Example:8443/x/y//" }
)");
  ASSERT_EQ(config->backends.size(), 3U);
  EXPECT_EQ(config->backends[0].endpoint.base_path, "/v1");
  EXPECT_EQ(config->backends[0].endpoint.port, 443);
  EXPECT_EQ(config->backends[0].url, "https://h.example/v1/");
  EXPECT_EQ(config->backends[1].endpoint.host, "fd00::1");
  EXPECT_EQ(config->backends[1].endpoint.port, 9000);
  EXPECT_FALSE(config->backends[1].endpoint.tls);
  EXPECT_EQ(config->backends[1].endpoint.base_path, "");
  EXPECT_EQ(config->backends[2].endpoint.host, "Host.Example");
  EXPECT_EQ(config->backends[2].endpoint.port, 8443);
  EXPECT_EQ(config->backends[2].endpoint.base_path, "/x/y");
}

TEST(ConfigTest, TimeoutsOverrideKeyByKey) {
  const ConfigConstSharedPtr config = parse(R"(timeouts: { connect_ms: 1000, idle_ms: 2000 }
boundaries:
  b: { clearance: public, region: eu }
backends:
  plain: { boundary: b, protocol: openai, url: "http://a" }
  tuned:
    boundary: b
    protocol: openai
    url: "http://a"
    ca_file: /etc/cordon/ca.pem
    timeouts: { idle_ms: 3000, first_byte_ms: 4000 }
)");
  const UpstreamTimeouts defaults;
  const Backend& plain = config->backends[0];
  EXPECT_EQ(plain.timeouts.connect, milliseconds(1000));
  EXPECT_EQ(plain.timeouts.first_byte, defaults.first_byte);
  EXPECT_EQ(plain.timeouts.idle, milliseconds(2000));
  EXPECT_TRUE(plain.ca_file.empty());
  const Backend& tuned = config->backends[1];
  EXPECT_EQ(tuned.timeouts.connect, milliseconds(1000));
  EXPECT_EQ(tuned.timeouts.first_byte, milliseconds(4000));
  EXPECT_EQ(tuned.timeouts.idle, milliseconds(3000));
  EXPECT_EQ(tuned.ca_file, "/etc/cordon/ca.pem");
}

TEST(ConfigTest, TargetSplitsAtFirstColon) {
  const ConfigConstSharedPtr config = parse(prelude + R"(models:
  llama3:8b:
    targets: ["local:llama3:8b", local:org/model:q4]
)");
  const Model* model = config->findModel("llama3:8b");
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->targets.size(), 2U);
  EXPECT_EQ(model->targets[0].backend, 0U);
  EXPECT_EQ(model->targets[0].model, "llama3:8b");
  EXPECT_EQ(model->targets[1].model, "org/model:q4");
  EXPECT_EQ(model->pseudonymize, PseudonymizeMode::Never);
}

TEST(ConfigTest, MissingSecretsAreRecordedNotFatal) {
  const ConfigConstSharedPtr config = parse(R"(boundaries:
  b: { clearance: public, region: eu }
backends:
  x: { boundary: b, protocol: openai, url: "http://a", api_key_env: NOT_SET_VAR }
  y: { boundary: b, protocol: openai, url: "http://a", api_key_env: EMPTY_KEY }
  z: { boundary: b, protocol: openai, url: "http://a", api_key_env: AZURE_OPENAI_KEY }
)",
                                            fakeEnv);
  ASSERT_EQ(config->missing_secrets.size(), 2U);
  EXPECT_EQ(config->missing_secrets[0], "backend x: environment variable NOT_SET_VAR is not set");
  EXPECT_EQ(config->missing_secrets[1], "backend y: environment variable EMPTY_KEY is empty");
  EXPECT_EQ(config->backends[0].api_key, std::nullopt);
  EXPECT_EQ(config->backends[1].api_key, std::nullopt);
  EXPECT_EQ(config->backends[2].api_key, std::string(kAzureSecret));
}

TEST(ConfigTest, ProductExampleWithoutEnvListsBothSecrets) {
  const ConfigConstSharedPtr config = parse(product_example, noEnv);
  EXPECT_EQ(config->missing_secrets,
            (std::vector<std::string>{
                "backend azure-eu: environment variable AZURE_OPENAI_KEY is not set",
                "backend claude: environment variable ANTHROPIC_API_KEY is not set"}));
}

TEST(ConfigTest, SecretsNeverAppearInMessages) {
  // Errors after the secrets were read, in every section that follows backends.
  const std::vector<std::string> tails = {
      "models:\n  m: { targets: [claude:x, nope:y] }\n",
      "tenants:\n  t: { keys: [{ name: k, sha256: nothex }] }\n",
      "custom_entities:\n  X: { regex: \"(\" }\n",
      "bogus: 1\n",
  };
  const std::string head = R"(boundaries:
  b: { clearance: public, region: eu }
backends:
  claude: { boundary: b, protocol: anthropic, url: "https://a", api_key_env: ANTHROPIC_API_KEY }
  azure: { boundary: b, protocol: openai, url: "https://a", api_key_env: AZURE_OPENAI_KEY }
)";
  for (const std::string& tail : tails) {
    const std::string message = errorOf(head + tail, fakeEnv);
    EXPECT_NE(message, "<no error>") << tail;
    EXPECT_EQ(message.find(kAzureSecret), std::string::npos) << message;
    EXPECT_EQ(message.find(kAnthropicSecret), std::string::npos) << message;
    EXPECT_EQ(message.find("TOPSECRET"), std::string::npos) << message;
  }
}

TEST(ConfigTest, CredentialsInUrlsAreNotEchoed) {
  for (const char* url : {"https://user:hunter2@h/v1", "https://h/v1?api-key=hunter2",
                          "https://h/v1#hunter2", "ftp://hunter2"}) {
    const std::string message = errorOf(
        std::string("boundaries:\n  b: { clearance: public, region: eu }\nbackends:\n  x: { "
                    "boundary: b, protocol: openai, url: \"") +
        url + "\" }\n");
    EXPECT_TRUE(message.starts_with("test.yaml:4: backends.x.url ")) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
  const std::string message = errorOf("audit: { sink: \"mysql://u:hunter2@db\" }\n");
  EXPECT_TRUE(message.starts_with("test.yaml:1: audit.sink must be")) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(ConfigTest, KeyDigestSharedAcrossTenantsIsAnError) {
  const std::string yaml = "tenants:\n"
                           "  acme:\n"
                           "    keys:\n"
                           "      - { name: a, sha256: \"" +
                           digest_a +
                           "\" }\n"
                           "  globex:\n"
                           "    keys:\n"
                           "      - { name: b, sha256: \"" +
                           digest_c +
                           "\" }\n"
                           "      - { name: c, sha256: \"" +
                           std::string(64, 'A') + "\" }\n";
  const std::string message = errorOf(yaml);
  EXPECT_TRUE(message.starts_with("test.yaml:8: tenants.globex.keys[1].sha256")) << message;
  EXPECT_NE(message.find("tenant acme key a"), std::string::npos) << message;
}

TEST(ConfigTest, AdminKeyMayNotReuseATenantKey) {
  const std::string yaml = "tenants:\n"
                           "  acme: { keys: [{ name: a, sha256: \"" +
                           digest_a +
                           "\" }] }\n"
                           "admin_keys:\n"
                           "  - { name: root, sha256: \"" +
                           digest_a + "\" }\n";
  EXPECT_TRUE(errorOf(yaml).starts_with("test.yaml:4: admin_keys[0].sha256")) << errorOf(yaml);
}

TEST(ConfigTest, TenantKeyFloorAndResidency) {
  const ConfigConstSharedPtr config = parse("tenants:\n"
                                            "  t1:\n"
                                            "    keys:\n"
                                            "      - { name: a, sha256: \"" +
                                            digest_a +
                                            "\", floor: confidential }\n"
                                            "      - { name: b, sha256: \"" +
                                            digest_b +
                                            "\" }\n"
                                            "  t2: {}\n");
  const Tenant* t1 = config->findTenant("t1");
  ASSERT_NE(t1, nullptr);
  EXPECT_TRUE(t1->residency.empty());
  EXPECT_EQ(t1->floor, std::nullopt);
  EXPECT_EQ(t1->keys[0].floor, LevelIndex{2});
  EXPECT_EQ(t1->keys[1].floor, std::nullopt);
  ASSERT_NE(config->findTenant("t2"), nullptr);
  EXPECT_TRUE(config->findTenant("t2")->keys.empty());
  EXPECT_EQ(config->findTenant("t3"), nullptr);
}

TEST(ConfigTest, CustomLevels) {
  const ConfigConstSharedPtr config = parse("levels: [low, high]\n"
                                            "boundaries:\n"
                                            "  b: { clearance: high, region: x }\n");
  EXPECT_EQ(config->findLevel("low"), LevelIndex{0});
  EXPECT_EQ(config->findLevel("high"), LevelIndex{1});
  EXPECT_EQ(config->findLevel("public"), std::nullopt);
  EXPECT_EQ(config->boundaries[0].clearance, 1);
  EXPECT_NE(errorOf("levels: [low, high]\nboundaries:\n  b: { clearance: public, region: x }\n")
                .find("unknown level 'public' (levels: low, high)"),
            std::string::npos);
}

TEST(ConfigTest, BuiltinEntityTypes) {
  const auto& types = builtinEntityTypes();
  const std::set<std::string_view> unique(types.begin(), types.end());
  EXPECT_EQ(unique.size(), types.size());
  EXPECT_TRUE(unique.contains("EMAIL_ADDRESS"));
  EXPECT_TRUE(unique.contains("DE_HANDELSREGISTER"));
  EXPECT_TRUE(unique.contains("PASSWORD"));
  EXPECT_FALSE(unique.contains("EMPLOYEE_ID"));
}

TEST(ConfigTest, EveryBuiltinTypeResolvesToItsDocumentedDefault) {
  const auto config =
      parseConfig("levels: [public, internal, confidential, restricted]\n", "test.yaml", noEnv);
  for (const auto& builtin : builtinEntities()) {
    const ResolvedEntity* policy = config->entityPolicy(builtin.type);
    ASSERT_NE(policy, nullptr) << builtin.type;
    EXPECT_EQ(config->levels[policy->level], builtin.level) << builtin.type;
    EXPECT_EQ(policy->pseudonymize, builtin.pseudonymize) << builtin.type;
    EXPECT_EQ(policy->action, EntityAction::Allow) << builtin.type;
  }
  EXPECT_EQ(config->entityPolicy("NOT_A_TYPE"), nullptr);
}

TEST(ConfigTest, EntitiesOverrideDefaultsKeyByKey) {
  const auto config = parseConfig("entities:\n"
                                  "  EMAIL_ADDRESS: { level: restricted }\n"
                                  "  PRIVATE_KEY: { action: deny }\n"
                                  "  URL: { pseudonymize: true }\n",
                                  "test.yaml", noEnv);
  const auto* email = config->entityPolicy("EMAIL_ADDRESS");
  EXPECT_EQ(config->levels[email->level], "restricted");
  EXPECT_TRUE(email->pseudonymize) << "not given, so the default (true) stays";
  const auto* key = config->entityPolicy("PRIVATE_KEY");
  EXPECT_EQ(key->action, EntityAction::Deny);
  EXPECT_EQ(config->levels[key->level], "restricted");
  const auto* url = config->entityPolicy("URL");
  EXPECT_TRUE(url->pseudonymize);
  EXPECT_EQ(config->levels[url->level], "public");
}

TEST(ConfigTest, CustomEntitiesResolveAndDefaultToTheHighestLevel) {
  const auto config = parseConfig("custom_entities:\n"
                                  "  CODENAME: { words: [Bluebird], level: confidential, "
                                  "pseudonymize: true }\n"
                                  "  BADGE: { regex: \"B-[0-9]{4}\" }\n",
                                  "test.yaml", noEnv);
  const auto* codename = config->entityPolicy("CODENAME");
  ASSERT_NE(codename, nullptr);
  EXPECT_EQ(config->levels[codename->level], "confidential");
  EXPECT_TRUE(codename->pseudonymize);
  const auto* badge = config->entityPolicy("BADGE");
  ASSERT_NE(badge, nullptr);
  EXPECT_EQ(badge->level, config->levels.size() - 1);
}

TEST(ConfigTest, DefaultLevelsMapByRankOntoOtherLadders) {
  // Two levels: public stays low; internal and above round up to high (fail closed).
  const auto two = parseConfig("levels: [low, high]\n", "test.yaml", noEnv);
  EXPECT_EQ(two->levels[two->entityPolicy("URL")->level], "low");
  EXPECT_EQ(two->levels[two->entityPolicy("LOCATION")->level], "high");
  EXPECT_EQ(two->levels[two->entityPolicy("EMAIL_ADDRESS")->level], "high");
  // Names that exist are used as such.
  const auto named =
      parseConfig("levels: [public, secret, confidential, restricted, top]\n", "test.yaml", noEnv);
  EXPECT_EQ(named->levels[named->entityPolicy("EMAIL_ADDRESS")->level], "confidential");
  EXPECT_EQ(named->levels[named->entityPolicy("IBAN_CODE")->level], "restricted");
}

TEST(ConfigTest, LoadConfigFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "cordon_config_test_load.yaml";
  {
    std::ofstream out(path);
    out << "workers: 3\n";
  }
  EXPECT_EQ(loadConfigFile(path.string(), noEnv)->server.workers, 3U);
  EXPECT_EQ(loadConfigFile(path.string(), noEnv)->source, path.string());
  {
    std::ofstream out(path);
    out << "workers: 3\nnope: 1\n";
  }
  try {
    loadConfigFile(path.string(), noEnv);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ":2: unknown top-level key 'nope'", 0),
              0U)
        << e.what();
  }
  std::filesystem::remove(path);
  try {
    loadConfigFile(path.string(), noEnv);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": cannot open the file");
  }
}

TEST(ConfigTest, ExampleFileLoads) {
  const std::filesystem::path example =
      std::filesystem::path(__FILE__).parent_path() / "../../../examples/cordon.yaml";
  ASSERT_TRUE(std::filesystem::exists(example)) << example;
  const ConfigConstSharedPtr config = loadConfigFile(example.string(), noEnv);
  EXPECT_FALSE(config->models.empty());
  EXPECT_EQ(config->missing_secrets.size(), 2U);
}

// ---- errors: each with the exact line and the problem ----------------------------------------

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string prefix;  ///< The message starts with this ("test.yaml:7: ...").
  std::string problem; ///< ... and contains this.
};

// gtest finds PrintTo by name.
// NOLINTNEXTLINE(readability-identifier-naming)
void PrintTo(const ErrorCase& c, std::ostream* out) {
  *out << c.name;
}

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, ReportsLineAndProblem) {
  const ErrorCase& c = GetParam();
  const std::string message = errorOf(c.yaml);
  EXPECT_TRUE(message.starts_with(c.prefix)) << message;
  EXPECT_NE(message.find(c.problem), std::string::npos) << message;
}

std::string repeat(std::string_view text, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += text;
  }
  return out;
}

std::string manyLevels(int count) {
  std::string out = "levels: [";
  for (int i = 0; i < count; ++i) {
    out += (i == 0 ? "l" : ", l") + std::to_string(i);
  }
  return out + "]\n";
}

const std::string two_tenant_keys = "tenants:\n"
                                    "  t:\n"
                                    "    keys:\n"
                                    "      - { name: a, sha256: \"" +
                                    digest_a +
                                    "\" }\n"
                                    "      - { name: a, sha256: \"" +
                                    digest_b + "\" }\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, ConfigErrorTest,
    ::testing::Values(
        // document shape and YAML syntax
        ErrorCase{"Empty", "", "test.yaml: ", "the config is empty"},
        ErrorCase{"CommentOnly", "# nothing here\n", "test.yaml: ", "the config is empty"},
        ErrorCase{"NotAMapping", "- a\n- b\n", "test.yaml:1: ", "must be a mapping"},
        ErrorCase{"ScalarDocument", "hello\n", "test.yaml:1: ", "must be a mapping"},
        ErrorCase{"TwoDocuments", "workers: 1\n---\nworkers: 2\n",
                  "test.yaml:3: ", "only one YAML document"},
        ErrorCase{"YamlSyntax", "workers: 1\nlevels: [a, b\nmax_body_bytes: 5\n",
                  "test.yaml:", "invalid YAML: "},
        ErrorCase{"LeadingComma", ",ien: '' 0.1\n", "test.yaml:1: ", "unexpected ','"},
        ErrorCase{"CommaAfterDocument", "workers: 1\n---\n,\n", "test.yaml:3: ", "unexpected ','"},
        ErrorCase{"UnknownAnchor", "workers: 1\nlevels: *nope\n",
                  "test.yaml:2: ", "invalid YAML: "},
        ErrorCase{"NonStringKey", "workers: 1\n? [a]\n: 1\n",
                  "test.yaml:2: ", "keys in the top level must be plain strings"},
        // unknown and duplicate keys
        ErrorCase{"UnknownTopLevelKey", "workers: 1\nlisten: 127.0.0.1:80\nlisen: x\n",
                  "test.yaml:3: ", "unknown top-level key 'lisen' (allowed: listen, "},
        ErrorCase{"UnknownNestedKey",
                  prelude + "models:\n  m:\n    targets: [local:x]\n    pseudonymise: auto\n",
                  "test.yaml:8: ",
                  "unknown key 'pseudonymise' in models.m (allowed: targets, pseudonymize, prompt, "
                  "guardrails)"},
        ErrorCase{"UnknownBackendKey",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n  x:\n"
                  "    boundary: b\n    protocol: openai\n    url: http://h\n    api_key: k\n",
                  "test.yaml:8: ", "unknown key 'api_key' in backends.x"},
        ErrorCase{"DuplicateTopLevelKey", "workers: 1\nlevels: [a]\nworkers: 2\n",
                  "test.yaml:3: ", "duplicate key 'workers' in the top level (first on line 1)"},
        ErrorCase{"DuplicateName",
                  "boundaries:\n  a: {clearance: public, region: eu}\n"
                  "  a: {clearance: public, region: us}\n",
                  "test.yaml:3: ", "duplicate key 'a' in boundaries"},
        ErrorCase{"DuplicateFlowKey", "audit: {sink: 'jsonl:x', sink: 'jsonl:y'}\n",
                  "test.yaml:1: ", "duplicate key 'sink' in audit"},
        // listen / server
        ErrorCase{"ListenNull", "workers: 1\nlisten:\n",
                  "test.yaml:2: ", "listen must be a string"},
        ErrorCase{"ListenNoPort", "listen: localhost\n",
                  "test.yaml:1: ", "listen must be \"host:port\""},
        ErrorCase{"ListenPortTooBig", "listen: 127.0.0.1:65536\n", "test.yaml:1: ", "0 to 65535"},
        ErrorCase{"ListenBareIpv6", "listen: \"::1:8080\"\n", "test.yaml:1: ", "brackets"},
        ErrorCase{"ListenBadIpv4", "listen: 999.1.1.1:80\n", "test.yaml:1: ", "invalid host"},
        ErrorCase{"ListenBadIpv6", "listen: \"[::g]:80\"\n", "test.yaml:1: ", "IPv6"},
        ErrorCase{"MaxBodyZero", "max_body_bytes: 0\n",
                  "test.yaml:1: ", "max_body_bytes must be a positive integer"},
        ErrorCase{"MaxBodyNegative", "max_body_bytes: -5\n",
                  "test.yaml:1: ", "max_body_bytes must be a positive integer"},
        ErrorCase{"MaxBodyQuoted", "max_body_bytes: \"100\"\n",
                  "test.yaml:1: ", "max_body_bytes must be a positive integer"},
        ErrorCase{"MaxBodyFloat", "max_body_bytes: 1.5\n",
                  "test.yaml:1: ", "max_body_bytes must be a positive integer"},
        ErrorCase{"MaxBodyList", "max_body_bytes: [1]\n",
                  "test.yaml:1: ", "max_body_bytes must be a positive integer"},
        ErrorCase{"MaxBodyHuge", "max_body_bytes: 99999999999999999999999\n",
                  "test.yaml:1: ", "max_body_bytes must be a positive integer"},
        ErrorCase{"MaxBodyTooBig", "max_body_bytes: 2147483648\n",
                  "test.yaml:1: ", "must be at most 1073741824"},
        ErrorCase{"WorkersTooMany", "workers: 257\n",
                  "test.yaml:1: ", "workers must be an integer from 0 to 256"},
        ErrorCase{"ClientTimeoutUnknownKey", "client_timeouts:\n  header_ms: 10\n  body: 5\n",
                  "test.yaml:3: ", "unknown key 'body' in client_timeouts"},
        ErrorCase{"ClientTimeoutZero", "client_timeouts: {header_ms: 0}\n",
                  "test.yaml:1: ", "client_timeouts.header_ms must be a positive integer"},
        ErrorCase{"TimeoutsNotMapping", "timeouts: 5\n",
                  "test.yaml:1: ", "timeouts must be a mapping"},
        // levels
        ErrorCase{"LevelsNotList", "levels: public\n", "test.yaml:1: ", "levels must be a list"},
        ErrorCase{"LevelsNull", "levels:\n", "test.yaml:1: ", "levels must be a list"},
        ErrorCase{"LevelsEmpty", "levels: []\n", "test.yaml:1: ", "levels must not be empty"},
        ErrorCase{"LevelsDuplicate", "levels:\n  - a\n  - b\n  - a\n",
                  "test.yaml:4: ", "duplicate level 'a'"},
        ErrorCase{"LevelsUppercase", "levels: [Public]\n",
                  "test.yaml:1: ", "level name 'Public' is invalid"},
        ErrorCase{"LevelsTooMany", manyLevels(65), "test.yaml:1: ", "at most 64 levels"},
        ErrorCase{"LevelsNotStrings", "levels:\n  - a\n  - {b: c}\n",
                  "test.yaml:3: ", "levels[1] must be a string"},
        // boundaries
        ErrorCase{"BoundaryUnknownLevel", "boundaries:\n  a: {clearance: secret, region: eu}\n",
                  "test.yaml:2: ", "boundaries.a.clearance: unknown level 'secret'"},
        ErrorCase{"BoundaryMissingRegion", "boundaries:\n  a:\n    clearance: public\n",
                  "test.yaml:3: ", "boundaries.a is missing required key 'region'"},
        ErrorCase{"BoundaryEmptyRegion", "boundaries:\n  a: {clearance: public, region: \"\"}\n",
                  "test.yaml:2: ", "boundaries.a.region must not be empty"},
        ErrorCase{"BoundaryBadName", "boundaries:\n  \"a b\": {clearance: public, region: x}\n",
                  "test.yaml:2: ", "boundary name 'a b' is invalid"},
        ErrorCase{"BoundaryNull", "boundaries:\n  a:\n",
                  "test.yaml:2: ", "boundaries.a must be a mapping"},
        ErrorCase{"BoundariesList", "boundaries: [a]\n",
                  "test.yaml:1: ", "boundaries must be a mapping"},
        // backends
        ErrorCase{"BackendUnknownBoundary",
                  prelude + "  other:\n    boundary: offsite\n    protocol: openai\n"
                            "    url: http://h\n",
                  "test.yaml:6: ",
                  "backends.other.boundary: unknown boundary 'offsite' "
                  "(boundaries: onprem)"},
        ErrorCase{"BackendBadProtocol",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: grpc, url: http://h}\n",
                  "test.yaml:4: ", "backends.x.protocol must be one of: openai, anthropic"},
        ErrorCase{"BackendMissingUrl",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: openai}\n",
                  "test.yaml:4: ", "backends.x is missing required key 'url'"},
        ErrorCase{"BackendUrlNoHost",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: openai, url: \"http:///v1\"}\n",
                  "test.yaml:4: ", "backends.x.url must name a host"},
        ErrorCase{"BackendUrlBadPort",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: openai, url: \"http://h:99999/v1\"}\n",
                  "test.yaml:4: ", "backends.x.url has an invalid port"},
        ErrorCase{"BackendUrlGarbage",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: openai, url: \"not a url\"}\n",
                  "test.yaml:4: ", "backends.x.url is not a valid URL"},
        ErrorCase{"BackendBadEnvName",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: openai, url: http://h, api_key_env: 1KEY}\n",
                  "test.yaml:4: ", "backends.x.api_key_env must be an environment variable name"},
        ErrorCase{"BackendEmptyCaFile",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x: {boundary: b, protocol: openai, url: http://h, ca_file: ''}\n",
                  "test.yaml:4: ", "backends.x.ca_file must not be empty"},
        ErrorCase{"BackendTimeoutUnknownKey",
                  "boundaries:\n  b: {clearance: public, region: x}\nbackends:\n"
                  "  x:\n    boundary: b\n    protocol: openai\n    url: http://h\n"
                  "    timeouts:\n      connect_ms: 5\n      read_ms: 5\n",
                  "test.yaml:10: ", "unknown key 'read_ms' in backends.x.timeouts"},
        // models
        ErrorCase{"TargetUnknownBackend", prelude + "models:\n  m:\n    targets: [remote:x]\n",
                  "test.yaml:7: ",
                  "models.m.targets[0]: unknown backend 'remote' (backends: "
                  "local)"},
        ErrorCase{"TargetNoColon", prelude + "models:\n  m:\n    targets:\n      - local\n",
                  "test.yaml:8: ", "models.m.targets[0] must be \"backend:model\""},
        ErrorCase{"TargetEmptyModel", prelude + "models:\n  m: {targets: [\"local:\"]}\n",
                  "test.yaml:6: ", "the model after 'local:' must be"},
        ErrorCase{"TargetWithSpace", prelude + "models:\n  m: {targets: [local: x]}\n",
                  "test.yaml:6: ", "no space after ':'"},
        ErrorCase{"TargetsEmpty", prelude + "models:\n  m: {targets: []}\n",
                  "test.yaml:6: ", "models.m.targets must not be empty"},
        ErrorCase{"TargetsMissing", prelude + "models:\n  m:\n    pseudonymize: auto\n",
                  "test.yaml:7: ", "models.m is missing required key 'targets'"},
        ErrorCase{"TargetListedTwice",
                  prelude + "models:\n  m:\n    targets:\n      - local:a\n      - local:a\n",
                  "test.yaml:9: ", "target 'local:a' is listed twice"},
        ErrorCase{"ModelBadPseudonymize",
                  prelude + "models:\n  m: {targets: [local:a], pseudonymize: always}\n",
                  "test.yaml:6: ", "models.m.pseudonymize must be one of: auto, never"},
        ErrorCase{"ModelBadName", prelude + "models:\n  \"my model\": {targets: [local:a]}\n",
                  "test.yaml:6: ", "model name 'my model' is invalid"},
        // tenants and keys
        ErrorCase{"KeyBadDigest",
                  "tenants:\n  t:\n    keys:\n      - {name: a, sha256: \"<hex>\"}\n",
                  "test.yaml:4: ", "tenants.t.keys[0].sha256 must be 64 hex digits"},
        ErrorCase{"KeyMissingDigest", "tenants:\n  t:\n    keys:\n      - name: a\n",
                  "test.yaml:4: ", "tenants.t.keys[0] needs sha256 (an API key) or client_cn"},
        ErrorCase{"KeyNameTwice", two_tenant_keys,
                  "test.yaml:5: ", "tenant t already has a key named 'a'"},
        ErrorCase{"KeyUnknownField",
                  "tenants:\n  t:\n    keys:\n      - name: a\n        level: public\n",
                  "test.yaml:5: ", "unknown key 'level' in tenants.t.keys[0]"},
        ErrorCase{"TenantUnknownFloor", "tenants:\n  t: {floor: top}\n",
                  "test.yaml:2: ", "tenants.t.floor: unknown level 'top'"},
        ErrorCase{"TenantEmptyResidency", "tenants:\n  t:\n    residency: []\n",
                  "test.yaml:3: ", "tenants.t.residency must not be empty"},
        ErrorCase{"TenantKeysNotList", "tenants:\n  t:\n    keys: {name: a}\n",
                  "test.yaml:3: ", "tenants.t.keys must be a list"},
        ErrorCase{"AdminKeyNameTwice",
                  "admin_keys:\n  - {name: a, sha256: \"" + digest_a +
                      "\"}\n  - {name: a, sha256: \"" + digest_b + "\"}\n",
                  "test.yaml:3: ", "duplicate admin key name 'a'"},
        ErrorCase{"AdminKeyMissingName", "admin_keys:\n  - sha256: \"" + digest_a + "\"\n",
                  "test.yaml:2: ", "admin_keys[0] is missing required key 'name'"},
        ErrorCase{"AdminKeysNotList", "admin_keys: {name: a}\n",
                  "test.yaml:1: ", "admin_keys must be a list"},
        // entities
        ErrorCase{"EntityUnknownType", "entities:\n  EMAIL: {level: public}\n",
                  "test.yaml:2: ", "unknown entity type 'EMAIL'"},
        ErrorCase{"EntityBadAction", "entities:\n  PERSON: {action: block}\n",
                  "test.yaml:2: ", "entities.PERSON.action must be one of: allow, deny"},
        ErrorCase{"EntityBadBool", "entities:\n  PERSON:\n    pseudonymize: yes\n",
                  "test.yaml:3: ", "entities.PERSON.pseudonymize must be true or false"},
        ErrorCase{"EntityQuotedBool", "entities:\n  PERSON: {pseudonymize: \"true\"}\n",
                  "test.yaml:2: ", "must be true or false"},
        ErrorCase{"EntityUnknownLevel", "entities:\n  PERSON: {level: secret}\n",
                  "test.yaml:2: ", "entities.PERSON.level: unknown level 'secret'"},
        // custom entities
        ErrorCase{"CustomBadRegex",
                  "custom_entities:\n  EMPLOYEE_ID:\n    regex: \"EMP-([0-9]{6}\"\n",
                  "test.yaml:3: ", "custom_entities.EMPLOYEE_ID.regex does not compile: "},
        ErrorCase{"CustomRegexTooLong",
                  "custom_entities:\n  X:\n    regex: \"" + repeat("a", 1025) + "\"\n",
                  "test.yaml:3: ", "custom_entities.X.regex is longer than 1024 bytes"},
        ErrorCase{"CustomRegexTooComplex", "custom_entities:\n  X: {regex: \"(a{100}){200}\"}\n",
                  "test.yaml:2: ", "custom_entities.X.regex is too complex"},
        ErrorCase{"CustomRegexTooDeep",
                  "custom_entities:\n  X: {regex: \"" + repeat("(", 70) + "a" + repeat(")", 70) +
                      "\"}\n",
                  "test.yaml:2: ", "nests groups deeper than"},
        ErrorCase{"CustomRegexMatchesEmpty", "custom_entities:\n  X: {regex: \"[0-9]*\"}\n",
                  "test.yaml:2: ", "custom_entities.X.regex matches the empty string"},
        ErrorCase{"CustomBothWordsAndRegex", "custom_entities:\n  X: {words: [a], regex: \"b\"}\n",
                  "test.yaml:2: ", "either words or regex, not both"},
        ErrorCase{"CustomNeither", "custom_entities:\n  X: {level: public}\n",
                  "test.yaml:2: ", "custom_entities.X needs words or regex"},
        ErrorCase{"CustomWordsEmpty", "custom_entities:\n  X: {words: []}\n",
                  "test.yaml:2: ", "custom_entities.X.words must not be empty"},
        ErrorCase{"CustomBlankWord",
                  "custom_entities:\n  X:\n    words:\n      - ok\n      - \" \"\n",
                  "test.yaml:5: ", "custom_entities.X.words[1] must not be empty"},
        ErrorCase{"CustomClashesWithBuiltin", "custom_entities:\n  PERSON: {words: [a]}\n",
                  "test.yaml:2: ", "clashes with a built-in entity type"},
        ErrorCase{"CustomBadTypeName", "custom_entities:\n  employee_id: {words: [a]}\n",
                  "test.yaml:2: ", "custom entity type 'employee_id' is invalid"},
        // audit
        ErrorCase{"AuditBadSink", "audit:\n  sink: \"file:/tmp/x\"\n",
                  "test.yaml:2: ", "audit.sink must be"},
        ErrorCase{"AuditEmptySqlitePath", "audit: {sink: \"sqlite:\"}\n",
                  "test.yaml:1: ", "audit.sink must be"},
        ErrorCase{"AuditBadDurability", "audit:\n  durability: eventually\n",
                  "test.yaml:2: ", "audit.durability must be one of: sync, async"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

// Malformed input of every shape must end in a ConfigError, never another exception or a crash.
TEST(ConfigTest, GarbageOnlyThrowsConfigError) {
  const std::vector<std::string> inputs = {
      "[",
      "{",
      "&a [*a]",
      "a: &a [*a]\nlevels: *a\n",
      "!!binary foo",
      "? ? ?",
      std::string("\xff\xfe\x00\x01"sv),
      std::string("levels: [a\x00b]\n"sv),
      "\t\tfoo: bar",
      "levels: !!map {a: b}\n",
      "entities: {PERSON: [1, 2]}\n",
      "custom_entities: {X: {regex: [a]}}\n",
      "tenants: {t: {keys: [~]}}\n",
      "backends: {x: ~}\n",
      "models: {m: {targets: ~}}\n",
      "%YAML 1.2\n%YAML 1.2\n---\na: 1\n",
      repeat("[", 3000),
      repeat("- ", 3000) + "a\n",
  };
  for (const std::string& input : inputs) {
    try {
      parse(input);
      ADD_FAILURE() << "no error for: " << input.substr(0, 40);
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("test.yaml", 0), 0U) << e.what();
    }
  }
}

} // namespace
} // namespace cordon::config

namespace cordon::config {
namespace {

// Issue 7: guardrails, prompt templates and access control.
const std::string governed = prelude + R"(guardrails:
  short:     { kind: max_prompt_bytes, limit: 20000 }
  chatty:    { kind: max_messages, limit: 50, action: flag }
  rivals:    { kind: deny_words, words: [Globex, Initech], action: redact }
  codes:     { kind: deny_regex, regex: "PRJ-[0-9]{4}" }
  injection: { kind: prompt_injection, threshold: 0.7 }
  leaks:     { kind: output_entities, entities: [CREDIT_CARD], action: redact }
  json:      { kind: json_output, action: flag }
prompts:
  support:
    "2": { system: "Old wording for {{company}}." }
    "10":
      system: "You help customers of {{company}} in {{language}}."
      messages: [{ role: user, content: "Hi" }, { role: assistant, content: "How can I help?" }]
      defaults: { language: English }
      targets:
        local: { system: "Short wording for {{company}}." }
models:
  helpdesk: { targets: [local:m], prompt: support@10, guardrails: [injection, leaks] }
  plain: { targets: [local:m] }
tenants:
  acme:
    guardrails: [short, rivals]
    models: [helpdesk]
    max_declared: confidential
    explain: false
    keys:
      - { name: bot, sha256: ")" +
                             digest_a + R"(", models: [helpdesk], explain: true }
)";

TEST(ConfigGovernance, GuardrailsPromptsAndAccessParse) {
  const ConfigConstSharedPtr config = parse(governed);
  ASSERT_EQ(config->guardrails.size(), 7U);
  EXPECT_EQ(config->guardrails[0].kind, GuardKind::MaxPromptBytes);
  EXPECT_EQ(config->guardrails[0].action, GuardAction::Deny);
  EXPECT_EQ(config->guardrails[0].limit, 20000U);
  EXPECT_EQ(config->guardrails[2].words, (std::vector<std::string>{"Globex", "Initech"}));
  EXPECT_EQ(config->guardrails[2].action, GuardAction::Redact);
  EXPECT_EQ(config->guardrails[4].threshold, 0.7);
  EXPECT_EQ(config->guardrails[5].entities, std::vector<std::string>{"CREDIT_CARD"});
  EXPECT_EQ(config->guardrails[6].action, GuardAction::Flag);

  ASSERT_EQ(config->prompts.size(), 2U);
  const PromptTemplate* latest = config->findPrompt("support");
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->id(), "support@10"); // numerically highest, not "2" > "10" as text
  EXPECT_EQ(latest->wording.messages.size(), 2U);
  EXPECT_EQ(latest->defaults.at("language"), "English");
  EXPECT_EQ(latest->per_target.count("local"), 1U);
  EXPECT_EQ(config->findPrompt("support@2")->wording.system, "Old wording for {{company}}.");
  EXPECT_EQ(config->findPrompt("support@3"), nullptr);
  EXPECT_EQ(config->findPrompt("nosuch"), nullptr);

  const Model* helpdesk = config->findModel("helpdesk");
  ASSERT_TRUE(helpdesk->prompt);
  EXPECT_EQ(config->prompts[*helpdesk->prompt].id(), "support@10");
  EXPECT_EQ(helpdesk->guardrails, (std::vector<std::size_t>{4, 5}));

  const Tenant* acme = config->findTenant("acme");
  EXPECT_EQ(acme->guardrails, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(acme->access.models, std::vector<std::string>{"helpdesk"});
  EXPECT_EQ(acme->access.max_declared, config->findLevel("confidential"));
  EXPECT_FALSE(acme->access.explain);
  EXPECT_TRUE(acme->keys[0].access.explain);
  EXPECT_FALSE(acme->keys[0].access.max_declared);
}

struct GovernanceError {
  std::string name;
  std::string yaml;
  std::string message;
};

class GovernanceErrors : public ::testing::TestWithParam<GovernanceError> {};

TEST_P(GovernanceErrors, AreRefusedWithTheReason) {
  const std::string message = errorOf(prelude + GetParam().yaml);
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Config, GovernanceErrors,
    ::testing::Values(
        GovernanceError{"UnknownKind", "guardrails:\n  g: { kind: vibes }\n",
                        "guardrails.g.kind must be one of"},
        GovernanceError{"LimitMissing", "guardrails:\n  g: { kind: max_messages }\n",
                        "a max_messages guardrail needs limit"},
        GovernanceError{"ForeignKey",
                        "guardrails:\n  g: { kind: max_messages, limit: 3, words: [a] }\n",
                        "a max_messages guardrail has no words"},
        GovernanceError{"CannotRedactSize",
                        "guardrails:\n  g: { kind: max_prompt_bytes, limit: 9, action: redact }\n",
                        "cannot redact"},
        GovernanceError{"BadThreshold",
                        "guardrails:\n  g: { kind: prompt_injection, threshold: 1.5 }\n",
                        "above 0 and at most 1"},
        GovernanceError{"UnknownEntity",
                        "guardrails:\n  g: { kind: output_entities, entities: [NOPE] }\n",
                        "unknown entity type 'NOPE'"},
        GovernanceError{"EmptyRegex", "guardrails:\n  g: { kind: deny_regex, regex: \"a*\" }\n",
                        "matches the empty string"},
        GovernanceError{"UnknownGuardrail",
                        "models:\n  m: { targets: [local:x], guardrails: [nope] }\n",
                        "unknown guardrail 'nope'"},
        GovernanceError{"UnknownPrompt", "models:\n  m: { targets: [local:x], prompt: p@1 }\n",
                        "unknown prompt template 'p@1'"},
        GovernanceError{"EmptyPrompt", "prompts:\n  p:\n    \"1\": { defaults: { a: b } }\n",
                        "needs a system prompt or messages"},
        GovernanceError{
            "PromptForUnknownBackend",
            "prompts:\n  p:\n    \"1\": { system: x, targets: { nope: { system: y } } }\n",
            "unknown backend 'nope'"},
        GovernanceError{"AccessUnknownModel",
                        "models:\n  m: { targets: [local:x] }\ntenants:\n  t: { models: [nope] }\n",
                        "unknown model 'nope'"},
        GovernanceError{"AccessUnknownLevel",
                        "models:\n  m: { targets: [local:x] }\ntenants:\n  t: { max_declared: "
                        "secret }\n",
                        "unknown level 'secret'"}),
    [](const ::testing::TestParamInfo<GovernanceError>& info) { return info.param.name; });

} // namespace
} // namespace cordon::config

namespace cordon::config {
namespace {

const std::string operated = R"(max_header_bytes: 16384
max_keep_alive_requests: 0
tls: { cert: server.pem, key: server.key, client_ca: ca.pem, client_auth: required }
breaker: { consecutive_failures: 3, open_ms: 2000 }
retries: { attempts: 3, backoff_ms: 10, max_backoff_ms: 40, deadline_ms: 5000 }
limits: { store: "redis://127.0.0.1:6390/2" }
boundaries:
  onprem: { clearance: restricted, region: eu }
  eu-cloud: { clearance: confidential, region: eu }
backends:
  a: { boundary: eu-cloud, protocol: openai, url: "http://127.0.0.1:1/v1",
       breaker: { error_rate: 0, window: 10 }, max_connections: 64,
       health_check: { path: /models, interval_ms: 500 } }
  b: { boundary: eu-cloud, protocol: openai, url: "http://127.0.0.1:2/v1" }
  c: { boundary: onprem, protocol: openai, url: "http://127.0.0.1:3/v1" }
models:
  m: { targets: [[a:x, b:x], c:x] }
tenants:
  acme:
    limits: { rpm: 600, tpm: 100000 }
    keys:
      - { name: svc, client_cn: svc.acme.internal, limits: { rpm: 60 } }
)";

TEST(ConfigOperations, ResilienceLimitsAndTlsParse) {
  const ConfigConstSharedPtr config = parse(operated);
  EXPECT_EQ(config->server.max_header_bytes, 16384U);
  EXPECT_EQ(config->server.max_keep_alive_requests, 0U);
  EXPECT_TRUE(config->server.tls.enabled());
  EXPECT_EQ(config->server.tls.client_ca, "ca.pem");
  EXPECT_TRUE(config->server.tls.client_cert_required);
  EXPECT_EQ(config->retries.attempts, 3U);
  EXPECT_EQ(config->retries.deadline, std::chrono::milliseconds(5000));
  EXPECT_TRUE(config->limits.shared());

  const Backend& a = config->backends[0];
  EXPECT_EQ(a.breaker.consecutive_failures, 3U); // from the top level
  EXPECT_EQ(a.breaker.open, std::chrono::milliseconds(2000));
  EXPECT_EQ(a.breaker.error_rate, 0.0); // overridden
  EXPECT_EQ(a.breaker.window, 10U);
  EXPECT_EQ(a.max_connections, 64U);
  EXPECT_EQ(a.health_check.path, "/models");
  EXPECT_EQ(a.health_check.interval, std::chrono::milliseconds(500));
  const Backend& b = config->backends[1];
  EXPECT_EQ(b.breaker.window, 20U);
  EXPECT_TRUE(b.health_check.path.empty());
  EXPECT_EQ(b.max_connections, 0U);

  const Model* model = config->findModel("m");
  ASSERT_EQ(model->targets.size(), 3U);
  EXPECT_EQ(model->targets[0].step, 0U);
  EXPECT_EQ(model->targets[1].step, 0U);
  EXPECT_EQ(model->targets[2].step, 1U);

  const Tenant* acme = config->findTenant("acme");
  EXPECT_EQ(acme->limits.requests_per_minute, 600U);
  EXPECT_EQ(acme->limits.tokens_per_minute, 100000U);
  EXPECT_FALSE(acme->keys[0].digest.has_value());
  EXPECT_EQ(acme->keys[0].client_cn, "svc.acme.internal");
  EXPECT_EQ(acme->keys[0].limits.requests_per_minute, 60U);
  EXPECT_FALSE(acme->keys[0].limits.tokens_per_minute.has_value());
}

TEST(ConfigOperations, DefaultsAreSafe) {
  const ConfigConstSharedPtr config = parse(prelude);
  EXPECT_FALSE(config->server.tls.enabled());
  EXPECT_EQ(config->retries.attempts, 1U);
  EXPECT_EQ(config->retries.deadline, std::chrono::milliseconds(0));
  EXPECT_FALSE(config->limits.shared());
  EXPECT_EQ(config->backends[0].breaker.consecutive_failures, 5U);
  EXPECT_EQ(config->server.max_keep_alive_requests, 1000U);
}

class OperationErrors : public ::testing::TestWithParam<GovernanceError> {};

TEST_P(OperationErrors, AreRefusedWithTheReason) {
  // A case that brings its own boundaries replaces the prelude.
  const std::string& yaml = GetParam().yaml;
  const std::string message = errorOf(yaml.starts_with("boundaries:") ? yaml : prelude + yaml);
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Config, OperationErrors,
    ::testing::Values(
        GovernanceError{"TlsWithoutKey", "tls: { cert: a.pem }\n", "tls is missing required key"},
        GovernanceError{"ClientAuthWithoutCa", "tls: { cert: a, key: b, client_auth: required }\n",
                        "needs tls.client_ca"},
        GovernanceError{"BadClientAuth", "tls: { cert: a, key: b, client_ca: c, client_auth: x }\n",
                        "must be one of: optional, required"},
        GovernanceError{"BreakerRate", "breaker: { error_rate: 2 }\n", "from 0 to 1"},
        GovernanceError{"BreakerUnknownKey", "breaker: { failures: 2 }\n",
                        "unknown key 'failures'"},
        GovernanceError{"RetryZero", "retries: { attempts: 0 }\n", "positive integer"},
        GovernanceError{"RetryBackoffOrder", "retries: { backoff_ms: 100, max_backoff_ms: 10 }\n",
                        "max_backoff_ms must not be below backoff_ms"},
        GovernanceError{"LimitsStore", "limits: { store: memcached://x }\n",
                        "must be \"local\" or \"redis://"},
        GovernanceError{"RateZero", "tenants:\n  t: { limits: { rpm: 0 } }\n", "positive integer"},
        GovernanceError{
            "HealthPath",
            "boundaries:\n  b: { clearance: public, region: eu }\nbackends:\n  h: { boundary: b, "
            "protocol: openai, url: \"http://x/v1\", health_check: { path: models } }\n",
            "must start with '/'"},
        GovernanceError{"NestedGroup", "models:\n  m: { targets: [[[local:x]]] }\n",
                        "a target group holds targets, not groups"},
        GovernanceError{"EmptyGroup", "models:\n  m: { targets: [[]] }\n", "must not be empty"},
        GovernanceError{"DuplicateInGroup", "models:\n  m: { targets: [[local:x, local:x]] }\n",
                        "listed twice"},
        GovernanceError{"CnTwice",
                        "tenants:\n  t:\n    keys:\n      - { name: a, client_cn: x }\n      - { "
                        "name: b, client_cn: x }\n",
                        "the same client_cn is already used by tenant t key a"},
        GovernanceError{"TinyHeaders", "max_header_bytes: 10\n", "at least 1024"}),
    [](const ::testing::TestParamInfo<GovernanceError>& info) { return info.param.name; });

} // namespace
} // namespace cordon::config
