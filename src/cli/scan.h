// `cordon scan`: run the detector over text (PRODUCT.md §4). Plain text in → one line per finding;
// `--format jsonl`: `{"id","text"}` per line in → `{"id","entities":[{"type","start","end",
// "score"}]}` per line out, same order, streaming in constant memory (one line at a time).
#pragma once

#include <iosfwd>
#include <vector>

#include "cordon/config/config.h"

namespace cordon::cli {

struct ScanOptions {
  bool jsonl = false;
  bool show_values = false; ///< Plain format: print each finding's text (off: type and offsets).
  std::vector<config::CustomEntity> custom; ///< From `-c FILE`, when given.
};

/// Returns the exit code: 0, or 1 when some input line could not be scanned (it still gets its
/// output line, with an "error" field, so output lines stay aligned with input lines).
int runScan(const ScanOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

} // namespace cordon::cli
