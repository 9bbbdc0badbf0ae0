#include "gateway/gateway.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/algorithm/string/join.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cordon/audit/flows.h"
#include "cordon/audit/log.h"
#include "cordon/common/sha256.h"
#include "cordon/policy/decision.h"
#include "cordon/prompt/prompt.h"
#include "cordon/protocol/anthropic.h"
#include "cordon/protocol/embeddings.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/sse.h"
#include "cordon/protocol/translate.h"
#include "cordon/resilience/resilience.h"
#include "gateway/answer_restore.h"
#include "gateway/gateway_metrics.h"
#include "gateway/health_checks.h"
#include "gateway/inspect.h"
#include "gateway/rate_limits.h"
#include "gateway/stream_relay.h"
#include "http/deadline.h"
#include "http/server.h"
#include "upstream/client.h"

namespace cordon::gateway {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using http::Request;
using http::Response;
using http::ResponseWriter;

/// Upper bound on a non-streamed upstream answer held in memory.
constexpr std::size_t kMaxUpstreamBodyBytes = std::size_t{64} * 1024 * 1024;
/// Restored stream events sent per write (see relayStream).
constexpr std::size_t kRestoredEventsPerWrite = 16;
/// Upper bound on an upstream error body we read (and discard) before falling back.
constexpr std::size_t kMaxUpstreamErrorBytes = std::size_t{64} * 1024;
/// `max_tokens` sent to an Anthropic backend when the client (an OpenAI one) set none: the
/// Messages API requires it (docs/backends.md).
constexpr std::int64_t kDefaultAnthropicMaxTokens = 4096;

/// An endpoint that takes a model request: which protocol its clients speak and what it asks.
struct FrontDoor {
  protocol::Wire wire;
  protocol::Operation operation;
  std::string_view endpoint;
  bool explain_only = false;
};

constexpr FrontDoor kChatCompletions{protocol::Wire::OpenAi, protocol::Operation::Chat,
                                     "/v1/chat/completions"};
constexpr FrontDoor kMessages{protocol::Wire::Anthropic, protocol::Operation::Chat, "/v1/messages"};
constexpr FrontDoor kEmbeddings{protocol::Wire::OpenAi, protocol::Operation::Embeddings,
                                "/v1/embeddings"};
constexpr FrontDoor kExplain{protocol::Wire::OpenAi, protocol::Operation::Chat,
                             "/v1/cordon/explain", true};

const FrontDoor* frontDoorFor(std::string_view path) {
  for (const FrontDoor* door : {&kChatCompletions, &kMessages, &kEmbeddings, &kExplain}) {
    if (door->endpoint == path) {
      return door;
    }
  }
  return nullptr;
}

protocol::Wire wireOf(const config::Backend& backend) {
  return backend.protocol == config::Protocol::Anthropic ? protocol::Wire::Anthropic
                                                         : protocol::Wire::OpenAi;
}

std::string errorBody(protocol::Wire wire, Errc code, std::string_view message) {
  return wire == protocol::Wire::Anthropic ? protocol::encodeAnthropicError(code, message)
                                           : protocol::encodeOpenAiError(code, message);
}

/// The error kind a backend's own 4xx status stands for, to re-word its error in the client's
/// protocol.
Errc errcOfStatus(unsigned status) {
  switch (status) {
  case 404:
    return Errc::NotFound;
  case 413:
    return Errc::PayloadTooLarge;
  default:
    return Errc::BadRequest;
  }
}

/// What the client is told about where its request went (PRODUCT.md §3 response headers).
struct RouteHeaders {
  std::string request_id;
  std::string level;
  std::string boundary;
  std::string backend;
  std::string region;
  std::size_t pseudonymized = 0; ///< Distinct values the chosen target saw as placeholders.

  template <class Fields> void applyTo(Fields& fields) const {
    fields.set("x-cordon-request-id", request_id);
    fields.set("x-cordon-pseudonymized", std::to_string(pseudonymized));
    if (!level.empty()) {
      fields.set("x-cordon-level", level);
    }
    if (!backend.empty()) {
      fields.set("x-cordon-boundary", boundary);
      fields.set("x-cordon-backend", backend);
      fields.set("x-cordon-region", region);
    }
  }
};

Response errorResponse(Errc code, std::string_view message, const RouteHeaders& route,
                       unsigned version, bool keep_alive,
                       protocol::Wire wire = protocol::Wire::OpenAi) {
  Response response =
      http::jsonResponse(httpStatus(code), errorBody(wire, code, message), version, keep_alive);
  route.applyTo(response);
  return response;
}

std::string_view headerValue(const Request& request, std::string_view name) {
  const auto found = request.find(boost::beast::string_view(name.data(), name.size()));
  if (found == request.end()) {
    return {};
  }
  return {found->value().data(), found->value().size()};
}

std::string_view pathOf(const Request& request) {
  std::string_view target{request.target().data(), request.target().size()};
  return target.substr(0, target.find('?'));
}

/// One failed attempt, as the final error message reports it (backend names, never data).
struct AttemptFailure {
  std::string backend;
  std::string what;
  bool timeout = false;
  /// The request has something the target's protocol cannot express (translate.h).
  bool untranslatable = false;
};

Error allTargetsFailed(const std::vector<AttemptFailure>& failures) {
  // When no target could even be asked, the request itself is the problem: say which parameter.
  const bool none_asked = !failures.empty() && std::all_of(failures.begin(), failures.end(),
                                                           [](const AttemptFailure& failure) {
                                                             return failure.untranslatable;
                                                           });
  if (none_asked) {
    return makeError(Errc::BadRequest, failures.front().what);
  }
  std::vector<std::string> parts;
  bool all_timeouts = !failures.empty();
  for (const auto& failure : failures) {
    parts.push_back(fmt::format("{} ({})", failure.backend, failure.what));
    all_timeouts = all_timeouts && failure.timeout;
  }
  return makeError(
      all_timeouts ? Errc::UpstreamTimeout : Errc::UpstreamFailed,
      fmt::format("every eligible target failed: {}", boost::algorithm::join(parts, "; ")));
}

/// Statuses after which the next eligible target is tried (PRODUCT.md §1).
bool isRetryableStatus(unsigned status) {
  return status >= 500 || status == 429;
}

/// The circuit state of each of the snapshot's backends, for explain.
std::vector<std::string_view> circuitsOf(const Snapshot& snapshot) {
  std::vector<std::string_view> circuits;
  const auto now = resilience::Clock::now();
  circuits.reserve(snapshot.backend_states.size());
  for (const auto& state : snapshot.backend_states) {
    circuits.push_back(resilience::circuitStateName(state->breaker.state(now)));
  }
  return circuits;
}

/// Uniform in [0, 1), for backoff jitter; one generator per worker thread, so no lock.
double unitRandom() {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

/// Waits `delay` on the current executor without blocking it. A timer cancelled because the
/// worker is stopping simply ends the wait early.
asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

} // namespace

class Gateway::Handler {
public:
  explicit Handler(Gateway& gateway) : gateway_(gateway) {}

