// The PostgreSQL audit sink: records go to one table shared by every gateway instance (replicas
// write concurrently; each keeps its own chain, told apart by `instance`).
#pragma once

#include <memory>
#include <string_view>

#include "cordon/audit/record.h"

namespace cordon::audit {

/// Connects to `conninfo` (a postgresql:// or postgres:// URL, or any libpq connection string)
/// and creates the table and its index on first use. Error messages name the sink and never
/// repeat the URL's password.
Result<std::unique_ptr<Sink>> openPostgresSink(std::string_view conninfo);

} // namespace cordon::audit
