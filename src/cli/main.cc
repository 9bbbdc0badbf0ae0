// cordon's command line (PRODUCT.md §4). Start-up and config errors are exceptions; they are all
// caught here and turned into a message and a non-zero exit code.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/audit_commands.h"
#include "cli/commands.h"
#include "cli/logging.h"
#include "cli/scan.h"
#include "cordon/config/config.h"
#include "demo/demo.h"
#include "gateway/gateway.h"
#include "simulate/simulator.h"

namespace {

using namespace std::chrono_literals;

constexpr auto kDrainGrace = 30s;

/// Blocks the signals cordon handles in every thread (call before starting any), so that only
/// waitForSignal() receives them, synchronously, outside any handler context.
sigset_t blockHandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int waitForSignal(const sigset_t& set) {
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

void announce(const std::string& host, std::uint16_t port) {
  // Tests and scripts read this line to learn the port when listening on port 0.
  std::cout << "listening on " << host << ':' << port << std::endl;
}

/// The listener settings that differ between `before` and `after`: a reload cannot change them
/// (the sockets, workers and TLS context are made once at start).
std::vector<std::string_view> listenerChanges(const cordon::config::ServerSettings& before,
                                              const cordon::config::ServerSettings& after) {
  std::vector<std::string_view> changed;
  if (before.listen_host != after.listen_host || before.listen_port != after.listen_port) {
    changed.emplace_back("listen");
  }
  if (before.workers != after.workers) {
    changed.emplace_back("workers");
  }
  if (before.max_body_bytes != after.max_body_bytes) {
    changed.emplace_back("max_body_bytes");
  }
  if (before.max_header_bytes != after.max_header_bytes) {
    changed.emplace_back("max_header_bytes");
  }
  if (before.max_keep_alive_requests != after.max_keep_alive_requests) {
    changed.emplace_back("max_keep_alive_requests");
  }
  if (before.header_timeout != after.header_timeout || before.body_timeout != after.body_timeout ||
      before.keep_alive_timeout != after.keep_alive_timeout) {
    changed.emplace_back("client_timeouts");
  }
  const auto& a = before.tls;
  const auto& b = after.tls;
  if (a.cert_file != b.cert_file || a.key_file != b.key_file || a.client_ca != b.client_ca ||
      a.client_cert_required != b.client_cert_required) {
    changed.emplace_back("tls");
  }
  return changed;
}

int serve(const std::string& config_path, const cordon::gateway::Gateway::Options& options) {
  const sigset_t signals = blockHandledSignals();
  auto config = cordon::config::loadConfigFile(config_path);
  const auto listen_host = config->server.listen_host;
  cordon::gateway::Gateway gateway(config, options);
  gateway.start();
  announce(listen_host, gateway.port());
  spdlog::info("cordon serving {} models for {} tenants from {}", config->models.size(),
               config->tenants.size(), config_path);
  for (;;) {
    const int signal = waitForSignal(signals);
    if (signal != SIGHUP) {
      break;
    }
    try {
      auto fresh = cordon::config::loadConfigFile(config_path);
      for (const std::string_view setting : listenerChanges(config->server, fresh->server)) {
        spdlog::warn("reload: {} changes need a restart; the listener keeps the old one", setting);
      }
      gateway.reload(fresh);
      config = std::move(fresh);
      spdlog::info("reload: new config active");
    } catch (const std::exception& error) {
      spdlog::error("reload refused, the previous config keeps serving: {}", error.what());
    }
  }
  spdlog::info("draining: no new connections, waiting up to {}s for requests in flight",
               kDrainGrace.count());
  gateway.shutdown(kDrainGrace);
  return 0;
}

int simulate(const std::string& listen, cordon::simulate::Options options) {
  const auto address = cordon::cli::parseHostPort(listen);
  if (!address) {
    throw std::invalid_argument("simulate: --listen must be HOST:PORT");
  }
  options.host = address->first;
  options.port = address->second;
  const sigset_t signals = blockHandledSignals();
  cordon::simulate::Simulator simulator(options);
  simulator.start();
  announce(options.host, simulator.port());
  while (waitForSignal(signals) == SIGHUP) {
  }
  simulator.shutdown();
  return 0;
}

std::string readAll(const std::string& path) {
  if (path.empty() || path == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error(fmt::format("cannot read {}", path));
  }
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

int run(int argc, char** argv) {
  CLI::App app{"cordon: an LLM gateway that routes every request to a trust boundary allowed "
               "to see it"};
  app.require_subcommand(1);
  cordon::cli::setUpLogging("text", "info");

  std::string config_path = "cordon.yaml";
  std::string log_format = "text";
  std::string log_level = "info";
  auto* serve_cmd = app.add_subcommand("serve", "run the gateway");
  serve_cmd->add_option("-c,--config", config_path, "config file")->required();
  serve_cmd->add_option("--log-format", log_format, "text | json (one JSON object per line)")
      ->check(CLI::IsMember({"text", "json"}));
  serve_cmd->add_option("--log-level", log_level, "trace | debug | info | warn | error | off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  cordon::gateway::Gateway::Options serve_options;
  // Hidden (empty group): a measuring aid for bench/feature_cpu.py, not an operating mode.
  serve_cmd
      ->add_flag("--measure-without-detection", serve_options.measure_without_detection,
                 "scan no text (only to measure what detection costs)")
      ->group("");

  auto* check_cmd = app.add_subcommand("check", "validate a config and show who can reach what");
  check_cmd->add_option("-c,--config", config_path, "config file")->required();

  std::string tenant;
  std::string declared_level;
  std::string request_path;
  auto* explain_cmd = app.add_subcommand(
      "explain", "show the routing decision for one request, without sending it");
  explain_cmd->add_option("-c,--config", config_path, "config file")->required();
  explain_cmd->add_option("--tenant", tenant, "tenant the request comes from")->required();
  explain_cmd->add_option("--level", declared_level, "the x-cordon-level the request declares");
  explain_cmd->add_option("request", request_path, "chat completion request JSON (default stdin)");

  std::string listen = "127.0.0.1:0";
  std::string protocol = "openai";
  std::string mode = "echo";
  std::string stream_fault;
  int token_delay_ms = 0;
  cordon::simulate::Options sim_options;
  auto* simulate_cmd = app.add_subcommand("simulate", "run a simulated model server");
  simulate_cmd->add_option("--listen", listen, "HOST:PORT (port 0 picks a free port)")->take_last();
  // The last --protocol (and --mode) wins, so a test harness can override a default it passes
  // first.
  simulate_cmd
      ->add_option("--protocol", protocol,
                   "openai (chat completions, embeddings) | anthropic (messages)")
      ->check(CLI::IsMember({"openai", "anthropic"}))
      ->take_last();
  simulate_cmd->add_option("--name", sim_options.name, "name echoed in answers");
  simulate_cmd->add_option("--mode", mode, "echo | fixed")
      ->check(CLI::IsMember({"echo", "fixed"}))
      ->take_last();
  simulate_cmd->add_option("--fixed-text", sim_options.fixed_text, "answer in fixed mode");
  simulate_cmd->add_option("--token-delay-ms", token_delay_ms, "delay between streamed words");
  simulate_cmd->add_option("--fail-status", sim_options.fail_status, "answer this HTTP status");
  simulate_cmd->add_option("--fail-every", sim_options.fail_every,
                           "with --fail-status: only every Nth request fails");
  simulate_cmd->add_flag("--hang", sim_options.hang, "read requests, never answer");
  simulate_cmd->add_flag("--reset-mid-stream", sim_options.reset_mid_stream,
                         "reset the connection part-way through each answer");
  simulate_cmd
      ->add_option("--stream-fault", stream_fault,
                   "break streamed answers: truncate (no closing events) | garbage (an event "
                   "that is not JSON) | error-event (an in-stream error) | bad-order (anthropic: "
                   "a delta before message_start; openai: as garbage)")
      ->check(CLI::IsMember({"truncate", "garbage", "error-event", "bad-order"}));
  simulate_cmd->add_option("--workers", sim_options.workers, "worker threads");
  simulate_cmd->add_option("--chunk-bytes", sim_options.chunk_bytes,
                           "stream text in pieces of N bytes instead of words");
  simulate_cmd->add_option("--record", sim_options.record_path,
                           "append every request body received to FILE (JSON lines)");

  std::string scan_format = "text";
  std::string scan_path;
  std::string scan_config;
  bool scan_show_values = false;
  auto* scan_cmd = app.add_subcommand("scan", "detect sensitive entities in text");
  scan_cmd->add_option("--format", scan_format, "text | jsonl ({\"id\",\"text\"} per line)")
      ->check(CLI::IsMember({"text", "jsonl"}));
  scan_cmd->add_option("file", scan_path, "input file (default stdin)");
  scan_cmd->add_option("-c,--config", scan_config, "also detect this config's custom_entities");
  scan_cmd->add_flag("--show-values", scan_show_values, "text format: print each finding's text");

  cordon::demo::Options demo_options;
  auto* demo_cmd = app.add_subcommand("demo", "the quickstart: gateway + two simulated backends");
  demo_cmd->add_option("--listen", demo_options.listen, "gateway address");
  demo_cmd->add_flag("--once", demo_options.once, "exit after the walk-through");

  auto* audit_cmd = app.add_subcommand("audit", "the audit record");
  audit_cmd->require_subcommand(1);
  auto* audit_verify_cmd =
      audit_cmd->add_subcommand("verify", "check the hash chains; name the first broken record");
  audit_verify_cmd->add_option("-c,--config", config_path, "config file (its audit.sink)")
      ->required();
  cordon::cli::AuditFlowsOptions flows_options;
  auto* audit_flows_cmd = audit_cmd->add_subcommand(
      "flows", "where the data went: requests per boundary, region, backend and level");
  audit_flows_cmd->add_option("-c,--config", config_path, "config file (its audit.sink)")
      ->required();
  audit_flows_cmd->add_option("--tenant", flows_options.tenant, "only this tenant");
  audit_flows_cmd->add_option("--since", flows_options.since,
                              "only records from DATE on: YYYY-MM-DD (UTC) or RFC 3339");
  audit_flows_cmd->add_option("--format", flows_options.format, "table | json");

  auto* keys_cmd = app.add_subcommand("keys", "API keys");
  keys_cmd->require_subcommand(1);
  auto* keys_new_cmd = keys_cmd->add_subcommand("new", "print a new API key and its SHA-256");

  CLI11_PARSE(app, argc, argv);

  try {
    if (serve_cmd->parsed()) {
      cordon::cli::setUpLogging(log_format, log_level);
      return serve(config_path, serve_options);
    }
    if (check_cmd->parsed()) {
      const auto config = cordon::config::loadConfigFile(config_path);
      cordon::cli::printCheck(*config, std::cout);
      return 0;
    }
    if (explain_cmd->parsed()) {
      const auto config = cordon::config::loadConfigFile(config_path);
      std::optional<std::string> declared;
      if (!declared_level.empty()) {
        declared = declared_level;
      }
      const cordon::gateway::Snapshot snapshot(config);
      return cordon::cli::printExplain(snapshot, tenant, declared, readAll(request_path), std::cout,
                                       std::cerr);
    }
    if (simulate_cmd->parsed()) {
      sim_options.mode =
          mode == "fixed" ? cordon::simulate::Mode::Fixed : cordon::simulate::Mode::Echo;
      sim_options.token_delay = std::chrono::milliseconds{token_delay_ms};
      sim_options.protocol = protocol == "anthropic" ? cordon::simulate::Protocol::Anthropic
                                                     : cordon::simulate::Protocol::OpenAi;
      const std::map<std::string, cordon::simulate::StreamFault> faults{
          {"", cordon::simulate::StreamFault::None},
          {"truncate", cordon::simulate::StreamFault::Truncate},
          {"garbage", cordon::simulate::StreamFault::Garbage},
          {"error-event", cordon::simulate::StreamFault::ErrorEvent},
          {"bad-order", cordon::simulate::StreamFault::BadOrder}};
      sim_options.stream_fault = faults.at(stream_fault);
      return simulate(listen, sim_options);
    }
    if (scan_cmd->parsed()) {
      cordon::cli::ScanOptions options;
      options.jsonl = scan_format == "jsonl";
      options.show_values = scan_show_values;
      if (!scan_config.empty()) {
        options.custom = cordon::config::loadConfigFile(scan_config)->custom_entities;
      }
      std::ios::sync_with_stdio(false);
      if (scan_path.empty() || scan_path == "-") {
        return cordon::cli::runScan(options, std::cin, std::cout, std::cerr);
      }
      std::ifstream file(scan_path, std::ios::binary);
      if (!file) {
        throw std::runtime_error(fmt::format("cannot read {}", scan_path));
      }
      return cordon::cli::runScan(options, file, std::cout, std::cerr);
    }
    if (demo_cmd->parsed()) {
      spdlog::set_level(spdlog::level::warn); // the walk-through prints its own story
      const sigset_t signals = blockHandledSignals();
      return cordon::demo::run(demo_options, [&signals] {
        while (waitForSignal(signals) == SIGHUP) {
        }
      });
    }
    if (audit_verify_cmd->parsed()) {
      const auto config = cordon::config::loadConfigFile(config_path);
      return cordon::cli::auditVerify(config->audit.sink, std::cout, std::cerr);
    }
    if (audit_flows_cmd->parsed()) {
      const auto config = cordon::config::loadConfigFile(config_path);
      return cordon::cli::auditFlows(config->audit.sink, flows_options, std::cout, std::cerr);
    }
    if (keys_new_cmd->parsed()) {
      cordon::cli::printNewKey(std::cout);
      return 0;
    }
  } catch (const cordon::config::ConfigError& error) {
    std::cerr << "cordon: invalid config: " << error.what() << '\n';
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "cordon: " << error.what() << '\n';
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (...) {
    std::cerr << "cordon: unexpected error\n";
    return 1;
  }
}
