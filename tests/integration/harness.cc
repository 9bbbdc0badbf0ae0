#include "integration/harness.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cordon/common/sha256.h"

extern char** environ; // NOLINT(readability-identifier-naming): POSIX name

namespace cordon::itest {
namespace {

namespace json = boost::json;

[[noreturn]] void throwErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

std::uint16_t boundPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throwErrno("getsockname");
  }
  return ntohs(address.sin_port);
}

/// A listening (or just bound) socket on 127.0.0.1 with an ephemeral port.
int bindLoopback(bool listen) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    throwErrno("socket");
  }
  sockaddr_in address = loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    throwErrno("bind");
  }
  if (listen && ::listen(fd, 64) != 0) {
    ::close(fd);
    throwErrno("listen");
  }
  return fd;
}

std::string keyLine(std::string_view name, std::string_view key, std::string_view extra = "") {
  std::string line = "      - { name: ";
  line += name;
  line += ", sha256: \"";
  line += toHex(sha256(key));
  line += "\"";
  line += extra;
  line += " }\n";
  return line;
}

} // namespace

std::string cordonBinary() {
  return CORDON_BINARY;
}

// ---------------------------------------------------------------------------------------------
// TempDir

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cordon-itest-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throwErrno("mkdtemp");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, std::string_view content) const {
  std::string file = path_ + "/" + name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + file);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Process

Process::Process(const std::vector<std::string>& args) {
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
    throwErrno("pipe2");
  }
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throwErrno("pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::system_error(rc, std::generic_category(), "posix_spawn " + args.front());
  }
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  reader_ = std::thread([this] { drain(); });
}

Process::~Process() {
  terminate(5s);
  if (reader_.joinable()) {
    reader_.join();
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
  }
  if (err_fd_ >= 0) {
    ::close(err_fd_);
  }
}

void Process::drain() {
  std::array<pollfd, 2> fds{pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
  std::array<char, 4096> chunk{};
  int open = 2;
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        fds[i].fd = -1; // poll ignores negative descriptors
        --open;
        continue;
      }
      const std::lock_guard lock(mutex_);
      (i == 0 ? out_ : err_).append(chunk.data(), static_cast<std::size_t>(n));
      changed_.notify_all();
    }
  }
  const std::lock_guard lock(mutex_);
  eof_ = true;
  changed_.notify_all();
}

std::uint16_t Process::waitForListening(std::chrono::milliseconds timeout) {
  constexpr std::string_view kPrefix = "listening on ";
  std::unique_lock lock(mutex_);
  std::optional<std::uint16_t> port;
  const bool ready = changed_.wait_for(lock, timeout, [&] {
    std::size_t start = 0;
    for (;;) {
      const std::size_t end = out_.find('\n', start);
      if (end == std::string::npos) {
        return eof_;
      }
      const std::string_view line(out_.data() + start, end - start);
      if (const auto at_prefix = line.find(kPrefix); at_prefix != std::string_view::npos) {
        const auto colon = line.rfind(':');
        if (colon != std::string_view::npos && colon > at_prefix) {
          const std::string digits(line.substr(colon + 1));
          const long value = std::strtol(digits.c_str(), nullptr, 10);
          if (value > 0 && value < 65536) {
            port = static_cast<std::uint16_t>(value);
            return true;
          }
        }
      }
      start = end + 1;
    }
  });
  if (ready && port) {
    return *port;
  }
  throw std::runtime_error(std::string(ready ? "process exited" : "timed out") +
                           " before printing 'listening on HOST:PORT'\n--- stdout:\n" + out_ +
                           "\n--- stderr:\n" + err_);
}

std::optional<int> Process::waitExit(std::chrono::milliseconds timeout) {
  if (exit_code_ || pid_ <= 0) {
    return exit_code_;
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // The child's last words may still sit in the pipes: let the reader reach EOF so that
      // stdoutText()/stderrText() are complete once the exit is reported.
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, 2s, [this] { return eof_; });
      return exit_code_;
    }
    if (done < 0 && errno != EINTR) {
      return std::nullopt;
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(5ms);
  }
}

std::optional<int> Process::terminate(std::chrono::milliseconds timeout) {
  if (exit_code_ || pid_ <= 0) {
    return exit_code_;
  }
  ::kill(pid_, SIGTERM);
  if (auto code = waitExit(timeout)) {
    return code;
  }
  ::kill(pid_, SIGKILL);
  waitExit(5s);
  return std::nullopt;
}