  asio::awaitable<void> handle(unsigned worker, Request& request, ResponseWriter& writer) {
    const auto snapshot = gateway_.snapshot_.load(std::memory_order_acquire);
    RouteHeaders route;
    route.request_id = newRequestId();
    const std::string_view path = pathOf(request);
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();

    auto fail = [&](Errc code, std::string_view message) -> asio::awaitable<void> {
      co_await writer.write(errorResponse(code, message, route, version, keep_alive));
    };

    if (path == "/healthz" || path == "/readyz") {
      if (request.method() != bhttp::verb::get) {
        co_return co_await fail(Errc::MethodNotAllowed, "use GET");
      }
      if (path == "/readyz" && gateway_.audit_ && !gateway_.audit_->healthy()) {
        co_return co_await fail(Errc::Unavailable, "not ready: the audit log cannot be written");
      }
      Response response = http::jsonResponse(
          200, path == "/healthz" ? R"({"status":"ok"})" : R"({"status":"ready"})", version,
          keep_alive);
      route.applyTo(response);
      co_await writer.write(std::move(response));
      co_return;
    }
    if (path == "/v1/models") {
      if (request.method() != bhttp::verb::get) {
        co_return co_await fail(Errc::MethodNotAllowed, "use GET");
      }
      if (const auto principal = authenticate(*snapshot, request, writer); !principal) {
        co_return co_await fail(Errc::Unauthorized, principal.error().detail);
      }
      co_await writer.write(modelsResponse(*snapshot, route, version, keep_alive));
      co_return;
    }
    if (path == "/metrics") {
      if (request.method() != bhttp::verb::get) {
        co_return co_await fail(Errc::MethodNotAllowed, "use GET");
      }
      Response response =
          http::jsonResponse(200, gateway_.metrics_->exposition(), version, keep_alive);
      response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      route.applyTo(response);
      co_await writer.write(std::move(response));
      co_return;
    }
    if (path == "/admin/flows") {
      if (request.method() != bhttp::verb::get) {
        co_return co_await fail(Errc::MethodNotAllowed, "use GET");
      }
      co_await adminFlows(*snapshot, request, writer, route);
      co_return;
    }
    if (const FrontDoor* door = frontDoorFor(path)) {
      if (request.method() != bhttp::verb::post) {
        co_await writer.write(errorResponse(Errc::MethodNotAllowed, "use POST", route, version,
                                            keep_alive, door->wire));
        co_return;
      }
      co_await serve(worker, *snapshot, request, writer, route, *door);
      co_return;
    }
    co_await fail(Errc::NotFound, "no such endpoint");
  }

private:
  /// GET /admin/flows?tenant=T&since=DATE&format=json|table: `cordon audit flows` for holders
  /// of an admin key. The sink is read on the gateway's admin thread, never on a worker.
  asio::awaitable<void> adminFlows(const Snapshot& snapshot, Request& request,
                                   ResponseWriter& writer, RouteHeaders& route) {
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    auto fail = [&](Errc code, std::string_view message) -> asio::awaitable<void> {
      co_await writer.write(errorResponse(code, message, route, version, keep_alive));
    };
    const std::string_view presented = auth::presentedKey(headerValue(request, "authorization"),
                                                          headerValue(request, "x-api-key"));
    if (!snapshot.keys.isAdmin(presented)) {
      const auto principal = authenticate(snapshot, request, writer);
      if (principal) {
        co_return co_await fail(Errc::PolicyViolation, "admin endpoints need an admin key");
      }
      co_return co_await fail(Errc::Unauthorized, principal.error().detail);
    }
    audit::FlowQuery query;
    bool table = false;
    const std::string_view target(request.target().data(), request.target().size());
    const auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
      co_return co_await fail(Errc::BadRequest, "malformed query string");
    }
    for (const auto& param : parsed->params()) {
      if (param.key == "tenant") {
        query.tenant = param.value;
      } else if (param.key == "since") {
        query.since_ms = audit::parseTimestamp(param.value);
        if (!query.since_ms) {
          co_return co_await fail(Errc::BadRequest,
                                  "since must be YYYY-MM-DD or an RFC 3339 date-time");
        }
      } else if (param.key == "format" && (param.value == "json" || param.value == "table")) {
        table = param.value == "table";
      } else {
        co_return co_await fail(Errc::BadRequest,
                                "query parameters: tenant, since, format (json or table)");
      }
    }
    const std::string sink_spec = snapshot.config->audit.sink;
    auto read = [&sink_spec, &query, table] {
      auto sink = audit::openSink(sink_spec, audit::OpenMode::Read);
      if (!sink) {
        return Result<std::string>(sink.error());
      }
      auto summed = audit::flows(**sink, query);
      if (!summed) {
        return Result<std::string>(summed.error());
      }
      return Result<std::string>(table ? audit::flowsTable(*summed) : audit::flowsJson(*summed));
    };
    const Result<std::string> report = co_await offload(&read);
    if (!report) {
      co_return co_await fail(Errc::Unavailable, report.error().detail);
    }
    Response response = http::jsonResponse(200, *report, version, keep_alive);
    if (table) {
      response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    }
    route.applyTo(response);
    co_await writer.write(std::move(response));
  }

  /// Runs `work()` on the gateway's admin thread and resumes on this request's worker with its
  /// result: slow, blocking reads (the audit sink) never stall a worker's other connections.
  /// `work` is the caller's (it lives in the caller's frame until this returns); only its
  /// address crosses threads, because GCC 12 mis-copies class-type coroutine parameters.
  template <typename Work, typename Value = std::invoke_result_t<Work&>>
  asio::awaitable<Value> offload(Work* work) {
    co_return co_await asio::co_spawn(
        gateway_.admin_pool_, [work]() -> asio::awaitable<Value> { co_return (*work)(); },
        asio::use_awaitable);
  }

  /// Who sends the request, or why nobody (Errc::Unauthorized, the client's message). A client
  /// certificate the listener verified (`writer.peerCommonName()`) authenticates as the key
  /// whose `client_cn` names it; an API key sent with it must be that same key. A certificate
  /// naming no key leaves authentication to the API key alone (the CA may issue certificates
  /// for more services than cordon knows), and without one is refused.
  static Result<auth::Principal> authenticate(const Snapshot& snapshot, const Request& request,
                                              const ResponseWriter& writer) {
    const std::string_view presented = auth::presentedKey(headerValue(request, "authorization"),
                                                          headerValue(request, "x-api-key"));
    if (const std::string_view common_name = writer.peerCommonName(); !common_name.empty()) {
      if (const auto by_certificate = snapshot.keys.authenticateCertificate(common_name)) {
        if (presented.empty()) {
          return *by_certificate;
        }
        const auto by_key = snapshot.keys.authenticate(presented);
        if (!by_key || by_key->tenant != by_certificate->tenant ||
            by_key->key != by_certificate->key) {
          return makeError(Errc::Unauthorized,
                           "the API key does not belong to the client certificate's key");
        }
        return *by_certificate;
      }
      if (presented.empty()) {
        return makeError(Errc::Unauthorized, "client certificate names no configured key");
      }
    }
    if (const auto by_key = snapshot.keys.authenticate(presented)) {
      return *by_key;
    }
    return makeError(Errc::Unauthorized, std::string(unauthorizedMessage(request)));
  }

