// The PostgreSQL audit sink. Every gateway instance (replica) appends to one shared table; each
// record row carries its chain position (instance, sequence) so that a replayed or duplicated
// batch is refused by the UNIQUE constraint instead of silently forking a chain.
#include "audit/postgres_sink.h"

#include <array>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace cordon::audit {
namespace {

struct ConnectionFinish {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using Connection = std::unique_ptr<PGconn, ConnectionFinish>;

struct ResultClear {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultClear>;

struct OptionsFree {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};
using Options = std::unique_ptr<PQconninfoOption, OptionsFree>;

struct MemFree {
  void operator()(char* memory) const noexcept { PQfreemem(memory); }
};
using PqString = std::unique_ptr<char, MemFree>;

constexpr std::string_view kSink = "audit sink postgresql: ";
constexpr const char* kInsertStatement = "cordon_audit_insert";
// Any fixed number works as long as every cordon version uses the same one ("cordon" in ASCII).
constexpr std::int64_t kSchemaLockKey = 0x636f72646f6e;

// CREATE ... IF NOT EXISTS is not safe against itself: two replicas starting at once can both
// see "absent" and one then fails on the catalog's unique index. The transaction-scoped advisory
// lock serialises them and is released by COMMIT, or by the server if this connection dies.
std::string schemaSql() {
  return fmt::format("BEGIN;"
                     "SELECT pg_advisory_xact_lock({});"
                     "CREATE TABLE IF NOT EXISTS cordon_audit_records ("
                     " id BIGSERIAL PRIMARY KEY,"
                     " instance TEXT NOT NULL,"
                     " sequence BIGINT NOT NULL,"
                     " time_ms BIGINT NOT NULL,"
                     " tenant TEXT NOT NULL,"
                     " record TEXT NOT NULL,"
                     " UNIQUE (instance, sequence));"
                     "CREATE INDEX IF NOT EXISTS cordon_audit_records_tenant_time"
                     " ON cordon_audit_records (tenant, time_ms);"
                     "COMMIT",
                     kSchemaLockKey);
}

// The whole batch as five array parameters: one prepared statement serves every batch size, and
// the batch is one statement, hence one transaction (all rows or none) in one round trip.
// ORDER BY position keeps `id` (the order each() reads back) in chain order: the id default
// (nextval) is evaluated on the ordered subquery's output (the ORDINALITY scan is already in
// position order, so the plan needs no sort; EXPLAIN VERBOSE shows nextval above it).
constexpr const char* kInsertSql =
    "INSERT INTO cordon_audit_records (instance, sequence, time_ms, tenant, record)"
    " SELECT instance, sequence, time_ms, tenant, record"
    " FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])"
    " WITH ORDINALITY AS batch(instance, sequence, time_ms, tenant, record, position)"
    " ORDER BY position";

constexpr const char* kSelectSql = "SELECT record FROM cordon_audit_records ORDER BY id";

// libpq prints NOTICEs to stderr by default; "relation already exists, skipping" on every start
// is noise, and the sink reports what matters through its results.
void ignoreNotice(void* /*arg*/, const char* /*message*/) {}

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running...");
// logs and error JSON want one line.
std::string oneLine(std::string_view text) {
  std::string line;
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !line.empty();
      continue;
    }
    if (space) {
      line += ' ';
      space = false;
    }
    line += c;
  }
  return line;
}

// The password as written in a URL's user info or query (percent-encoded), located the way libpq
// does it. Needed because libpq's parse errors quote tokens as written: "invalid percent-encoded
// token: "pa%zz"" must not show the password either.
void rawUrlPasswords(std::string_view conninfo, std::vector<std::string>& secrets) {
  const auto scheme = conninfo.find("://");
  if (scheme == std::string_view::npos) {
    return;
  }
  const auto authority = conninfo.substr(scheme + 3);
  const auto end = authority.find_first_of("@/");
  if (end != std::string_view::npos && authority[end] == '@') {
    const auto user_info = authority.substr(0, end);
    if (const auto colon = user_info.find(':'); colon != std::string_view::npos) {
      secrets.emplace_back(user_info.substr(colon + 1));
    }
  }
  constexpr std::string_view kKey = "password=";
  for (auto at = conninfo.find(kKey); at != std::string_view::npos;
       at = conninfo.find(kKey, at + 1)) {
    if (at > 0 && (conninfo[at - 1] == '?' || conninfo[at - 1] == '&')) {
      const auto value = conninfo.substr(at + kKey.size());
      secrets.emplace_back(value.substr(0, value.find_first_of("&#")));
    }
  }
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

// The passwords `conninfo` carries (decoded and as written), so that every message can be
// scrubbed of them; or the parse error.
Result<std::vector<std::string>> secretsOf(const std::string& conninfo) {
  std::vector<std::string> secrets;
  rawUrlPasswords(conninfo, secrets);
  char* parse_error = nullptr;
  const Options options(PQconninfoParse(conninfo.c_str(), &parse_error));
  const PqString error_text(parse_error);
  if (!options) {
    // Outside a URL a password is a bare token ("password=a b" fails on "b"); the parse error
    // could quote part of it, so it is not repeated there.
    const bool url = conninfo.find("://") != std::string::npos;
    std::string detail = "the connection URL is not valid";
    if (error_text && (url || conninfo.find("password") == std::string::npos)) {
      detail += ": " + redact(oneLine(error_text.get()), secrets);
    }
    return makeError(Errc::Internal, fmt::format("{}{}", kSink, detail));
  }
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr) {
      secrets.emplace_back(option->val);
    }
  }
  return secrets;
}

