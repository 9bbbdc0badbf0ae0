#include "cli/logging.h"

#include <memory>
#include <stdexcept>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "protocol/json_util.h"

namespace cordon::cli {
namespace {

/// `%*`: the message as the inside of a JSON string (quotes, backslashes and control characters
/// escaped), so that a JSON log line stays one valid JSON object whatever the message says.
class JsonMessage final : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    std::string quoted;
    protocol::detail::appendJsonString(quoted,
                                       std::string_view(msg.payload.data(), msg.payload.size()));
    // Without its surrounding quotes: the pattern has them.
    dest.append(quoted.data() + 1, quoted.data() + quoted.size() - 1);
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

std::unique_ptr<spdlog::formatter> jsonFormatter(std::string_view body) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessage>('*');
  formatter->set_pattern(std::string(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",)") +
                         std::string(body) + "}");
  return formatter;
}

} // namespace

void setUpLogging(std::string_view format, std::string_view level) {
  if (format != "text" && format != "json") {
    throw std::invalid_argument("--log-format must be text or json");
  }
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("--log-level must be trace, debug, info, warn, error or off");
  }
  // Logs go to stderr: stdout carries command output (and the `listening on` line scripts read).
  // A sink each: a formatter belongs to the sink (both write stderr under spdlog's console
  // mutex, so their lines never interleave).
  auto main_logger = std::make_shared<spdlog::logger>(
      "cordon", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  auto access = std::make_shared<spdlog::logger>(
      "access", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (format == "json") {
    main_logger->set_formatter(jsonFormatter(R"("msg":"%*")"));
    // The access line's message is JSON members already (gateway/gateway_metrics.h).
    access->set_formatter(jsonFormatter(R"("event":"request",%v)"));
  } else {
    main_logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    access->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l request %v");
  }
  main_logger->set_level(parsed);
  access->set_level(parsed);
  spdlog::drop_all();
  spdlog::register_logger(access);
  spdlog::set_default_logger(main_logger);
}

} // namespace cordon::cli