  static std::string_view unauthorizedMessage(const Request& request) {
    const bool presented = !auth::presentedKey(headerValue(request, "authorization"),
                                               headerValue(request, "x-api-key"))
                                .empty();
    return presented ? "invalid API key"
                     : "missing API key (send Authorization: Bearer KEY or x-api-key: KEY)";
  }

  static Response modelsResponse(const Snapshot& snapshot, const RouteHeaders& route,
                                 unsigned version, bool keep_alive) {
    std::string body = R"({"object":"list","data":[)";
    bool first = true;
    for (const auto& model : snapshot.config->models) {
      // Model names are config identifiers ([A-Za-z0-9_.:/-]), safe to embed without escaping.
      body += fmt::format(R"({}{{"id":"{}","object":"model","created":0,"owned_by":"cordon"}})",
                          first ? "" : ",", model.name);
      first = false;
    }
    body += "]}";
    Response response = http::jsonResponse(200, std::move(body), version, keep_alive);
    route.applyTo(response);
    return response;
  }

  /// A model request through any front door (POST /v1/chat/completions, /v1/messages,
  /// /v1/embeddings), or POST /v1/cordon/explain: the same steps up to the decision, which
  /// explain returns as JSON instead of calling any backend.
  asio::awaitable<void> serve(unsigned worker, const Snapshot& snapshot, Request& request,
                              ResponseWriter& writer, RouteHeaders& route, const FrontDoor& door) {
    const config::Config& config = *snapshot.config;
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool explain_only = door.explain_only;
    const auto arrived = resilience::Clock::now();
    audit::Record trail = startTrail(route, door.endpoint);
    // Every way out of here goes through answer(): the record is written first (and, in sync
    // mode, is durable) before the client sees anything.
    auto answer = [&](Response response) -> asio::awaitable<void> {
      trail.status = response.result_int();
      if (!co_await commit(std::move(trail), config)) {
        response = auditUnavailable(route, version, keep_alive);
      }
      co_await writer.write(std::move(response));
    };
    auto fail = [&](const Error& error) -> asio::awaitable<void> {
      trail.outcome = outcomeOf(error.code);
      if (error.code == Errc::PolicyViolation) {
        trail.reason = error.detail;
      }
      co_await answer(
          errorResponse(error.code, error.detail, route, version, keep_alive, door.wire));
    };
    if (gateway_.audit_ &&
        (gateway_.audit_sync_ ? !gateway_.audit_->healthy() : !gateway_.audit_->accepting())) {
      co_return co_await fail(makeError(Errc::Unavailable,
                                        "the audit log cannot be written; cordon refuses requests "
                                        "until it can"));
    }

    const auto principal = authenticate(snapshot, request, writer);
    if (!principal) {
      co_return co_await fail(principal.error());
    }
    trail.tenant = principal->tenant->name;
    trail.key = principal->key != nullptr ? principal->key->name : std::string{};

    policy::RequestFacts facts;
    if (const auto declared = headerValue(request, "x-cordon-level"); !declared.empty()) {
      facts.declared = config.findLevel(declared);
      if (!facts.declared) {
        co_return co_await fail(
            makeError(Errc::BadRequest, fmt::format("x-cordon-level must be one of: {}",
                                                    boost::algorithm::join(config.levels, ", "))));
      }
    }

    auto decoded = decode(door, request.body());
    if (!decoded) {
      co_return co_await fail(decoded.error());
    }
    protocol::ChatRequest& chat = *decoded;
    // An Anthropic client's stream ends with the token counts: ask an OpenAI backend for them.
    const bool client_wants_usage = chat.stream_include_usage;
    if (door.wire == protocol::Wire::Anthropic) {
      chat.stream_include_usage = true;
    }
    trail.model = chat.model;
    const config::Model* model = config.findModel(chat.model);
    if (model == nullptr) {
      co_return co_await fail(makeError(
          Errc::NotFound, "the requested model is not configured (GET /v1/models lists them)"));
    }
    if (auto refused = policy::accessRefusal(config, *principal->tenant, principal->key,
                                             {model->name, facts.declared, explain_only})) {
      co_return co_await fail(makeError(Errc::PolicyViolation, *refused));
    }
    // Rate limits before any detection work: a caller over its budget costs next to nothing.
    const Admission admission = co_await gateway_.rate_limits_->admit(
        *principal, route.request_id, request.body().size(), !explain_only);
    if (admission.refusal) {
      co_return co_await answer(
          rateLimited(*admission.refusal, trail, route, version, keep_alive, door.wire));
    }

    // The prompt template goes in before classification: the whole request is what is judged.
    auto variables = prompt::takeVariables(chat);
    if (!variables) {
      co_return co_await fail(variables.error());
    }
    const config::PromptTemplate* tmpl = nullptr;
    if (model->prompt) {
      tmpl = &config.prompts[*model->prompt]; // a model's pin wins over the client's choice
    } else if (const auto asked = headerValue(request, "x-cordon-prompt"); !asked.empty()) {
      tmpl = config.findPrompt(asked);
      if (tmpl == nullptr) {
        co_return co_await fail(
            makeError(Errc::BadRequest, "x-cordon-prompt names no configured prompt template"));
      }
    }
    // The client's own request, kept when a target may need other wording of the template.
    std::optional<protocol::ChatRequest> bare;
    if (tmpl != nullptr) {
      trail.prompt = tmpl->id();
      if (!tmpl->per_target.empty()) {
        bare = chat;
      }
      if (auto applied = prompt::apply(*tmpl, tmpl->wording, *variables, chat); !applied) {
        co_return co_await fail(applied.error());
      }
    }

    // Guardrails on the request as the template left it, before it is judged.
    const auto guardrails = guardrailsFor(config, *model, *principal->tenant);
    if (!guardrails.empty()) {
      guard::DenyLists::Scratch* deny_scratch = denyScratchFor(worker, snapshot);
      if (deny_scratch == nullptr) {
        co_return co_await fail(
            makeError(Errc::Internal, "guardrails are unavailable; the request was refused"));
      }
      if (auto checked = checkInput(guardrails, config, *snapshot.deny_lists, *deny_scratch, chat,
                                    trail.guardrails);
          !checked) {
        co_return co_await fail(checked.error());
      }
    }
    std::optional<AnswerWatch> watch;
    if (!explain_only && watchesAnswers(guardrails)) {
      watch = answerWatch(guardrails, chat);
      auto values = requestValues(worker, snapshot, chat);
      if (!values) {
        co_return co_await fail(values.error());
      }
      watch->request_values = std::move(*values);
    }
    const guard::StreamScreen::Scan scan = [this, worker, &snapshot](std::string_view text) {
      return scanText(worker, snapshot, text);
    };

    std::vector<LocatedFinding> located;
    std::vector<TextFinding> pseudonymizable;
    const bool may_pseudonymize =
        !explain_only && model->pseudonymize == config::PseudonymizeMode::Auto;
    if (auto assessed = assess(worker, snapshot, chat, facts, explain_only ? &located : nullptr,
                               may_pseudonymize ? &pseudonymizable : nullptr);
        !assessed) {
      spdlog::error("request {}: {}", route.request_id, assessed.error().detail);
      co_return co_await fail(assessed.error());
    }
    if (tmpl != nullptr) {
      for (const std::string& type :
           snapshot.prompt_entities[static_cast<std::size_t>(tmpl - config.prompts.data())]) {
        policy::countDetected(config, type, facts);
      }
    }

    const policy::Decision decision =
        policy::decide(config, *principal->tenant, principal->key, *model, facts);
    route.level = config.levels[decision.level];
    recordFacts(trail, config, facts, decision);
    if (explain_only) {
      Response response = http::jsonResponse(
          200,
          explanationJson(config, *model,
                          Explanation{std::move(located), facts, decision, circuitsOf(snapshot)}),
          version, keep_alive);
      route.applyTo(response);
      trail.outcome = "explained";
      co_return co_await answer(std::move(response));
    }
    if (!decision.allowed()) {
      spdlog::info("request {} refused: {}", route.request_id, *decision.refusal);
      co_return co_await fail(
          makeError(Errc::PolicyViolation, fmt::format("policy: {}", *decision.refusal)));
    }

    upstream::Client& client = *gateway_.clients_[worker];
    std::vector<AttemptFailure> failures;
    // Made once, for the first target that may only see the request pseudonymized.
    std::optional<PseudonymizedRequest> masked;
    std::optional<resilience::Clock::time_point> deadline;
    if (config.retries.deadline.count() > 0) {
      deadline = arrived + config.retries.deadline;
    }
    const auto outstanding = [&snapshot, model](std::size_t target) {
      return snapshot.backend_states[model->targets[target].backend]->outstanding.load(
          std::memory_order_relaxed);
    };
    // Walks of the eligible list (retries.attempts): only what policy::decide() made eligible is
    // ever tried, in an order that spreads load inside a preference step.
    for (std::uint32_t walk = 1; walk <= config.retries.attempts; ++walk) {
      if (walk > 1) {
        const bool none_can_take_it =
            std::all_of(failures.begin(), failures.end(),
                        [](const AttemptFailure& failure) { return failure.untranslatable; });
        if (none_can_take_it) {
          break; // another walk cannot change what the request asks for
        }
        const auto wait = resilience::backoffBefore(walk, config.retries, unitRandom());
        if (deadline && resilience::Clock::now() + wait >= *deadline) {
          failures.push_back(
              {"retries", "the request's deadline leaves no time for another walk", true});
          break;
        }
        co_await pause(wait);
      }
      const std::vector<std::size_t> order =
          resilience::attemptOrder(*model, decision.eligible, outstanding,
                                   gateway_.rotation_.fetch_add(1, std::memory_order_relaxed));
      for (const std::size_t index : order) {
        const policy::TargetVerdict& verdict = decision.verdicts[index];
        const config::Target& target = model->targets[verdict.target];
        const config::Backend& backend = config.backends[target.backend];
        const config::Boundary& boundary = config.boundaryOf(backend);
        resilience::BackendState& health = *snapshot.backend_states[target.backend];
        const bool pseudonymized = verdict.delivery == policy::Delivery::Pseudonymized;
        const protocol::Wire wire = wireOf(backend);
        if (auto crossing = protocol::checkTranslatable(chat, wire); !crossing) {
          failures.push_back({backend.name, crossing.error().detail, false, true});
          continue;
        }
        audit::Attempt& attempt = trail.attempts.emplace_back();
        attempt.backend = backend.name;
        attempt.model = target.model;
        // A backend that is over its connection limit or whose breaker is open is skipped: the
        // audit and the final error say so, and the next eligible target is tried.
        if (backend.max_connections > 0 &&
            health.outstanding.load(std::memory_order_relaxed) >= backend.max_connections) {
          attempt.error =
              fmt::format("{}connection limit {} reached", kSkippedPrefix, backend.max_connections);
          failures.push_back({backend.name, attempt.error, false});
          continue;
        }
        const resilience::Admission admission = health.breaker.admit(resilience::Clock::now());
        if (admission == resilience::Admission::Refused) {
          attempt.error = fmt::format("{}circuit open", kSkippedPrefix);
          failures.push_back({backend.name, attempt.error, false});
          continue;
        }
        resilience::Ticket ticket(health.breaker, admission);
        const resilience::Outstanding busy(health);
        // The request this target gets: the template's wording for it, pseudonymized if it must be.
        std::optional<PseudonymizedRequest> reworded;
        const config::PromptWording* wording =
            tmpl != nullptr ? &prompt::wordingFor(*tmpl, backend.name, target.model) : nullptr;
        if (wording != nullptr && wording != &tmpl->wording) {
          auto own = rewordFor(worker, snapshot, *tmpl, *wording, *variables, *bare, pseudonymized);
          if (!own) {
            co_return co_await fail(own.error());
          }
          reworded = std::move(*own);
        } else if (pseudonymized && !masked) {
          masked = pseudonymizeRequest(chat, pseudonymizable);
        }
        const PseudonymizedRequest* shaped = reworded        ? &*reworded
                                             : pseudonymized ? &*masked
                                                             : nullptr;
        const protocol::ChatRequest& outgoing = shaped != nullptr ? shaped->chat : chat;
        const pseudonymize::PlaceholderMap* placeholders =
            pseudonymized && !shaped->placeholders.empty() ? &shaped->placeholders : nullptr;
        trail.target = fmt::format("{}:{}", backend.name, target.model);
        trail.boundary = boundary.name;
        trail.region = boundary.region;
        trail.pseudonymized = placeholders != nullptr;
        trail.pseudonymized_values =
            placeholders != nullptr ? static_cast<std::uint32_t>(placeholders->size()) : 0U;
        trail.reason = verdict.reason;
        const auto started = std::chrono::steady_clock::now();
        const auto elapsed_ms = [started] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
              .count();
        };

        upstream::RequestSpec spec = upstreamRequest(outgoing, backend, target.model);
        spec.deadline = deadline;
        auto sent = co_await client.send(backend, std::move(spec));
        if (!sent) {
          ticket.failed(resilience::Clock::now());
          attempt.latency_ms = elapsed_ms();
          attempt.error = attemptMessage(sent.error());
          failures.push_back({backend.name, attemptMessage(sent.error()),
                              sent.error().code == Errc::UpstreamTimeout});
          continue;
        }
        upstream::Response& reply = **sent;
        const unsigned status = reply.status();
        attempt.status = status;
        attempt.latency_ms = elapsed_ms();
        if (isRetryableStatus(status)) {
          // A 429 says the backend is busy, not broken: it moves on without counting against
          // the breaker (the ticket is given back).
          if (status >= 500) {
            ticket.failed(resilience::Clock::now());
          }
          (void)co_await reply.readAll(kMaxUpstreamErrorBytes);
          failures.push_back({backend.name, fmt::format("status {}", status), false});
          continue;
        }
        if (status < 200 || status >= 300) {
          ticket.succeeded(resilience::Clock::now()); // it answered; the request was the problem
        }

        route.boundary = boundary.name;
        route.backend = backend.name;
        route.region = boundary.region;
        route.pseudonymized = placeholders != nullptr ? placeholders->size() : 0;

        if (status < 200 || status >= 300) {
          // The backend refused the request itself (4xx): not a reason to try a wider set, and
          // the client should see why. A rejected credential is cordon's fault, not the client's.
          if (status == 401 || status == 403) {
            co_return co_await fail(
                makeError(Errc::UpstreamFailed,
                          fmt::format("backend {} rejected cordon's credentials (status {})",
                                      backend.name, status)));
          }
          auto body = co_await reply.readAll(kMaxUpstreamErrorBytes);
          if (!body) {
            co_return co_await fail(body.error());
          }
          if (wire != door.wire) {
            // The client gets the backend's complaint in its own protocol's error form.
            *body =
                errorBody(door.wire, errcOfStatus(status),
                          protocol::upstreamErrorMessage(*body).value_or(fmt::format(
                              "backend {} refused the request (status {})", backend.name, status)));
          }
          Response response = http::jsonResponse(status, std::move(*body), version, keep_alive);
          route.applyTo(response);
          trail.outcome = "rejected";
          co_return co_await answer(std::move(response));
        }

        if (chat.stream) {
          const auto commit_stream =
              [&](std::string_view outcome,
                  const std::optional<protocol::Usage>& usage) -> asio::awaitable<bool> {
            trail.outcome = outcome;
            trail.status = 200;
            if (usage) {
              trail.tokens_in = usage->input_tokens;
              trail.tokens_out = usage->output_tokens;
            }
            co_return co_await commit(std::move(trail), config);
          };
          StreamTranscoder transcoder(wire, door.wire, placeholders, client_wants_usage);
          if (watch) {
            transcoder.watch(*watch, scan, trail.guardrails);
          }
          const auto first_token = [this, &backend, started] {
            gateway_.metrics_->firstToken(backend.name)
                .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                             .count());
          };
          if (co_await relayStream(reply, writer, route, transcoder, commit_stream, first_token) ||
              writer.started()) {
            ticket.succeeded(resilience::Clock::now());
            co_return;
          }
        } else if (auto whole = co_await relayWhole(
                       reply, route, version, keep_alive, placeholders, chat.operation, wire,
                       door.wire, watch ? &*watch : nullptr, scan, trail.guardrails)) {
          ticket.succeeded(resilience::Clock::now());
          if (whole->refused) {
            co_return co_await fail(*whole->refused);
          }
          trail.outcome = "answered";
          trail.tokens_in = whole->usage.input_tokens;
          trail.tokens_out = whole->usage.output_tokens;
          co_return co_await answer(std::move(whole->response));
        }
        // The answer broke before anything reached the client: the next eligible target may try.
        ticket.failed(resilience::Clock::now());
        attempt.error = "answer was malformed or cut off";
        failures.push_back({backend.name, "answer was malformed or cut off", false});
        route.boundary.clear();
        route.backend.clear();
        route.region.clear();
        route.pseudonymized = 0;
      }
    }
    const Error error = allTargetsFailed(failures);
    spdlog::warn("request {}: {}", route.request_id, error.detail);
    co_await fail(error);
  }

  /// The worker's scratch for this snapshot's classifier, made on first use after a reload;
  /// null when Hyperscan cannot allocate one (callers refuse the request).
  classify::Scratch* scratchFor(unsigned worker, const Snapshot& snapshot) {
    Detection& state = gateway_.detection_[worker];
    if (state.owner != snapshot.classifier.get()) {
      state.scratch = snapshot.classifier->makeScratch();
      state.owner = state.scratch ? snapshot.classifier.get() : nullptr;
    }
    return state.scratch.get();
  }

  guard::DenyLists::Scratch* denyScratchFor(unsigned worker, const Snapshot& snapshot) {
    Detection& state = gateway_.detection_[worker];
    if (state.deny_owner != snapshot.deny_lists.get()) {
      state.deny_scratch = snapshot.deny_lists->makeScratch();
      state.deny_owner = state.deny_scratch ? snapshot.deny_lists.get() : nullptr;
    }
    return state.deny_scratch.get();
  }

  Result<std::vector<classify::Finding>> scanText(unsigned worker, const Snapshot& snapshot,
                                                  std::string_view text) {
    classify::Scratch* scratch = scratchFor(worker, snapshot);
    if (scratch == nullptr) {
      return makeError(Errc::Internal, "detection is unavailable");
    }
    std::vector<classify::Finding> found;
    if (auto scanned = snapshot.classifier->scan(text, *scratch, found); !scanned) {
      return scanned.error();
    }
    return found;
  }

  /// The entity values the request carries (an answer may repeat them: output_entities).
  Result<std::vector<std::string>> requestValues(unsigned worker, const Snapshot& snapshot,
                                                 const protocol::ChatRequest& chat) {
    std::vector<std::string> values;
    Result<void> outcome;
    forEachText(chat, [&](const std::string& text, auto&& /*place*/) {
      if (!outcome) {
        return;
      }
      auto found = scanText(worker, snapshot, text);
      if (!found) {
        outcome = found.error();
        return;
      }
      for (const auto& finding : *found) {
        values.emplace_back(text.substr(finding.start, finding.end - finding.start));
      }
    });
    if (!outcome) {
      return outcome.error();
    }
    return values;
  }

  /// Detection for one request, the same for serving and explaining (inspect.h).
  Result<void> assess(unsigned worker, const Snapshot& snapshot, const protocol::ChatRequest& chat,
                      policy::RequestFacts& facts, std::vector<LocatedFinding>* located,
                      std::vector<TextFinding>* pseudonymizable) {
    if (gateway_.options_.measure_without_detection) {
      return {};
    }
    classify::Scratch* scratch = scratchFor(worker, snapshot);
    if (scratch == nullptr) {
      return makeError(Errc::Internal, "detection is unavailable; the request was refused");
    }
    return assessRequest(*snapshot.config, *snapshot.classifier, *scratch, chat,
                         gateway_.detection_[worker].findings, facts, located, pseudonymizable);
  }

  static Result<protocol::ChatRequest> decode(const FrontDoor& door, std::string_view body) {
    if (door.operation == protocol::Operation::Embeddings) {
      return protocol::decodeOpenAiEmbeddingsRequest(body);
    }
    return door.wire == protocol::Wire::Anthropic ? protocol::decodeAnthropicMessagesRequest(body)
                                                  : protocol::decodeOpenAiChatRequest(body);
  }

  /// The request for one target, in its backend's protocol (checkTranslatable() has passed).
  static upstream::RequestSpec upstreamRequest(const protocol::ChatRequest& chat,
                                               const config::Backend& backend,
                                               std::string_view upstream_model) {
    upstream::RequestSpec spec;
    spec.expect_stream = chat.stream;
    if (wireOf(backend) == protocol::Wire::Anthropic) {
      spec.path = "/v1/messages"; // an anthropic url is the host (PRODUCT.md §2)
      spec.body = protocol::encodeAnthropicMessagesRequest(chat, upstream_model,
                                                           kDefaultAnthropicMaxTokens);
      spec.headers.emplace_back("anthropic-version", protocol::kAnthropicVersion);
      if (backend.api_key) {
        spec.headers.emplace_back("x-api-key", *backend.api_key);
      }
      return spec;
    }
    if (chat.operation == protocol::Operation::Embeddings) {
      spec.path = "/embeddings";
      spec.body = protocol::encodeOpenAiEmbeddingsRequest(chat, upstream_model);
    } else {
      spec.path = "/chat/completions";
      spec.body = protocol::encodeOpenAiChatRequest(chat, upstream_model);
    }
    if (backend.api_key) {
      spec.headers.emplace_back("authorization", "Bearer " + *backend.api_key);
    }
    return spec;
  }

  /// The client's request `bare` with a target's own wording of the template, pseudonymized when
  /// the target may only see it so (found afresh: the wording is different text).
  Result<PseudonymizedRequest> rewordFor(unsigned worker, const Snapshot& snapshot,
                                         const config::PromptTemplate& tmpl,
                                         const config::PromptWording& wording,
                                         const prompt::Variables& variables,
                                         const protocol::ChatRequest& bare, bool pseudonymized) {
    PseudonymizedRequest own;
    own.chat = bare;
    if (auto applied = prompt::apply(tmpl, wording, variables, own.chat); !applied) {
      return applied.error();
    }
    if (!pseudonymized) {
      return own;
    }
    policy::RequestFacts ignored;
    std::vector<TextFinding> pseudonymizable;
    if (auto assessed = assess(worker, snapshot, own.chat, ignored, nullptr, &pseudonymizable);
        !assessed) {
      return assessed.error();
    }
    return pseudonymizeRequest(own.chat, pseudonymizable);
  }

  /// The audit record of a request that just arrived.
  static audit::Record startTrail(const RouteHeaders& route, std::string_view endpoint) {
    audit::Record trail;
    trail.request_id = route.request_id;
    trail.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    trail.endpoint = endpoint;
    return trail;
  }

  /// What detection and policy made of the request, in the record: levels and counts per entity
  /// type, never values.
  static void recordFacts(audit::Record& trail, const config::Config& config,
                          const policy::RequestFacts& facts, const policy::Decision& decision) {
    trail.declared_level = facts.declared ? config.levels[*facts.declared] : std::string{};
    trail.detected_level =
        facts.entity_counts.empty() ? std::string{} : config.levels[facts.detected];
    trail.level = config.levels[decision.level];
    for (const auto& [type, count] : facts.entity_counts) {
      trail.entities.emplace(type, count);
    }
  }

  /// The 429 of a request over a limit, in the front door's error form, with `retry-after`;
  /// the record names the limit (config names and numbers only).
  static Response rateLimited(const limits::Refusal& refusal, audit::Record& trail,
                              const RouteHeaders& route, unsigned version, bool keep_alive,
                              protocol::Wire wire) {
    trail.outcome = "rate_limited";
    trail.reason = fmt::format("rate limit: {}", refusal.limit);
    Response response = errorResponse(
        Errc::RateLimited,
        fmt::format("rate limit: {}; retry after {} s", refusal.limit, refusal.retry_after.count()),
        route, version, keep_alive, wire);
    response.set(bhttp::field::retry_after, std::to_string(refusal.retry_after.count()));
    return response;
  }

  static std::string outcomeOf(Errc code) {
    switch (code) {
    case Errc::PolicyViolation:
      return "refused";
    case Errc::RateLimited:
      return "rate_limited";
    case Errc::UpstreamFailed:
    case Errc::UpstreamTimeout:
    case Errc::Internal:
      return "failed";
    case Errc::Unavailable:
      return "unavailable";
    default:
      return "rejected";
    }
  }

  /// Hands the record to the audit writer. In sync mode waits until it is durable and returns
  /// false when it could not be written (the caller then answers 503 instead); in async mode
  /// returns at once.
  asio::awaitable<bool> commit(audit::Record record, const config::Config& config) {
    gateway_.rate_limits_->settle(record); // the tokens it used, now that they are known
    gateway_.metrics_->observe(record, config);
    if (gateway_.access_log_ && gateway_.access_log_->should_log(spdlog::level::info)) {
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      gateway_.access_log_->info(GatewayMetrics::accessLine(record, config, now_ms));
    }
    if (!gateway_.audit_) {
      co_return true;
    }
    if (!gateway_.audit_sync_) {
      co_return gateway_.audit_->submit(std::move(record), nullptr);
    }
    const Result<void> written =
        co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Result<void>)>(
            // NOLINTNEXTLINE(performance-unnecessary-value-param): moved into the writer's queue.
            [this](auto handler, audit::Record pending) {
              // The writer thread completes the wait on this request's own executor.
              auto shared = std::make_shared<decltype(handler)>(std::move(handler));
              const auto resume = [shared](const Result<void>& result) {
                auto executor = asio::get_associated_executor(*shared);
                asio::post(executor, [shared, result]() mutable { std::move (*shared)(result); });
              };
              if (!gateway_.audit_->submit(std::move(pending), resume)) {
                resume(makeError(Errc::Unavailable, "the audit queue is full and the sink fails"));
              }
            },
            asio::use_awaitable, std::move(record));
    if (!written) {
      spdlog::error("audit: {}", written.error().detail);
    }
    co_return written.has_value();
  }

  static Response auditUnavailable(const RouteHeaders& route, unsigned version, bool keep_alive) {
    return errorResponse(Errc::Unavailable,
                         "the audit log cannot be written; the answer is withheld "
                         "(audit.durability: sync)",
                         route, version, keep_alive);
  }

  static std::string attemptMessage(const Error& error) {
    // Details look like "backend NAME: what"; the backend is reported separately.
    const auto colon = error.detail.find(": ");
    return colon == std::string::npos ? error.detail : error.detail.substr(colon + 2);
  }

  struct WholeAnswer {
    Response response;
    protocol::Usage usage;
    std::optional<Error> refused; ///< An answer guardrail withheld the answer.
  };

  /// Non-streamed answer: read whole, check it is an answer of the backend's protocol, and make
  /// the response for the client in its own protocol (with the original values put back when the
  /// target saw `placeholders`). Nothing when the answer is unusable.
  static asio::awaitable<std::optional<WholeAnswer>>
  relayWhole(upstream::Response& reply, const RouteHeaders& route, unsigned version,
             bool keep_alive, const pseudonymize::PlaceholderMap* placeholders,
             protocol::Operation operation, protocol::Wire backend, protocol::Wire front,
             const AnswerWatch* watch, const guard::StreamScreen::Scan& scan,
             FiredGuardrails& fired) {
    auto body = co_await reply.readAll(kMaxUpstreamBodyBytes);
    if (!body) {
      co_return std::nullopt;
    }
    protocol::Usage usage;
    if (operation == protocol::Operation::Embeddings) {
      // Vectors hold no placeholders: the answer is relayed as it came.
      auto checked = protocol::checkOpenAiEmbeddingsResponse(*body);
      if (!checked) {
        co_return std::nullopt;
      }
      usage = *checked;
    } else {
      auto decoded = backend == protocol::Wire::Anthropic
                         ? protocol::decodeAnthropicMessagesResponse(*body)
                         : protocol::decodeOpenAiChatResponse(*body);
      if (!decoded) {
        co_return std::nullopt;
      }
      usage = decoded->usage.value_or(protocol::Usage{});
      if (placeholders != nullptr) {
        restoreAnswer(*decoded, *placeholders);
      }
      if (watch != nullptr) {
        if (auto checked = checkAnswer(*watch, scan, *decoded, fired); !checked) {
          WholeAnswer refused{Response{}, usage, checked.error()};
          co_return refused;
        }
      }
      if (placeholders != nullptr || backend != front || watch != nullptr) {
        *body = front == protocol::Wire::Anthropic
                    ? protocol::encodeAnthropicMessagesResponse(*decoded)
                    : protocol::encodeOpenAiChatResponse(*decoded);
      }
    }
    WholeAnswer whole{http::jsonResponse(200, std::move(*body), version, keep_alive), usage};
    route.applyTo(whole.response);
    co_return whole;
  }

  /// Streamed answer: nothing is sent until the first complete event has arrived, so a backend
  /// that fails before producing anything can still be replaced by the next eligible one. After
  /// that, events are forwarded as they arrive (translated and restored by `transcoder`); a
  /// failure mid-stream ends the stream with an error event in the client's protocol (the client
  /// must not mistake a cut-off answer for a complete one). `commit(outcome, usage)` writes the
  /// audit record once the stream's end is known; the client's end of stream ("[DONE]",
  /// message_stop) waits for it and becomes an error event when it fails (sync mode).
  template <typename Commit, typename OnHead>
  static asio::awaitable<bool> relayStream(upstream::Response& reply, ResponseWriter& writer,
                                           const RouteHeaders& route, StreamTranscoder& transcoder,
                                           const Commit& commit, const OnHead& on_head) {
    protocol::SseParser parser;
    std::vector<protocol::SseEvent> events; // from the backend
    std::vector<protocol::SseEvent> out;    // to the client
    bool committed = false;
    const auto commit_once = [&](std::string_view outcome) -> asio::awaitable<bool> {
      if (committed) {
        co_return true;
      }
      committed = true;
      co_return co_await commit(outcome, transcoder.usage());
    };
    std::string bytes;
    bool ended_for_client = false;
    // Events read but not yet converted. Converting costs a decode and an encode per event, and
    // one upstream read may hold a whole answer: converted events go out a few at a time, the
    // first ones (the role chunk and the first content) at once, so the time to first token
    // does not grow with the answer's length.
    std::deque<protocol::SseEvent> later;
    const auto take_later = [&](std::size_t count) {
      while (!later.empty() && events.size() < count) {
        events.push_back(std::move(later.front()));
        later.pop_front();
      }
    };
    for (;;) {
      Result<void> parsed;
      bool ended = false;
      if (!later.empty()) {
        take_later(kRestoredEventsPerWrite);
      } else {
        auto piece = co_await reply.read();
        parsed = piece ? parser.feed(*piece, events) : Result<void>(piece.error());
        ended = piece && piece->empty();
        const std::size_t keep = writer.started() ? kRestoredEventsPerWrite : 2;
        if (parsed && transcoder.transcodes() && events.size() > keep) {
          later.insert(later.end(),
                       std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(keep)),
                       std::make_move_iterator(events.end()));
          events.resize(keep);
        }
      }
      if (ended_for_client) {
        // The client has its whole answer; what follows is read only to finish the exchange.
        events.clear();
        later.clear();
        if (!parsed || ended) {
          co_await writer.finish();
          co_return true;
        }
        continue;
      }
      if (parsed) {
        parsed = transcoder.convert(events, out);
      }
      events.clear();
      if (!writer.started()) {
        if (!parsed || (ended && !transcoder.complete())) {
          co_return false;
        }
        if (out.empty() && !transcoder.complete()) {
          continue;
        }
        http::ResponseHeader head;
        head.result(bhttp::status::ok);
        head.set(bhttp::field::content_type, "text/event-stream");
        head.set(bhttp::field::cache_control, "no-cache");
        route.applyTo(head);
        if (!co_await writer.writeHead(std::move(head))) {
          co_await commit_once("aborted");
          co_return true;
        }
        on_head();
      }
      const bool broken = !parsed || (ended && !transcoder.complete());
      if (broken) {
        const Error error =
            parsed ? makeError(Errc::UpstreamFailed,
                               fmt::format("backend {} ended the stream early", route.backend))
                   : parsed.error();
        transcoder.fail(error, out);
        co_await commit_once(error.code == Errc::PolicyViolation ? "refused" : "aborted");
      } else if (transcoder.complete() && later.empty()) {
        std::vector<protocol::SseEvent> ending;
        if (auto finished = transcoder.finish(ending); !finished) {
          // An answer guardrail withheld the answer at its end (json_output).
          transcoder.fail(finished.error(), out);
          co_await commit_once("failed");
        } else if (co_await commit_once("answered")) {
          out.insert(out.end(), std::make_move_iterator(ending.begin()),
                     std::make_move_iterator(ending.end()));
        } else {
          transcoder.fail(makeError(Errc::Unavailable, "the audit log cannot be written; the "
                                                       "answer is incomplete (audit.durability: "
                                                       "sync)"),
                          out);
        }
        ended_for_client = true;
      }
      bytes.clear();
      for (const auto& event : out) {
        bytes += protocol::encodeSseEvent(event);
      }
      out.clear();
      if (!co_await writer.writeChunk(bytes)) {
        co_await commit_once("aborted"); // the client went away
        co_return true;
      }
      if (broken || (ended_for_client && ended)) {
        co_await writer.finish();
        co_return true;
      }
    }
  }

  Gateway& gateway_;
};

