#include "demo/demo.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <system_error>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "cordon/common/sha256.h"
#include "cordon/config/config.h"
#include "cordon/policy/decision.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/sse.h"
#include "gateway/gateway.h"
#include "gateway/inspect.h"
#include "http/deadline.h"
#include "simulate/simulator.h"
#include "upstream/client.h"

namespace cordon::demo {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kDemoKey = "demo-key";

std::string demoConfig(const std::string& listen, std::uint16_t onprem_port,
                       std::uint16_t cloud_port, const std::string& audit_path) {
  return fmt::format(R"(listen: "{}"
audit: {{ sink: "sqlite:{}", durability: sync }}
levels: [public, internal, confidential, restricted]
boundaries:
  onprem: {{ clearance: restricted, region: eu-de, note: "simulated on-prem GPU server" }}
  cloud:  {{ clearance: internal,   region: us,    note: "simulated public cloud" }}
backends:
  local-llama: {{ boundary: onprem, protocol: openai, url: "http://127.0.0.1:{}/v1" }}
  cloud-gpt:   {{ boundary: cloud,  protocol: openai, url: "http://127.0.0.1:{}/v1" }}
models:
  assistant:  {{ targets: [cloud-gpt:gpt-4o, local-llama:llama-3.1-8b-instruct] }}
  cloud-only: {{ targets: [cloud-gpt:gpt-4o] }}
  support:    {{ pseudonymize: auto, targets: [cloud-gpt:gpt-4o, local-llama:llama-3.1-8b-instruct] }}
tenants:
  demo:
    keys:
      - {{ name: demo-app, sha256: "{}" }}
)",
                     listen, audit_path, onprem_port, cloud_port, toHex(sha256(kDemoKey)));
}

struct Step {
  std::string title;
  std::string model;
  std::string level; ///< x-cordon-level, empty for none
  bool stream = false;
  std::string prompt;
};

struct Outcome {
  unsigned status = 0;
  std::string level;
  std::string boundary;
  std::string backend;
  std::string region;
  std::string pseudonymized; ///< x-cordon-pseudonymized
  std::string text;          ///< The answer, or the error message.
  std::string cloud_saw;     ///< The last user message the cloud backend received, if it was sent
};

/// The last user message of a request body as a backend received it.
std::string lastUserText(std::string_view body) {
  auto request = protocol::decodeOpenAiChatRequest(body);
  if (!request) {
    return {};
  }
  for (auto message = request->messages.rbegin(); message != request->messages.rend(); ++message) {
    if (message->role == protocol::Role::User && !message->content.empty()) {
      return message->content.front().text;
    }
  }
  return {};
}

std::string requestBody(const Step& step) {
  protocol::ChatRequest request;
  request.model = step.model;
  request.stream = step.stream;
  protocol::Message message;
  message.content.push_back({protocol::ContentPart::Kind::Text, step.prompt, {}, {}, {}});
  request.messages.push_back(std::move(message));
  return protocol::encodeOpenAiChatRequest(request, step.model);
}

/// The answer text of a streamed reply: the concatenated content deltas.
std::string streamedText(std::string_view sse) {
  protocol::SseParser parser;
  std::vector<protocol::SseEvent> events;
  std::string text;
  if (!parser.feed(sse, events)) {
    return "(malformed stream)";
  }
  for (const auto& event : events) {
    if (event.data == "[DONE]") {
      break;
    }
    if (auto chunk = protocol::decodeOpenAiChatChunk(event.data)) {
      for (const auto& choice : chunk->choices) {
        text += choice.content.value_or("");
      }
    } else if (event.data.find("\"error\"") != std::string::npos) {
      return "(stream ended with an error)";
    }
  }
  return text;
}