// Class 22 (data exception) messages quote the offending input ("malformed array literal:
// "{...}"", "invalid input syntax for type ..."), which would be record contents: only the code.
bool quotesInput(std::string_view sqlstate) {
  return sqlstate.starts_with("22");
}

// Integrity and data errors are bugs of the writer (a replayed sequence, a bad value); anything
// else (connection lost, server shutting down, disk full) means the audit cannot write now.
Errc codeFor(std::string_view sqlstate) {
  return sqlstate.starts_with("22") || sqlstate.starts_with("23") || sqlstate.starts_with("42")
             ? Errc::Internal
             : Errc::Unavailable;
}

void appendTextElement(std::string& array, std::string_view value) {
  array += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      array += '\\';
    }
    array += c;
  }
  array += '"';
}

// If each()'s visitor throws, the rest of the result must still be consumed or the connection is
// unusable: cancel the query rather than stream what nobody reads.
class QueryDrain {
public:
  explicit QueryDrain(PGconn* conn) : conn_(conn) {}
  QueryDrain(const QueryDrain&) = delete;
  QueryDrain& operator=(const QueryDrain&) = delete;
  ~QueryDrain() {
    if (done_) {
      return;
    }
    if (PGcancel* cancel = PQgetCancel(conn_); cancel != nullptr) {
      std::array<char, 256> error{};
      PQcancel(cancel, error.data(), static_cast<int>(error.size()));
      PQfreeCancel(cancel);
    }
    while (PGresult* rest = PQgetResult(conn_)) {
      PQclear(rest);
    }
  }
  void finished() noexcept { done_ = true; }

private:
  PGconn* conn_;
  bool done_ = false;
};

class PostgresSink final : public Sink {
public:
  PostgresSink(Connection conn, std::vector<std::string> secrets)
      : conn_(std::move(conn)), secrets_(std::move(secrets)) {}

  Result<void> createSchema() {
    const std::lock_guard lock(mutex_);
    const PgResult result(PQexec(conn_.get(), schemaSql().c_str()));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return failure("creating the table failed", result.get());
    }
    return {};
  }

  Result<void> prepare() {
    const std::lock_guard lock(mutex_);
    return ready();
  }

  Result<void> append(std::span<const Record> batch) override {
    if (batch.empty()) {
      return {};
    }
    std::array<std::string, 5> arrays;
    for (auto& array : arrays) {
      array = "{";
    }
    auto& [instances, sequences, times, tenants, records] = arrays;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Record& record = batch[i];
      if (record.sequence > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return makeError(Errc::Internal, fmt::format("{}sequence out of range", kSink));
      }
      std::string text = stored(record);
      // A NUL would cut the C string libpq sends and corrupt the array literal; TEXT cannot hold
      // it anyway. stored() escapes control characters, so this only catches a broken writer.
      const auto has_nul = [](std::string_view value) {
        return value.find('\0') != std::string_view::npos;
      };
      if (has_nul(text) || has_nul(record.instance) || has_nul(record.tenant)) {
        return makeError(Errc::Internal, fmt::format("{}a record contains a NUL byte", kSink));
      }
      if (i > 0) {
        for (auto& array : arrays) {
          array += ',';
        }
      }
      appendTextElement(instances, record.instance);
      sequences += std::to_string(record.sequence);
      times += std::to_string(record.time_ms);
      appendTextElement(tenants, record.tenant);
      appendTextElement(records, text);
    }
    std::array<const char*, 5> values{};
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      arrays[i] += '}';
      values[i] = arrays[i].c_str();
    }

    const std::lock_guard lock(mutex_);
    if (auto ok = ready(); !ok) {
      return ok;
    }
    const PgResult result(PQexecPrepared(conn_.get(), kInsertStatement,
                                         static_cast<int>(values.size()), values.data(), nullptr,
                                         nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return failure("append failed", result.get());
    }
    if (std::string_view(PQcmdTuples(result.get())) != std::to_string(batch.size())) {
      return makeError(Errc::Internal, fmt::format("{}append stored {} of {} records", kSink,
                                                   PQcmdTuples(result.get()), batch.size()));
    }
    return {};
  }

  Result<void> each(const std::function<void(std::string_view stored_json)>& visit) override {
    const std::lock_guard lock(mutex_);
    if (auto ok = connected(); !ok) {
      return ok;
    }
    if (PQsendQuery(conn_.get(), kSelectSql) == 0) {
      return failure("reading failed", nullptr);
    }
    // Single-row mode: the table may hold millions of records; PQexec would hold them all.
    // The query is one snapshot, so records committed meanwhile are simply not seen.
    // `visit` runs under the lock, so it must not call back into this sink.
    PQsetSingleRowMode(conn_.get());
    QueryDrain drain(conn_.get());

    Result<void> outcome;
    while (const PgResult row{PQgetResult(conn_.get())}) {
      const auto status = PQresultStatus(row.get());
      if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK) {
        // TUPLES_OK ends a single-row stream with zero rows, or carries every row if
        // single-row mode could not be set.
        for (int i = 0; i < PQntuples(row.get()) && outcome; ++i) {
          visit(std::string_view(PQgetvalue(row.get(), i, 0),
                                 static_cast<std::size_t>(PQgetlength(row.get(), i, 0))));
        }
      } else if (outcome) {
        outcome = failure("reading failed", row.get());
      }
    }
    drain.finished();
    return outcome;
  }

  bool healthy() override {
    const std::lock_guard lock(mutex_);
    if (!connected()) {
      return false;
    }
    const PgResult result(PQexec(conn_.get(), "SELECT 1"));
    return PQresultStatus(result.get()) == PGRES_TUPLES_OK;
  }

