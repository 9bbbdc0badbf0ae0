// The PostgreSQL audit sink ("postgresql://..." / "postgres://..."), opened by openSink().
#pragma once

#include <memory>
#include <string_view>

#include "cordon/audit/record.h"

namespace cordon::audit {

/// Connects with libpq to `conninfo` (the whole url) and creates the table on first use.
/// Errors never repeat `conninfo`: it may carry a password.
Result<std::unique_ptr<Sink>> openPostgresSink(std::string_view conninfo);

} // namespace cordon::audit