asio::awaitable<Outcome> send(upstream::Client& client, const config::Backend& gateway,
                              const Step& step) {
  upstream::RequestSpec spec;
  spec.path = "/chat/completions";
  spec.body = requestBody(step);
  spec.expect_stream = step.stream;
  spec.headers.emplace_back("authorization", fmt::format("Bearer {}", kDemoKey));
  if (!step.level.empty()) {
    spec.headers.emplace_back("x-cordon-level", step.level);
  }
  Outcome outcome;
  auto response = co_await client.send(gateway, std::move(spec));
  if (!response) {
    outcome.text = response.error().detail;
    co_return outcome;
  }
  auto& answer = **response;
  outcome.status = answer.status();
  outcome.level = answer.header("x-cordon-level");
  outcome.boundary = answer.header("x-cordon-boundary");
  outcome.backend = answer.header("x-cordon-backend");
  outcome.region = answer.header("x-cordon-region");
  outcome.pseudonymized = answer.header("x-cordon-pseudonymized");
  auto body = co_await answer.readAll(1U << 20U);
  if (!body) {
    outcome.text = body.error().detail;
  } else if (outcome.status != 200) {
    outcome.text = *body;
  } else if (step.stream) {
    outcome.text = streamedText(*body);
  } else if (auto chat = protocol::decodeOpenAiChatResponse(*body);
             chat && !chat->choices.empty() && !chat->choices[0].message.content.empty()) {
    outcome.text = chat->choices[0].message.content[0].text;
  }
  co_return outcome;
}

/// Why the decision went this way: detection and policy::decide, the very functions the gateway
/// served the request with.
std::string why(const gateway::Snapshot& snapshot, const Step& step, const Outcome& outcome) {
  const config::Config& config = *snapshot.config;
  const config::Model* model = config.findModel(step.model);
  auto request = protocol::decodeOpenAiChatRequest(requestBody(step));
  const classify::ScratchPtr scratch = snapshot.classifier->makeScratch();
  policy::RequestFacts facts;
  if (!step.level.empty()) {
    facts.declared = config.findLevel(step.level);
  }
  std::vector<classify::Finding> buffer;
  std::vector<gateway::LocatedFinding> findings;
  if (model == nullptr || !request || !scratch ||
      !gateway::assessRequest(config, *snapshot.classifier, *scratch, *request, buffer, facts,
                              &findings)) {
    return "(cannot explain this step)";
  }
  std::string reasons;
  for (const auto& located : findings) {
    reasons += fmt::format("\n        found {} in {}", located.finding.type, located.text);
  }
  const auto decision = policy::decide(config, config.tenants.front(), nullptr, *model, facts);
  if (!decision.allowed()) {
    return reasons + (reasons.empty() ? "" : "\n        ") + *decision.refusal;
  }
  for (const auto& verdict : decision.verdicts) {
    const auto& backend = config.backends[model->targets[verdict.target].backend];
    const bool masked = verdict.delivery == policy::Delivery::Pseudonymized;
    reasons += fmt::format("\n        {:<12} {}: {}", backend.name,
                           verdict.eligible ? (masked ? "eligible if pseudonymized" : "eligible")
                                            : "excluded",
                           verdict.reason);
    if (backend.name == outcome.backend) {
      reasons += "  <- answered";
    }
  }
  return reasons;
}

} // namespace

