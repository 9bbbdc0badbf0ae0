#include "gateway/gateway.h"

#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/algorithm/string/join.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cordon/policy/decision.h"
#include "cordon/protocol/openai.h"
#include "cordon/protocol/sse.h"
#include "gateway/answer_restore.h"
#include "gateway/inspect.h"
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
/// Upper bound on an upstream error body we read (and discard) before falling back.
constexpr std::size_t kMaxUpstreamErrorBytes = std::size_t{64} * 1024;

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
                       unsigned version, bool keep_alive) {
  Response response = http::jsonResponse(
      httpStatus(code), protocol::encodeOpenAiError(code, message), version, keep_alive);
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
};

Error allTargetsFailed(const std::vector<AttemptFailure>& failures) {
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
      if (!authenticate(*snapshot, request)) {
        co_return co_await fail(Errc::Unauthorized, unauthorizedMessage(request));
      }
      co_await writer.write(modelsResponse(*snapshot, route, version, keep_alive));
      co_return;
    }
    if (path == "/v1/chat/completions") {
      if (request.method() != bhttp::verb::post) {
        co_return co_await fail(Errc::MethodNotAllowed, "use POST");
      }
      co_await chatCompletions(worker, *snapshot, request, writer, route, false);
      co_return;
    }
    if (path == "/v1/cordon/explain") {
      if (request.method() != bhttp::verb::post) {
        co_return co_await fail(Errc::MethodNotAllowed, "use POST");
      }
      co_await chatCompletions(worker, *snapshot, request, writer, route, true);
      co_return;
    }
    co_await fail(Errc::NotFound, "no such endpoint");
  }

