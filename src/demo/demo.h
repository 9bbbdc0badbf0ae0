// `cordon demo`: the quickstart. Starts two simulated backends (one on-prem, one cloud) and the
// gateway in this process, walks through a few requests at different levels and prints where
// each went and why.
#pragma once

#include <functional>
#include <string>

namespace cordon::demo {

struct Options {
  std::string listen = "127.0.0.1:8080";
  bool once = false; ///< Exit after the walk-through instead of serving on.
};

/// Runs the demo; returns the process exit code (non-zero when a step did not end as the
/// walk-through expects). Unless options.once, serves on until `wait_for_stop` returns. Throws on
/// start-up failures (caught in main).
int run(const Options& options, const std::function<void()>& wait_for_stop);

} // namespace cordon::demo