void Process::signal(int number) {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, number);
  }
}

std::string Process::stdoutText() const {
  const std::lock_guard lock(mutex_);
  return out_;
}

std::string Process::stderrText() const {
  const std::lock_guard lock(mutex_);
  return err_;
}

// ---------------------------------------------------------------------------------------------
// HTTP

std::string HttpResponse::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) {
      return value;
    }
  }
  return {};
}

bool HttpResponse::hasHeader(std::string_view name) const {
  const std::string wanted = lower(name);
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& field) { return field.first == wanted; });
}

json::value HttpResponse::json() const {
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) {
    return nullptr;
  }
  return value;
}

HttpConnection::HttpConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    throwErrno("socket");
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::system_error(error, std::generic_category(),
                            "connect 127.0.0.1:" + std::to_string(port));
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool HttpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

HttpConnection::Fill HttpConnection::fill(Clock::time_point deadline) {
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, remainingMs(deadline));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return Fill::Timeout;
    }
    std::array<char, 16384> chunk{};
    const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return Fill::Reset;
    }
    if (n == 0) {
      return Fill::Eof;
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    return Fill::Data;
  }
}

HttpResponse HttpConnection::readResponse(std::chrono::milliseconds timeout,
                                          const std::function<void(std::string_view)>& on_body) {
  HttpResponse response;
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  const auto fail = [&](Fill why) {
    switch (why) {
    case Fill::Timeout:
      response.failure = "timeout";
      break;
    case Fill::Eof:
      response.failure = "closed";
      break;
    case Fill::Reset:
      response.failure = "reset";
      break;
    case Fill::Data:
      break;
    }
    response.elapsed = Clock::now() - started;
    return response;
  };
  // Ensures `n` bytes are buffered.
  const auto need = [&](std::size_t n) {
    while (buffer_.size() < n) {
      if (const Fill got = fill(deadline); got != Fill::Data) {
        return got;
      }
    }
    return Fill::Data;
  };
  // Ensures a CRLF-terminated line is buffered; returns its length (without CRLF).
  const auto need_line = [&](std::size_t& length) {
    for (;;) {
      if (const auto end = buffer_.find("\r\n"); end != std::string::npos) {
        length = end;
        return Fill::Data;
      }
      if (const Fill got = fill(deadline); got != Fill::Data) {
        return got;
      }
    }
  };
  const auto deliver = [&](std::string_view piece) {
    response.body.append(piece);
    if (on_body && !piece.empty()) {
      on_body(piece);
    }
  };

  // The head (skipping interim 1xx responses).
  for (;;) {
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (const Fill got = fill(deadline); got != Fill::Data) {
        return fail(got);
      }
    }
    const std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + 4);
    const auto line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
      response.failure = "malformed";
      return response;
    }
    response.status = std::atoi(status_line.c_str() + 9);
    response.headers.clear();
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto end = head.find("\r\n", pos);
      if (end == std::string::npos) {
        end = head.size();
      }
      const std::string line = head.substr(pos, end - pos);
      if (const auto colon = line.find(':'); colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        const auto first = value.find_first_not_of(" \t");
        const auto last = value.find_last_not_of(" \t");
        value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
        response.headers.emplace_back(lower(line.substr(0, colon)), std::move(value));
      }
      pos = end + 2;
    }
    if (response.status >= 200 || response.status == 101) {
      break;
    }
  }

  if (lower(response.header("transfer-encoding")).find("chunked") != std::string::npos) {
    for (;;) {
      std::size_t length = 0;
      if (const Fill got = need_line(length); got != Fill::Data) {
        return fail(got);
      }
      const std::size_t size = std::strtoul(buffer_.substr(0, length).c_str(), nullptr, 16);
      buffer_.erase(0, length + 2);
      if (size == 0) {
        // Trailers, then the empty line.
        for (;;) {
          if (const Fill got = need_line(length); got != Fill::Data) {
            return fail(got);
          }
          buffer_.erase(0, length + 2);
          if (length == 0) {
            break;
          }
        }
        break;
      }
      if (const Fill got = need(size + 2); got != Fill::Data) {
        // Hand over what did arrive, then report the cut.
        deliver(std::string_view(buffer_).substr(0, std::min(size, buffer_.size())));
        buffer_.clear();
        return fail(got);
      }
      deliver(std::string_view(buffer_).substr(0, size));
      buffer_.erase(0, size + 2);
    }
  } else if (response.hasHeader("content-length")) {
    const std::size_t size = std::strtoul(response.header("content-length").c_str(), nullptr, 10);
    if (const Fill got = need(size); got != Fill::Data) {
      deliver(buffer_);
      buffer_.clear();
      return fail(got);
    }
    deliver(std::string_view(buffer_).substr(0, size));
    buffer_.erase(0, size);
  } else if (response.status != 204 && response.status != 304) {
    for (;;) {
      deliver(buffer_);
      buffer_.clear();
      const Fill got = fill(deadline);
      if (got == Fill::Eof) {
        break;
      }
      if (got != Fill::Data) {
        return fail(got);
      }
    }
  }
  response.complete = true;
  response.elapsed = Clock::now() - started;
  return response;
}

