// "jsonl:PATH": one stored() record per line. A batch is written with write() and made durable
// with one fdatasync(); a line without its '\n' was never acknowledged (the newline is written
// with it and the batch only counts once synced), so readers ignore such a torn last line.
#include <array>
#include <cerrno>
#include <mutex>
#include <system_error>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/file_sinks.h"

namespace cordon::audit {
namespace {

constexpr std::size_t kReadChunk = 1 << 16;
// The audit names tenants, keys and backends: not for every local user.
constexpr mode_t kFileMode = 0640;

/// Closes a file descriptor when it goes out of scope.
class Fd {
public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const noexcept { return fd_; }

private:
  int fd_;
};

std::string errnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

class JsonlSink final : public Sink {
public:
  JsonlSink(int fd, std::string path, OpenMode mode)
      : fd_(fd), path_(std::move(path)), mode_(mode) {}
  JsonlSink(const JsonlSink&) = delete;
  JsonlSink& operator=(const JsonlSink&) = delete;
  ~JsonlSink() override {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  /// Cuts off a torn last line a crash may have left, so that the next batch starts on a line
  /// of its own instead of being glued to it (which would make both unreadable).
  Result<void> dropTornTail() {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) {
      return failure("stat", errno);
    }
    off_t end = info.st_size;
    std::array<char, 4096> block{};
    while (end > 0) {
      const off_t start =
          end > static_cast<off_t>(block.size()) ? end - static_cast<off_t>(block.size()) : 0;
      const auto size = static_cast<std::size_t>(end - start);
      if (::pread(fd_, block.data(), size, start) != static_cast<ssize_t>(size)) {
        return failure("read", errno);
      }
      const std::string_view text(block.data(), size);
      const std::size_t newline = text.rfind('\n');
      if (newline != std::string_view::npos) {
        end = start + static_cast<off_t>(newline) + 1;
        break;
      }
      end = start;
    }
    if (end != info.st_size && ::ftruncate(fd_, end) != 0) {
      return failure("truncate the torn last line of", errno);
    }
    return {};
  }

  Result<void> append(std::span<const Record> batch) override {
    const std::lock_guard lock(mutex_);
    if (mode_ != OpenMode::Append) {
      return makeError(Errc::Internal, "audit sink opened for reading only");
    }
    if (fd_ < 0) {
      return makeError(Errc::Unavailable, fmt::format("audit sink jsonl:{}: closed", path_));
    }
    if (batch.empty()) {
      return {};
    }
    std::string lines;
    for (const Record& record : batch) {
      lines.append(stored(record));
      lines.push_back('\n');
    }
    struct stat info {};
    if (::fstat(fd_, &info) != 0) {
      return failure("stat", errno);
    }
    std::size_t written = 0;
    while (written < lines.size()) {
      const ssize_t n = ::write(fd_, lines.data() + written, lines.size() - written);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        const int error = n < 0 ? errno : EIO;
        // Take back the part that made it, so that the file ends on a whole line and a retry
        // of the batch does not leave a broken line in the middle of the chain.
        if (::ftruncate(fd_, info.st_size) != 0) {
          // Readers still skip a torn last line; the next open cuts it off.
        }
        return failure("write", error);
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd_) != 0) {
      return failure("fdatasync", errno);
    }
    return {};
  }

  Result<void> each(const std::function<void(std::string_view)>& visit) override {
    // A descriptor of its own: reading must not move the appending one, and it sees the file
    // as it is now even if it was replaced since the sink was opened.
    const Fd file(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
      return failure("open", errno);
    }
    std::string pending;
    std::array<char, kReadChunk> chunk{};
    for (;;) {
      const ssize_t n = ::read(file.get(), chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return failure("read", errno);
      }
      if (n == 0) {
        break;
      }
      pending.append(chunk.data(), static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t end = pending.find('\n'); end != std::string::npos;
           end = pending.find('\n', start)) {
        visit(std::string_view(pending).substr(start, end - start));
        start = end + 1;
      }
      pending.erase(0, start);
    }
    // Whatever is left has no '\n': a torn write that was never acknowledged.
    return {};
  }

  bool healthy() override {
    const std::lock_guard lock(mutex_);
    return fd_ >= 0 && ::fcntl(fd_, F_GETFD) != -1;
  }

private:
  Result<void> failure(std::string_view doing, int error) const {
    return makeError(Errc::Unavailable, fmt::format("audit sink jsonl:{}: cannot {}: {}", path_,
                                                    doing, errnoText(error)));
  }

  std::mutex mutex_;
  int fd_;
  std::string path_;
  OpenMode mode_;
};

} // namespace

Result<std::unique_ptr<Sink>> openJsonlSink(const std::string& path, OpenMode mode) {
  const int flags =
      mode == OpenMode::Append ? O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC;
  const int fd = ::open(path.c_str(), flags, kFileMode);
  if (fd < 0) {
    const int error = errno;
    return makeError(Errc::Unavailable,
                     fmt::format("audit sink jsonl:{}: cannot open: {}", path, errnoText(error)));
  }
  auto sink = std::make_unique<JsonlSink>(fd, path, mode);
  if (mode == OpenMode::Append) {
    if (auto tail = sink->dropTornTail(); !tail) {
      return tail.error();
    }
  }
  return std::unique_ptr<Sink>(std::move(sink));
}

} // namespace cordon::audit
