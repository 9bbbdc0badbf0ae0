// Shared by the audit tests: a fresh temporary directory, records that look like the gateway's,
// and a sink that keeps its stored texts in memory (for the logic that does not care where).
#pragma once

#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <stdlib.h>

#include "cordon/audit/record.h"

namespace cordon::audit::testing {

/// A fresh directory under $TMPDIR (mkdtemp), removed with its contents on destruction.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cordon-audit-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// An answered request of `tenant`, distinguishable by `n`.
inline Record answered(std::string tenant, int n) {
  Record record;
  record.request_id = "req-" + std::to_string(n);
  record.time_ms = 1767225600000 + n * 1000LL; // 2026-01-01T00:00:00Z + n s
  record.tenant = std::move(tenant);
  record.key = "app";
  record.endpoint = "/v1/chat/completions";
  record.model = "assistant";
  record.level = "internal";
  record.entities = {{"EMAIL_ADDRESS", 1}};
  record.target = "local:llama3:8b";
  record.boundary = "onprem";
  record.region = "eu";
  record.reason = "allowed";
  record.attempts = {{"local", "llama3:8b", 200, 40 + n, ""}};
  record.tokens_in = 10 + n;
  record.tokens_out = 20;
  record.outcome = "answered";
  record.status = 200;
  return record;
}

/// Keeps stored texts in a vector: storage order is the vector's order.
class MemorySink final : public Sink {
public:
  Result<void> append(std::span<const Record> batch) override {
    for (const Record& record : batch) {
      texts.push_back(stored(record));
    }
    return {};
  }
  Result<void> each(const std::function<void(std::string_view)>& visit) override {
    for (const std::string& text : texts) {
      visit(text);
    }
    return {};
  }
  bool healthy() override { return true; }

  std::vector<std::string> texts;
};

} // namespace cordon::audit::testing
