// Placeholder until the PostgreSQL sink lands (it replaces this file).
#include "audit/postgres_sink.h"

namespace cordon::audit {

Result<std::unique_ptr<Sink>> openPostgresSink(std::string_view /*conninfo*/) {
  return makeError(Errc::Unavailable, "postgresql sink not built yet");
}

} // namespace cordon::audit
