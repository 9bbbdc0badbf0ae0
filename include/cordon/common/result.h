// The one place cordon chooses its Result type. Data-path code returns Result<T> and never throws;
// exceptions are reserved for start-up and config load (caught in main).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

namespace cordon {

/// What went wrong, as a client or operator would classify it. Each value maps to one HTTP status
/// (see httpStatus()) and one error `type` in the front door's error JSON.
enum class Errc : std::uint8_t {
  BadRequest,       ///< 400: the request is malformed or names an unknown level.
  Unauthorized,     ///< 401: no API key, or a key cordon does not know.
  PolicyViolation,  ///< 403: the trust policy refuses the request; detail names the rule.
  NotFound,         ///< 404: unknown model or path.
  MethodNotAllowed, ///< 405: known path, wrong method.
  RequestTimeout,   ///< 408: the client sent its request too slowly.
  PayloadTooLarge,  ///< 413: body over max_body_bytes.
  HeadersTooLarge,  ///< 431: request head over the header limit.
  RateLimited,      ///< 429: a limit was hit.
  Internal,         ///< 500: a bug; detail is for operators.
  UpstreamFailed,   ///< 502: every eligible target failed, or answered garbage.
  Unavailable,      ///< 503: cordon cannot serve right now (e.g. not ready).
  UpstreamTimeout,  ///< 504: every eligible target failed and the last failure was a timeout.
};

/// An error value. `detail` is shown to clients and written to logs, so it must never contain
/// prompt or answer text, entity values or keys: name the rule, the field or the backend instead.
struct Error {
  Errc code;
  std::string detail;
};

template <class T> using Result = boost::system::result<T, Error>;

inline Error makeError(Errc code, std::string detail) {
  return Error{code, std::move(detail)};
}

/// The HTTP status an Errc is answered with.
unsigned httpStatus(Errc code) noexcept;

/// Stable machine-readable name ("bad_request", "policy_violation", ...), used as the error
/// `code` in front-door JSON and as a metric label.
std::string_view errcName(Errc code) noexcept;

/// Called by Result<T>::value() on an error (found by ADL); throws std::runtime_error(detail).
// NOLINTNEXTLINE(readability-identifier-naming): the name Boost.System looks up by ADL.
[[noreturn]] void throw_exception_from_error(const Error& error,
                                             const boost::source_location& location);

} // namespace cordon