bool HttpConnection::waitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    switch (fill(deadline)) {
    case Fill::Data:
      continue;
    case Fill::Eof:
    case Fill::Reset:
      return true;
    case Fill::Timeout:
      return false;
    }
  }
}

std::string rawRequest(std::string_view method, std::string_view target, const Headers& headers,
                       std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty() || method == "POST") {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

HttpResponse httpRequest(std::uint16_t port, std::string_view method, std::string_view target,
                         const Headers& headers, std::string_view body,
                         std::chrono::milliseconds timeout) {
  HttpConnection connection(port);
  if (!connection.send(rawRequest(method, target, headers, body))) {
    HttpResponse response;
    response.failure = "send failed";
    return response;
  }
  return connection.readResponse(timeout);
}

std::vector<std::string> sseData(std::string_view body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.rfind("data:", 0) == 0) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') {
        line.remove_prefix(1);
      }
      out.emplace_back(line);
    }
    pos = end + 1;
  }
  return out;
}

std::string streamedContent(std::string_view body) {
  std::string content;
  for (const auto& data : sseData(body)) {
    json::error_code ec;
    const json::value event = json::parse(data, ec);
    if (ec) {
      continue;
    }
    if (const auto* text = at(event, "/choices/0/delta/content"); text && text->is_string()) {
      content.append(text->get_string().data(), text->get_string().size());
    }
  }
  return content;
}

const json::value* at(const json::value& root, std::string_view pointer) {
  json::error_code ec;
  return root.find_pointer(pointer, ec);
}

std::string str(const json::value& root, std::string_view pointer) {
  const json::value* found = at(root, pointer);
  if (found == nullptr || !found->is_string()) {
    return {};
  }
  return {found->get_string().data(), found->get_string().size()};
}

// ---------------------------------------------------------------------------------------------
// Sentinel and refused ports

Sentinel::Sentinel() : fd_(bindLoopback(true)), port_(boundPort(fd_)) {}

Sentinel::~Sentinel() {
  ::close(fd_);
}

int Sentinel::connections() {
  for (;;) {
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      return accepted_;
    }
    ::close(client);
    ++accepted_;
  }
}

std::uint16_t refusedPort() {
  // A port the kernel just handed out and that is free again: connects to it are refused (it is
  // very unlikely to be handed out again within the few seconds a test runs).
  const int fd = bindLoopback(false);
  const std::uint16_t port = boundPort(fd);
  ::close(fd);
  return port;
}

// ---------------------------------------------------------------------------------------------
// Fixture

std::uint16_t IntegrationTest::startSimulator(const std::string& name,
                                              const std::vector<std::string>& extra) {
  std::vector<std::string> args{cordonBinary(), "simulate", "--listen", "127.0.0.1:0", "--protocol",
                                "openai",       "--name",   name,       "--mode",      "echo"};
  args.insert(args.end(), extra.begin(), extra.end());
  processes_.push_back(std::make_unique<Process>(args));
  return processes_.back()->waitForListening();
}

std::uint16_t IntegrationTest::startGateway(const std::string& yaml,
                                            const std::vector<std::string>& extra) {
  const std::string path = dir.write("cordon.yaml", yaml);
  std::vector<std::string> args{cordonBinary(), "serve", "-c", path};
  args.insert(args.end(), extra.begin(), extra.end());
  processes_.push_back(std::make_unique<Process>(args));
  gateway_ = processes_.back().get();
  return gateway_->waitForListening();
}

Process& IntegrationTest::gatewayProcess() {
  if (gateway_ == nullptr) {
    throw std::logic_error("no gateway started");
  }
  return *gateway_;
}