private:
  // A connection found broken (by an earlier failed call) is re-established once per call: the
  // writer retries at its own pace, and a down server must not make each call spin.
  Result<void> connected() {
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      return {};
    }
    PQreset(conn_.get());
    prepared_ = false; // prepared statements live and die with the server session
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      return failure("reconnecting failed", nullptr);
    }
    return {};
  }

  Result<void> ready() {
    if (auto ok = connected(); !ok) {
      return ok;
    }
    if (prepared_) {
      return {};
    }
    const PgResult result(PQprepare(conn_.get(), kInsertStatement, kInsertSql, 0, nullptr));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return failure("preparing the insert failed", result.get());
    }
    prepared_ = true;
    return {};
  }

  // "audit sink postgresql: WHAT: server message (SQLSTATE xxxxx)". Never the record: only the
  // primary message (PostgreSQL's DETAIL repeats key values), and not even that for class 22.
  Error failure(std::string_view what, const PGresult* result) {
    std::string message = fmt::format("{}{}", kSink, what);
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string_view state = sqlstate != nullptr ? sqlstate : "";
    if (state == "26000") {
      prepared_ = false; // the session lost the statement (e.g. a pooler's DISCARD ALL)
    }
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (state.empty() && primary == nullptr) {
      // Not from the server: libpq's own (connection lost, out of memory).
      primary = result != nullptr ? PQresultErrorMessage(result) : "";
      if (*primary == '\0') {
        primary = PQerrorMessage(conn_.get());
      }
    }
    if (primary != nullptr && *primary != '\0' && !quotesInput(state)) {
      message += ": " + oneLine(primary);
    }
    if (!state.empty()) {
      message += fmt::format(" (SQLSTATE {})", state);
    }
    return makeError(state.empty() ? Errc::Unavailable : codeFor(state),
                     redact(std::move(message), secrets_));
  }

  // One connection, used by the writer (append) and possibly a readiness probe (healthy) on
  // another thread; a PGconn must not be used by two threads at once.
  std::mutex mutex_;
  Connection conn_;
  std::vector<std::string> secrets_;
  bool prepared_ = false;
};

} // namespace

Result<std::unique_ptr<Sink>> openPostgresSink(std::string_view conninfo) {
  const std::string text(conninfo);
  auto secrets = secretsOf(text);
  if (!secrets) {
    return secrets.error();
  }
  // Defaults come before "dbname" (which libpq expands from the URL) so that the URL's own
  // settings win; client_encoding comes after it because records are UTF-8 whatever the
  // database's default. Without connect_timeout a black-holed host blocks start-up for minutes;
  // the keepalives notice a vanished server in about a minute rather than two hours.
  const std::array<const char*, 8> keywords{
      "connect_timeout",           "keepalives_idle", "keepalives_interval", "keepalives_count",
      "fallback_application_name", "dbname",          "client_encoding",     nullptr};
  const std::array<const char*, 8> values{"10",           "30",         "10",   "3",
                                          "cordon-audit", text.c_str(), "UTF8", nullptr};
  Connection conn(PQconnectdbParams(keywords.data(), values.data(), 1));
  if (!conn) {
    return makeError(Errc::Unavailable, fmt::format("{}cannot connect: out of memory", kSink));
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return makeError(Errc::Unavailable, redact(fmt::format("{}cannot connect: {}", kSink,
                                                           oneLine(PQerrorMessage(conn.get()))),
                                               *secrets));
  }
  PQsetNoticeProcessor(conn.get(), ignoreNotice, nullptr);

  auto sink = std::make_unique<PostgresSink>(std::move(conn), std::move(*secrets));
  if (auto ok = sink->createSchema(); !ok) {
    return ok.error();
  }
  if (auto ok = sink->prepare(); !ok) {
    return ok.error();
  }
  return std::unique_ptr<Sink>(std::move(sink));
}

} // namespace cordon::audit
