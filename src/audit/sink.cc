// openSink(): which sink a spec names.
#include <string>

#include "audit/file_sinks.h"
#include "audit/postgres_sink.h"
#include "cordon/audit/record.h"

namespace cordon::audit {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) noexcept {
  return text.substr(0, prefix.size()) == prefix;
}

} // namespace

Result<std::unique_ptr<Sink>> openSink(std::string_view spec, OpenMode mode) {
  // The url is handed on whole: libpq reads the "postgresql://" and "postgres://" forms itself.
  if (startsWith(spec, "postgresql://") || startsWith(spec, "postgres://")) {
    return openPostgresSink(spec);
  }
  if (startsWith(spec, "sqlite:")) {
    const std::string path(spec.substr(7));
    if (path.empty()) {
      return makeError(Errc::BadRequest, "audit sink \"sqlite:\" names no file");
    }
    return openSqliteSink(path, mode);
  }
  if (startsWith(spec, "jsonl:")) {
    const std::string path(spec.substr(6));
    if (path.empty()) {
      return makeError(Errc::BadRequest, "audit sink \"jsonl:\" names no file");
    }
    return openJsonlSink(path, mode);
  }
  if (spec == "none") {
    // config::kAuditOff: the gateway never opens it; readers say why there is nothing to read.
    return makeError(Errc::Unavailable, "the audit is off (audit.sink: none); nothing is recorded");
  }
  // Not echoed: a mistyped postgresql url may carry a password.
  return makeError(Errc::BadRequest, "audit sink must be \"sqlite:PATH\", \"jsonl:PATH\" or a "
                                     "\"postgresql://...\" connection url");
}

Result<std::unique_ptr<Sink>> openSink(std::string_view spec) {
  return openSink(spec, OpenMode::Append);
}

} // namespace cordon::audit