IntegrationTest::~IntegrationTest() {
  // Signal everything first so the processes stop in parallel, the gateway before its backends.
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
    (*it)->signal(SIGTERM);
  }
  while (!processes_.empty()) {
    processes_.pop_back();
  }
}

std::string IntegrationTest::backend(const std::string& name, const std::string& boundary,
                                     std::uint16_t port, const std::string& extra) {
  return "  " + name + ": { boundary: " + boundary +
         ", protocol: openai, url: \"http://127.0.0.1:" + std::to_string(port) + "/v1\"" +
         (extra.empty() ? "" : ", " + extra) + " }\n";
}

std::string IntegrationTest::config(const std::string& backends, const std::string& models) const {
  std::string yaml;
  yaml += "listen: 127.0.0.1:0\n";
  yaml += "max_body_bytes: " + std::to_string(max_body_bytes) + "\n";
  yaml += "levels: [public, internal, confidential, restricted]\n";
  yaml += "timeouts: { connect_ms: " + std::to_string(connect_ms) +
          ", first_byte_ms: " + std::to_string(first_byte_ms) +
          ", idle_ms: " + std::to_string(idle_ms) + " }\n";
  yaml += "client_timeouts: { header_ms: " + std::to_string(header_ms) +
          ", body_ms: " + std::to_string(body_ms) +
          ", keep_alive_ms: " + std::to_string(keep_alive_ms) + " }\n";
  yaml += "audit: { sink: \"" + audit_sink + "\", durability: " + audit_durability + " }\n";
  yaml += "boundaries:\n";
  yaml += "  onprem:   { clearance: restricted,   region: eu-de, note: \"test rack\" }\n";
  yaml += "  eu-cloud: { clearance: confidential, region: eu }\n";
  yaml += "  us-cloud: { clearance: internal,     region: us }\n";
  yaml += "backends:\n" + backends;
  yaml += "models:\n" + models;
  yaml += "tenants:\n";
  yaml += "  acme:\n    keys:\n" + keyLine("acme-bot", kAcmeKey);
  yaml += "  euco:\n    residency: [eu, eu-de]\n    keys:\n" + keyLine("euco-bot", kEuKey);
  yaml += "  secure:\n    floor: confidential\n    keys:\n" + keyLine("secure-bot", kSecureKey);
  yaml += "  keyfloor:\n    keys:\n" + keyLine("vault-bot", kKeyFloorKey, ", floor: restricted");
  return yaml;
}

std::string IntegrationTest::chatBody(std::string_view model, std::string_view text, bool stream,
                                      std::string_view extra_fields) {
  json::object body;
  body["model"] = model;
  json::array messages;
  messages.push_back(json::object{{"role", "system"}, {"content", "be brief"}});
  messages.push_back(json::object{{"role", "user"}, {"content", text}});
  body["messages"] = std::move(messages);
  body["stream"] = stream;
  std::string out = json::serialize(body);
  if (!extra_fields.empty()) {
    out.pop_back();
    out += ",";
    out += extra_fields;
    out += "}";
  }
  return out;
}

HttpResponse IntegrationTest::chat(std::uint16_t port, std::string_view key,
                                   const std::string& body, const Headers& extra,
                                   std::chrono::milliseconds timeout) {
  Headers headers{{"Content-Type", "application/json"}};
  if (!key.empty()) {
    headers.emplace_back("Authorization", "Bearer " + std::string(key));
  }
  headers.insert(headers.end(), extra.begin(), extra.end());
  return httpRequest(port, "POST", "/v1/chat/completions", headers, body, timeout);
}

std::string IntegrationTest::expectOpenAiError(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_NE(response.header("content-type").find("application/json"), std::string::npos);
  const json::value body = response.json();
  const auto* error = at(body, "/error");
  EXPECT_TRUE(error != nullptr && error->is_object()) << "not an OpenAI error: " << response.body;
  EXPECT_FALSE(str(body, "/error/message").empty()) << response.body;
  EXPECT_FALSE(str(body, "/error/type").empty()) << response.body;
  EXPECT_NE(at(body, "/error/code"), nullptr) << response.body;
  return str(body, "/error/type");
}

void IntegrationTest::expectStillServes(std::uint16_t port, std::string_view model) {
  const HttpResponse response = chat(port, kAcmeKey, chatBody(model, "still there"));
  EXPECT_EQ(response.status, 200) << response.body;
  const auto content = str(response.json(), "/choices/0/message/content");
  EXPECT_NE(content.find("still there"), std::string::npos) << response.body;
}

} // namespace cordon::itest
