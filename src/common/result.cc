#include "cordon/common/result.h"

#include <stdexcept>

namespace cordon {

unsigned httpStatus(Errc code) noexcept {
  switch (code) {
  case Errc::BadRequest:
    return 400;
  case Errc::Unauthorized:
    return 401;
  case Errc::PolicyViolation:
    return 403;
  case Errc::NotFound:
    return 404;
  case Errc::MethodNotAllowed:
    return 405;
  case Errc::RequestTimeout:
    return 408;
  case Errc::PayloadTooLarge:
    return 413;
  case Errc::HeadersTooLarge:
    return 431;
  case Errc::RateLimited:
    return 429;
  case Errc::Internal:
    return 500;
  case Errc::UpstreamFailed:
    return 502;
  case Errc::Unavailable:
    return 503;
  case Errc::UpstreamTimeout:
    return 504;
  }
  return 500;
}

std::string_view errcName(Errc code) noexcept {
  switch (code) {
  case Errc::BadRequest:
    return "bad_request";
  case Errc::Unauthorized:
    return "unauthorized";
  case Errc::PolicyViolation:
    return "policy_violation";
  case Errc::NotFound:
    return "not_found";
  case Errc::MethodNotAllowed:
    return "method_not_allowed";
  case Errc::RequestTimeout:
    return "request_timeout";
  case Errc::PayloadTooLarge:
    return "payload_too_large";
  case Errc::HeadersTooLarge:
    return "headers_too_large";
  case Errc::RateLimited:
    return "rate_limited";
  case Errc::Internal:
    return "internal_error";
  case Errc::UpstreamFailed:
    return "upstream_failed";
  case Errc::Unavailable:
    return "unavailable";
  case Errc::UpstreamTimeout:
    return "upstream_timeout";
  }
  return "internal_error";
}

void throw_exception_from_error(const Error& error, const boost::source_location& /*location*/) {
  throw std::runtime_error(error.detail);
}

} // namespace cordon
