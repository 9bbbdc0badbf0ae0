// Where cordon's logs go and in what shape: stderr, as text for people or JSON lines for log
// pipelines (`cordon serve --log-format json`), at a chosen level. Requests are logged one line
// each by the "access" logger at info (docs/operations.md); no log line holds request text.
#pragma once

#include <string_view>

namespace cordon::cli {

/// Sets up the default logger and the "access" logger. `format` is "text" or "json"; `level`
/// one of trace, debug, info, warn, error, off. Throws std::invalid_argument otherwise.
void setUpLogging(std::string_view format, std::string_view level);

} // namespace cordon::cli