std::vector<std::string> servingProblems(const config::Config& config) {
  std::vector<std::string> problems = config.missing_secrets;
  // The loader checks only the scheme; the store's own parser knows the rest.
  if (config.limits.shared()) {
    if (auto address = limits::parseRedisUrl(config.limits.store); !address) {
      problems.push_back(address.error().detail);
    }
  }
  return problems;
}

namespace {

void requireServable(const config::Config& config) {
  const auto problems = servingProblems(config);
  if (!problems.empty()) {
    throw std::invalid_argument(boost::algorithm::join(problems, "; "));
  }
}

} // namespace

Snapshot::Snapshot(config::ConfigConstSharedPtr config_in,
                   std::vector<std::shared_ptr<resilience::BackendState>> backend_states_in)
    : config(std::move(config_in)), backend_states(std::move(backend_states_in)), keys(*config) {
  if (backend_states.size() != config->backends.size()) {
    backend_states = resilience::BackendRegistry().statesFor(*config);
  }
  auto built = classify::Classifier::build(config->custom_entities);
  if (!built) {
    throw std::invalid_argument(built.error().detail);
  }
  classifier = std::move(*built);
  auto lists = guard::DenyLists::build(*config);
  if (!lists) {
    throw std::invalid_argument(lists.error().detail);
  }
  deny_lists = std::move(*lists);
  const bool scores_injection = std::any_of(
      config->guardrails.begin(), config->guardrails.end(),
      [](const config::Guardrail& g) { return g.kind == config::GuardKind::PromptInjection; });
  if (scores_injection) {
    (void)guard::assessInjection({}); // compiles its rules now, not on the first request
  }
  const auto scratch = classifier->makeScratch();
  if (!scratch) {
    throw std::invalid_argument("detection: cannot allocate a scan scratch");
  }
  std::vector<classify::Finding> findings;
  for (const config::PromptTemplate& tmpl : config->prompts) {
    std::vector<std::string>& types = prompt_entities.emplace_back();
    for (const auto& [target, wording] : tmpl.per_target) {
      std::vector<std::string_view> texts{wording.system};
      for (const config::PromptMessage& message : wording.messages) {
        texts.push_back(message.content);
      }
      for (const std::string_view text : texts) {
        findings.clear();
        if (auto scanned = classifier->scan(text, *scratch, findings); !scanned) {
          throw std::invalid_argument(
              fmt::format("prompt {}: {}", tmpl.id(), scanned.error().detail));
        }
        for (const classify::Finding& finding : findings) {
          types.emplace_back(finding.type);
        }
      }
    }
  }
}