int run(const Options& options, const std::function<void()>& wait_for_stop) {
  simulate::Options onprem_options;
  onprem_options.name = "local-llama";
  simulate::Simulator onprem(onprem_options);
  onprem.start();
  simulate::Options cloud_options;
  cloud_options.name = "cloud-gpt";
  cloud_options.token_delay = std::chrono::milliseconds{20};
  simulate::Simulator cloud(cloud_options);
  cloud.start();

  // The demo's audit lives and dies with the demo.
  std::string audit_dir = (std::filesystem::temp_directory_path() / "cordon-demo-XXXXXX").string();
  if (mkdtemp(audit_dir.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "cannot create a temporary directory");
  }
  const std::string audit_path = audit_dir + "/audit.db";
  const auto config = config::parseConfig(
      demoConfig(options.listen, onprem.port(), cloud.port(), audit_path), "demo-config");
  gateway::Gateway gateway(config);
  gateway.start();
  const std::string base = fmt::format("http://{}:{}", config->server.listen_host, gateway.port());
  std::cout << fmt::format(
      "cordon demo: gateway on {0}, two simulated backends:\n"
      "  local-llama  boundary onprem (clearance restricted, region eu-de)\n"
      "  cloud-gpt    boundary cloud  (clearance internal,   region us)\n"
      "model 'assistant' prefers cloud-gpt, then local-llama; model 'support' too, and may "
      "pseudonymize;\nmodel 'cloud-only' has just cloud-gpt.\n\n",
      base);

  const std::vector<Step> steps = {
      {"Harmless text goes to the preferred cloud model", "assistant", "", false,
       "Summarise our public press release in one line."},
      {"The caller declares the data confidential: it stays on-prem", "assistant", "confidential",
       false, "Draft a reply to the customer about their contract renewal."},
      {"Streaming works the same way (internal data may use the cloud)", "assistant", "internal",
       true, "Explain trust boundaries in three words."},
      {"Nobody declared anything, but the prompt holds an e-mail address: detected, it stays "
       "on-prem",
       "assistant", "", false, "Tell jane.roe@example.com that her order has shipped."},
      {"A complaint with a name, an e-mail address and a phone number, to a model that may "
       "pseudonymize: the cloud answers, seeing placeholders only",
       "support", "", true,
       "My name is Jane Roe. Two parcels went missing; write to jane.roe@example.com or call "
       "+44 20 7946 0958."},
      {"A card number cannot be pseudonymized away: the same model keeps it on-prem", "support", "",
       false, "Jane Roe asks why card 4111 1111 1111 1111 was charged twice."},
      {"Restricted data and a cloud-only model: cordon refuses rather than leak", "cloud-only",
       "restricted", false, "Reconcile these card payments."},
  };

  config::Backend target;
  target.name = "gateway";
  target.url = base + "/v1";
  target.endpoint.host = config->server.listen_host;
  target.endpoint.port = gateway.port();
  target.endpoint.base_path = "/v1";

  asio::io_context context;
  http::DeadlineWheel deadlines(context.get_executor());
  upstream::Client client(context.get_executor(), deadlines);
  std::vector<Outcome> outcomes(steps.size());
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        for (std::size_t i = 0; i < steps.size(); ++i) {
          const std::uint64_t cloud_before = cloud.requestsSeen();
          outcomes[i] = co_await send(client, target, steps[i]);
          if (cloud.requestsSeen() != cloud_before) {
            outcomes[i].cloud_saw = lastUserText(cloud.lastRequestBody());
          }
        }
      },
      asio::detached);
  context.run();

  const auto snapshot = gateway.snapshot();
  int exit_code = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    const Outcome& outcome = outcomes[i];
    std::cout << fmt::format("[{}] {}\n    model {}, x-cordon-level: {}{}\n", i + 1, step.title,
                             step.model, step.level.empty() ? "(none)" : step.level,
                             step.stream ? ", streamed" : "");
    if (outcome.status == 200) {
      std::cout << fmt::format(
          "    -> 200, level {}, boundary {} (region {}), backend {}{}\n", outcome.level,
          outcome.boundary, outcome.region, outcome.backend,
          outcome.pseudonymized == "0"
              ? ""
              : fmt::format(", {} values pseudonymized", outcome.pseudonymized));
    } else {
      std::cout << fmt::format("    -> {}, level {}\n", outcome.status, outcome.level);
    }
    std::cout << fmt::format("    why: {}\n", why(*snapshot, step, outcome));
    if (outcome.pseudonymized != "0" && !outcome.cloud_saw.empty()) {
      std::cout << fmt::format("    the cloud model received: {}\n", outcome.cloud_saw);
    }
    std::cout << fmt::format("    answer: {}\n\n", outcome.text);
    const bool expected = i + 1 == steps.size() ? outcome.status == 403 : outcome.status == 200;
    if (!expected) {
      exit_code = 1;
    }
  }

  if (!options.once) {
    std::cout << fmt::format(
        "cordon is serving on {0} (Ctrl-C to stop). Try:\n"
        "  curl -s {0}/v1/chat/completions -H 'Authorization: Bearer {1}' \\\n"
        "       -H 'x-cordon-level: confidential' -i \\\n"
        "       -d '{{\"model\":\"assistant\",\"messages\":[{{\"role\":\"user\",\"content\":"
        "\"Hello\"}}]}}'\n",
        base, kDemoKey);
    std::cout.flush();
    wait_for_stop();
  }
  gateway.shutdown(std::chrono::seconds{5});
  cloud.shutdown();
  onprem.shutdown();
  std::error_code ignored;
  std::filesystem::remove_all(audit_dir, ignored);
  return exit_code;
}

} // namespace cordon::demo
