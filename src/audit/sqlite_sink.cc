// "sqlite:PATH": records in one SQLite table. WAL with synchronous=FULL makes a committed batch
// durable (the WAL is fsynced at every commit); a batch is one transaction, so a crash leaves
// either all of it or none of it.
#include <mutex>

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "audit/file_sinks.h"

namespace cordon::audit {
namespace {

// A writer from another process (a second gateway on the same file) holds the lock for one
// batch at most; waiting this long is far cheaper than failing a batch.
constexpr int kBusyTimeoutMs = 5000;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_records (
  id INTEGER PRIMARY KEY,
  instance TEXT,
  sequence INTEGER,
  time_ms INTEGER,
  tenant TEXT,
  record TEXT NOT NULL,
  UNIQUE (instance, sequence)
);
CREATE INDEX IF NOT EXISTS audit_records_tenant_time ON audit_records (tenant, time_ms);
)sql";

class SqliteSink final : public Sink {
public:
  SqliteSink(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;
  ~SqliteSink() override {
    sqlite3_finalize(insert_);
    sqlite3_close_v2(db_);
  }

  Result<void> init(OpenMode mode) {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    if (mode == OpenMode::Read) {
      // Nothing is created; a file that is not a cordon audit database is an error here.
      return exec("SELECT 1 FROM audit_records LIMIT 0");
    }
    if (auto wal = walMode(); !wal) {
      return wal;
    }
    for (const char* statement : {"PRAGMA synchronous=FULL", kSchema.data()}) {
      if (auto done = exec(statement); !done) {
        return done;
      }
    }
    return {};
  }

  Result<void> append(std::span<const Record> batch) override {
    const std::lock_guard lock(mutex_);
    if (batch.empty()) {
      return {};
    }
    if (insert_ == nullptr) {
      const char* sql = "INSERT INTO audit_records (instance, sequence, time_ms, tenant, record) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)";
      if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &insert_, nullptr) !=
          SQLITE_OK) {
        return failure("prepare the insert");
      }
    }
    if (auto begun = exec("BEGIN IMMEDIATE"); !begun) {
      return begun;
    }
    std::string text;
    for (const Record& record : batch) {
      text = stored(record);
      sqlite3_reset(insert_);
      sqlite3_bind_text(insert_, 1, record.instance.data(),
                        static_cast<int>(record.instance.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert_, 2, static_cast<sqlite3_int64>(record.sequence));
      sqlite3_bind_int64(insert_, 3, record.time_ms);
      sqlite3_bind_text(insert_, 4, record.tenant.data(), static_cast<int>(record.tenant.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(insert_, 5, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      if (sqlite3_step(insert_) != SQLITE_DONE) {
        Error error = failure("insert a record").error();
        sqlite3_reset(insert_);
        rollback();
        return error;
      }
    }
    sqlite3_reset(insert_);
    if (auto committed = exec("COMMIT"); !committed) {
      rollback();
      return committed;
    }
    return {};
  }

  Result<void> each(const std::function<void(std::string_view)>& visit) override {
    const std::lock_guard lock(mutex_);
    sqlite3_stmt* select = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT record FROM audit_records ORDER BY id", -1, &select,
                           nullptr) != SQLITE_OK) {
      return failure("read the records");
    }
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(select)) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
      const int size = sqlite3_column_bytes(select, 0);
      visit(text == nullptr ? std::string_view() : std::string_view(text, size));
    }
    sqlite3_finalize(select);
    if (step != SQLITE_DONE) {
      return failure("read the records");
    }
    return {};
  }

  bool healthy() override {
    const std::lock_guard lock(mutex_);
    // Taking the write lock and letting go proves the file is there, writable and not locked
    // by someone else, without writing anything.
    if (!exec("BEGIN IMMEDIATE")) {
      return false;
    }
    return static_cast<bool>(exec("ROLLBACK"));
  }

private:
  Result<void> walMode() {
    sqlite3_stmt* pragma = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1, &pragma, nullptr) != SQLITE_OK) {
      return failure("switch to WAL");
    }
    const bool wal =
        sqlite3_step(pragma) == SQLITE_ROW &&
        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(pragma, 0))) == "wal";
    sqlite3_finalize(pragma);
    if (!wal) {
      return makeError(Errc::Unavailable,
                       fmt::format("audit sink sqlite:{}: cannot switch to WAL mode", path_));
    }
    return {};
  }

  Result<void> exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return failure("run \"" + std::string(sql).substr(0, 40) + "\"");
    }
    return {};
  }

  void rollback() {
    if (sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

  Result<void> failure(std::string_view doing) const {
    return makeError(Errc::Unavailable, fmt::format("audit sink sqlite:{}: cannot {}: {}", path_,
                                                    doing, sqlite3_errmsg(db_)));
  }

  std::mutex mutex_;
  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
  std::string path_;
};

} // namespace

Result<std::unique_ptr<Sink>> openSqliteSink(const std::string& path, OpenMode mode) {
  if (mode == OpenMode::Read) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      return makeError(Errc::Unavailable, fmt::format("audit sink sqlite:{}: no such file", path));
    }
  }
  // No SQLITE_OPEN_URI: the path is a file name, never a "file:" url with options.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                    (mode == OpenMode::Append ? SQLITE_OPEN_CREATE : 0);
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (opened != SQLITE_OK) {
    std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(opened);
    sqlite3_close_v2(db);
    return makeError(Errc::Unavailable,
                     fmt::format("audit sink sqlite:{}: cannot open: {}", path, reason));
  }
  auto sink = std::make_unique<SqliteSink>(db, path);
  if (auto ready = sink->init(mode); !ready) {
    return ready.error();
  }
  return std::unique_ptr<Sink>(std::move(sink));
}

} // namespace cordon::audit