Gateway::Gateway(config::ConfigConstSharedPtr config, Options start_options)
    : metrics_(std::make_unique<GatewayMetrics>()), access_log_(spdlog::get("access")),
      options_(start_options) {
  if (options_.measure_without_detection) {
    spdlog::warn("detection: OFF (--measure-without-detection) - no text is scanned and requests "
                 "keep their declared level; use it only to measure what detection costs");
  }
  requireServable(*config);
  const config::ServerSettings settings = config->server;
  if (config->audit.enabled()) {
    // Fail closed: a gateway that cannot keep its audit does not start.
    auto sink = audit::openSink(config->audit.sink);
    if (!sink) {
      throw std::invalid_argument(fmt::format("audit.sink: {}", sink.error().detail));
    }
    audit_sync_ = config->audit.durability == config::AuditDurability::Sync;
    audit::Log::Options options;
    options.on_batch_written = [metrics = metrics_.get()](std::chrono::nanoseconds took,
                                                          std::size_t /*records*/) {
      metrics->auditBatchWritten(took);
    };
    audit_ = std::make_unique<audit::Log>(std::move(*sink), randomHex(8), std::move(options));
    metrics_->gauge("cordon_audit_queue_depth", "Audit records waiting to be written.",
                    [this] { return static_cast<double>(audit_->stats().queue_depth); });
    metrics_->gauge("cordon_audit_records_written", "Audit records made durable since start.",
                    [this] { return static_cast<double>(audit_->stats().written); });
    metrics_->gauge("cordon_audit_submits_waited",
                    "Requests that waited for room in the audit queue (async mode).",
                    [this] { return static_cast<double>(audit_->stats().waited); });
    metrics_->gauge("cordon_audit_healthy", "1 while the audit sink can be written, else 0.",
                    [this] { return audit_->healthy() ? 1.0 : 0.0; });
  } else {
    spdlog::warn("audit: OFF (audit.sink: none) - no request is recorded; use it only to measure "
                 "what the audit costs");
  }
  rate_limits_ = std::make_unique<RateLimitGate>(config->limits, *metrics_);
  auto states = backend_registry_.statesFor(*config);
  snapshot_.store(std::make_shared<const Snapshot>(std::move(config), std::move(states)));
  metrics_->gauges("cordon_circuit_state",
                   "Circuit breaker of each backend: 0 closed, 1 half-open, 2 open.", {"backend"},
                   [this] { return circuitSamples(false); });
  metrics_->gauges("cordon_upstream_outstanding",
                   "Requests open to each backend now, over all workers.", {"backend"},
                   [this] { return circuitSamples(true); });
  handler_ = std::make_unique<Handler>(*this);

  http::ServerOptions options;
  options.host = settings.listen_host;
  options.port = settings.listen_port;
  options.workers = settings.workers;
  options.max_body_bytes = settings.max_body_bytes;
  options.header_timeout = settings.header_timeout;
  options.body_timeout = settings.body_timeout;
  options.keep_alive_timeout = settings.keep_alive_timeout;
  options.max_header_bytes = settings.max_header_bytes;
  options.max_keep_alive_requests = settings.max_keep_alive_requests;
  options.tls.cert_file = settings.tls.cert_file;
  options.tls.key_file = settings.tls.key_file;
  options.tls.client_ca = settings.tls.client_ca;
  options.tls.client_cert_required = settings.tls.client_cert_required;
  server_ = std::make_unique<http::Server>(
      options,
      [this](unsigned worker, Request& request, ResponseWriter& writer) {
        return handler_->handle(worker, request, writer);
      },
      [](Errc code, std::string_view detail) {
        RouteHeaders route;
        route.request_id = newRequestId();
        return errorResponse(code, detail, route, 11, false);
      });
  detection_.resize(server_->workers());
  for (unsigned i = 0; i < server_->workers(); ++i) {
    clients_.push_back(std::make_unique<upstream::Client>(server_->workerContext(i).get_executor(),
                                                          server_->workerDeadlines(i)));
  }
}