private:
  static std::optional<auth::Principal> authenticate(const Snapshot& snapshot,
                                                     const Request& request) {
    return snapshot.keys.authenticate(auth::presentedKey(headerValue(request, "authorization"),
                                                         headerValue(request, "x-api-key")));
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

  /// POST /v1/chat/completions, or with `explain_only` POST /v1/cordon/explain: the same steps up
  /// to the decision, which explain returns as JSON instead of calling any backend.
  asio::awaitable<void> chatCompletions(unsigned worker, const Snapshot& snapshot, Request& request,
                                        ResponseWriter& writer, RouteHeaders& route,
                                        bool explain_only) {
    const config::Config& config = *snapshot.config;
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    auto fail = [&](const Error& error) -> asio::awaitable<void> {
      co_await writer.write(errorResponse(error.code, error.detail, route, version, keep_alive));
    };

    const auto principal = authenticate(snapshot, request);
    if (!principal) {
      co_return co_await fail(
          makeError(Errc::Unauthorized, std::string(unauthorizedMessage(request))));
    }

    policy::RequestFacts facts;
    if (const auto declared = headerValue(request, "x-cordon-level"); !declared.empty()) {
      facts.declared = config.findLevel(declared);
      if (!facts.declared) {
        co_return co_await fail(
            makeError(Errc::BadRequest, fmt::format("x-cordon-level must be one of: {}",
                                                    boost::algorithm::join(config.levels, ", "))));
      }
    }

    auto decoded = protocol::decodeOpenAiChatRequest(request.body());
    if (!decoded) {
      co_return co_await fail(decoded.error());
    }
    protocol::ChatRequest& chat = *decoded;
    const config::Model* model = config.findModel(chat.model);
    if (model == nullptr) {
      co_return co_await fail(makeError(
          Errc::NotFound, "the requested model is not configured (GET /v1/models lists them)"));
    }

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

    const policy::Decision decision =
        policy::decide(config, *principal->tenant, principal->key, *model, facts);
    route.level = config.levels[decision.level];
    if (explain_only) {
      Response response = http::jsonResponse(
          200, explanationJson(config, *model, Explanation{std::move(located), facts, decision}),
          version, keep_alive);
      route.applyTo(response);
      co_await writer.write(std::move(response));
      co_return;
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
    for (const std::size_t index : decision.eligible) {
      const policy::TargetVerdict& verdict = decision.verdicts[index];
      const config::Target& target = model->targets[verdict.target];
      const config::Backend& backend = config.backends[target.backend];
      const config::Boundary& boundary = config.boundaryOf(backend);
      const bool pseudonymized = verdict.delivery == policy::Delivery::Pseudonymized;
      if (pseudonymized && !masked) {
        masked = pseudonymizeRequest(chat, pseudonymizable);
      }
      const pseudonymize::PlaceholderMap* placeholders =
          pseudonymized && !masked->placeholders.empty() ? &masked->placeholders : nullptr;

      upstream::RequestSpec spec;
      spec.path = "/chat/completions";
      spec.body =
          protocol::encodeOpenAiChatRequest(pseudonymized ? masked->chat : chat, target.model);
      spec.expect_stream = chat.stream;
      if (backend.api_key) {
        spec.headers.emplace_back("authorization", "Bearer " + *backend.api_key);
      }

      auto sent = co_await client.send(backend, std::move(spec));
      if (!sent) {
        failures.push_back({backend.name, attemptMessage(sent.error()),
                            sent.error().code == Errc::UpstreamTimeout});
        continue;
      }
      upstream::Response& answer = **sent;
      const unsigned status = answer.status();
      if (isRetryableStatus(status)) {
        (void)co_await answer.readAll(kMaxUpstreamErrorBytes);
        failures.push_back({backend.name, fmt::format("status {}", status), false});
        continue;
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
        auto body = co_await answer.readAll(kMaxUpstreamErrorBytes);
        if (!body) {
          co_return co_await fail(body.error());
        }
        Response response = http::jsonResponse(status, std::move(*body), version, keep_alive);
        route.applyTo(response);
        co_await writer.write(std::move(response));
        co_return;
      }

      const bool delivered = chat.stream ? co_await relayStream(answer, writer, route, placeholders)
                                         : co_await relayWhole(answer, writer, route, version,
                                                               keep_alive, placeholders);
      if (delivered || writer.started()) {
        co_return;
      }
      // The answer broke before anything reached the client: the next eligible target may try.
      failures.push_back({backend.name, "answer was malformed or cut off", false});
      route.boundary.clear();
      route.backend.clear();
      route.region.clear();
      route.pseudonymized = 0;
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

  /// Detection for one request, the same for serving and explaining (inspect.h).
  Result<void> assess(unsigned worker, const Snapshot& snapshot, const protocol::ChatRequest& chat,
                      policy::RequestFacts& facts, std::vector<LocatedFinding>* located,
                      std::vector<TextFinding>* pseudonymizable) {
    classify::Scratch* scratch = scratchFor(worker, snapshot);
    if (scratch == nullptr) {
      return makeError(Errc::Internal, "detection is unavailable; the request was refused");
    }
    return assessRequest(*snapshot.config, *snapshot.classifier, *scratch, chat,
                         gateway_.detection_[worker].findings, facts, located, pseudonymizable);
  }

  static std::string attemptMessage(const Error& error) {
    // Details look like "backend NAME: what"; the backend is reported separately.
    const auto colon = error.detail.find(": ");
    return colon == std::string::npos ? error.detail : error.detail.substr(colon + 2);
  }

  /// Non-streamed answer: read whole, check it is a chat completion, pass it on (with the
  /// original values put back when the target saw `placeholders`).
  /// Returns false (having written nothing) when the answer is unusable.
  static asio::awaitable<bool> relayWhole(upstream::Response& answer, ResponseWriter& writer,
                                          const RouteHeaders& route, unsigned version,
                                          bool keep_alive,
                                          const pseudonymize::PlaceholderMap* placeholders) {
    auto body = co_await answer.readAll(kMaxUpstreamBodyBytes);
    if (!body) {
      co_return false;
    }
    auto decoded = protocol::decodeOpenAiChatResponse(*body);
    if (!decoded) {
      co_return false;
    }
    if (placeholders != nullptr) {
      restoreAnswer(*decoded, *placeholders);
      *body = protocol::encodeOpenAiChatResponse(*decoded);
    }
    Response response = http::jsonResponse(200, std::move(*body), version, keep_alive);
    route.applyTo(response);
    co_await writer.write(std::move(response));
    co_return true;
  }

  /// Streamed answer: nothing is sent until the first complete event has arrived, so a backend
  /// that fails before producing anything can still be replaced by the next eligible one. After
  /// that, events are forwarded as they arrive; a failure mid-stream ends the stream with an error
  /// event (the client must not mistake a cut-off answer for a complete one).
  static asio::awaitable<bool> relayStream(upstream::Response& answer, ResponseWriter& writer,
                                           const RouteHeaders& route,
                                           const pseudonymize::PlaceholderMap* placeholders) {
    protocol::SseParser parser;
    std::vector<protocol::SseEvent> events;
    std::optional<ChunkRestorer> restorer;
    if (placeholders != nullptr) {
      restorer.emplace(*placeholders);
    }
    std::string out;
    bool done = false;
    for (;;) {
      auto piece = co_await answer.read();
      Result<void> parsed = piece ? parser.feed(*piece, events) : Result<void>(piece.error());
      if (parsed && restorer) {
        parsed = restoreEvents(*restorer, events, route);
      }
      const bool ended = piece && piece->empty();
      if (!writer.started()) {
        if (!parsed || (ended && events.empty())) {
          co_return false;
        }
        if (events.empty()) {
          continue;
        }
        http::ResponseHeader head;
        head.result(bhttp::status::ok);
        head.set(bhttp::field::content_type, "text/event-stream");
        head.set(bhttp::field::cache_control, "no-cache");
        route.applyTo(head);
        if (!co_await writer.writeHead(std::move(head))) {
          co_return true;
        }
      }
      out.clear();
      for (const auto& event : events) {
        done = done || event.data == "[DONE]";
        out += protocol::encodeSseEvent(event);
      }
      events.clear();
      if (!parsed || (ended && !done)) {
        const Error error =
            parsed ? makeError(Errc::UpstreamFailed,
                               fmt::format("backend {} ended the stream early", route.backend))
                   : parsed.error();
        // What the restorer still holds is the answer's text too: the client gets it before the
        // error, never a placeholder cut in half.
        if (restorer) {
          if (auto held = restorer->flush()) {
            out += protocol::encodeSseEvent(
                protocol::SseEvent{{}, protocol::encodeOpenAiChatChunk(*held)});
          }
        }
        out += "data: ";
        out += protocol::encodeOpenAiError(error.code, error.detail);
        out += "\n\n";
        if (co_await writer.writeChunk(out)) {
          co_await writer.finish();
        }
        co_return true;
      }
      if (!co_await writer.writeChunk(out)) {
        co_return true; // the client went away
      }
      if (ended) {
        co_await writer.finish();
        co_return true;
      }
    }
  }

  /// Puts the original values back into the chunks of `events`; before "[DONE]", releases what
  /// is still held. A chunk that cannot be decoded cannot be restored: the stream ends there.
  static Result<void> restoreEvents(ChunkRestorer& restorer,
                                    std::vector<protocol::SseEvent>& events,
                                    const RouteHeaders& route) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      protocol::SseEvent& event = events[i];
      if (event.data == "[DONE]") {
        if (auto held = restorer.flush()) {
          events.insert(events.begin() + static_cast<std::ptrdiff_t>(i),
                        protocol::SseEvent{{}, protocol::encodeOpenAiChatChunk(*held)});
          ++i;
        }
        continue;
      }
      auto chunk = protocol::decodeOpenAiChatChunk(event.data);
      if (!chunk) {
        events.resize(i);
        return makeError(Errc::UpstreamFailed,
                         fmt::format("backend {} sent a malformed stream event", route.backend));
      }
      restorer.restore(*chunk);
      event.data = protocol::encodeOpenAiChatChunk(*chunk);
    }
    return {};
  }

  Gateway& gateway_;
};

std::vector<std::string> servingProblems(const config::Config& config) {
  std::vector<std::string> problems = config.missing_secrets;
  for (const auto& backend : config.backends) {
    if (backend.protocol != config::Protocol::OpenAi) {
      problems.push_back(
          fmt::format("backend {}: protocol anthropic is not supported by this build yet (use an "
                      "OpenAI-compatible endpoint)",
                      backend.name));
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

Snapshot::Snapshot(config::ConfigConstSharedPtr config_in)
    : config(std::move(config_in)), keys(*config) {
  auto built = classify::Classifier::build(config->custom_entities);
  if (!built) {
    throw std::invalid_argument(built.error().detail);
  }
  classifier = std::move(*built);
}

Gateway::Gateway(config::ConfigConstSharedPtr config) {
  requireServable(*config);
  const config::ServerSettings settings = config->server;
  snapshot_.store(std::make_shared<const Snapshot>(std::move(config)));
  handler_ = std::make_unique<Handler>(*this);

  http::ServerOptions options;
  options.host = settings.listen_host;
  options.port = settings.listen_port;
  options.workers = settings.workers;
  options.max_body_bytes = settings.max_body_bytes;
  options.header_timeout = settings.header_timeout;
  options.body_timeout = settings.body_timeout;
  options.keep_alive_timeout = settings.keep_alive_timeout;
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
  // Workers first (they use the clients), then the clients (their sockets belong to the
  // workers' io_contexts, which the server owns and destroys last).
  server_->shutdown(std::chrono::milliseconds{0});
  clients_.clear();
}

void Gateway::start() {
  server_->start();
}

std::uint16_t Gateway::port() const noexcept {
  return server_->port();
}

void Gateway::reload(config::ConfigConstSharedPtr config) {
  requireServable(*config);
  snapshot_.store(std::make_shared<const Snapshot>(std::move(config)), std::memory_order_release);
}

void Gateway::shutdown(std::chrono::milliseconds grace) {
  server_->shutdown(grace);
}

void Gateway::join() {
  server_->join();
}

} // namespace cordon::gateway
