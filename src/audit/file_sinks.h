// The file-backed audit sinks, opened by openSink() (sink.cc).
#pragma once

#include <memory>
#include <string>

#include "cordon/audit/record.h"

namespace cordon::audit {

/// "sqlite:PATH": WAL, synchronous=FULL, one transaction per batch.
Result<std::unique_ptr<Sink>> openSqliteSink(const std::string& path, OpenMode mode);

/// "jsonl:PATH": one stored() line per record, one fdatasync per batch.
Result<std::unique_ptr<Sink>> openJsonlSink(const std::string& path, OpenMode mode);

} // namespace cordon::audit