Gateway::~Gateway() {
  stopping_.store(true, std::memory_order_release);
  // Workers first (they use the clients and submit audit records), then the admin thread, the
  // rate-limit thread and the audit writer (they post completions to the workers' io_contexts,
  // which must still exist), then the clients
  // (their sockets belong to those io_contexts, which the server owns and destroys last).
  server_->shutdown(std::chrono::milliseconds{0});
  admin_pool_.join();
  rate_limits_->stop();
  audit_.reset();
  clients_.clear();
}

void Gateway::start() {
  server_->start();
  // Health checks run on the first worker, with its client; they stop with the workers.
  asio::co_spawn(server_->workerContext(0),
                 runHealthChecks([this] { return snapshot(); }, *clients_[0], stopping_),
                 asio::detached);
}

std::uint16_t Gateway::port() const noexcept {
  return server_->port();
}

void Gateway::reload(config::ConfigConstSharedPtr config) {
  requireServable(*config);
  auto states = backend_registry_.statesFor(*config);
  auto snapshot = std::make_shared<const Snapshot>(std::move(config), std::move(states));
  rate_limits_->reconfigure(snapshot->config->limits); // last to throw: nothing changed before
  snapshot_.store(std::move(snapshot), std::memory_order_release);
}

metrics::Registry::GaugeSamples Gateway::circuitSamples(bool outstanding) const {
  const auto current = snapshot();
  metrics::Registry::GaugeSamples samples;
  const auto now = resilience::Clock::now();
  for (std::size_t i = 0; i < current->config->backends.size(); ++i) {
    const resilience::BackendState& state = *current->backend_states[i];
    double value = 0;
    if (outstanding) {
      value = state.outstanding.load(std::memory_order_relaxed);
    } else {
      const resilience::CircuitState circuit = state.breaker.state(now);
      value = circuit == resilience::CircuitState::Open       ? 2
              : circuit == resilience::CircuitState::HalfOpen ? 1
                                                              : 0;
    }
    samples.emplace_back(metrics::LabelValues{current->config->backends[i].name}, value);
  }
  return samples;
}

void Gateway::shutdown(std::chrono::milliseconds grace) {
  stopping_.store(true, std::memory_order_release);
  server_->shutdown(grace);
  if (audit_ && !audit_->flush(grace)) {
    spdlog::error("audit: records still unwritten at shutdown (the sink is failing)");
  }
}

void Gateway::join() {
  server_->join();
}

} // namespace cordon::gateway
