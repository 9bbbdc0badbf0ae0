// Rows over long runs of token bytes (the base64-shaped secrets that are recognised only by their
// length: AWS secret keys, Azure storage keys, Discord bot tokens) and the URL row anchored on a
// top-level domain, matched without Hyperscan. In Hyperscan each of these keeps a wide automaton
// (or, for the TLD row, a set of short literals) busy on every byte of prose although it matches
// almost nowhere: the base64 rows cost ~0.35 ms and the TLD row ~0.8 ms per MB of the mixed
// benchmark. Here a vectorised pass finds the few places where they can match (sixteen token
// bytes in a row; a '.' before a letter) and reads only those.
//
// The reports are what Hyperscan gives for the row: every end of a match, once, with the leftmost
// start among the matches that end there. Whole-token checks are left to the caller, as for
// Hyperscan's reports.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "classify/digit_rows.h"

namespace cordon::classify {

/// The regexes TokenRows implements: the table's rows use these constants, so a row changed
/// there no longer matches the shape here and goes back to Hyperscan.
inline constexpr std::string_view kAwsSecretKeyRegex = R"([A-Za-z0-9/+]{40})";
inline constexpr std::string_view kAzureStorageKeyRegex = R"([A-Za-z0-9+/]{86}==)";
inline constexpr std::string_view kDiscordTokenRegex =
    R"([MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})";

/// The rows above. Every match of each lies in a run of at least 31 bytes of
/// [A-Za-z0-9+/_.-], which holds a whole sixteen-byte block at a multiple of sixteen: such
/// blocks are rare in prose, and only the runs around them are read.
class TokenRows {
public:
  /// Takes the row when `regex` is one of the constants above (case-sensitive); false otherwise,
  /// and it stays in Hyperscan.
  bool add(std::uint32_t id, std::string_view regex);

  bool empty() const noexcept { return !aws_ && !azure_ && !discord_; }

  /// Appends the reports of every row taken over `data` to `out`, in no particular order.
  void scan(const unsigned char* data, std::size_t size, std::vector<RowMatch>& out) const;

private:
  void scanRun(const unsigned char* data, std::size_t size, std::size_t from, std::size_t to,
               std::vector<RowMatch>& out) const;

  bool aws_ = false;
  bool azure_ = false;
  bool discord_ = false;
  std::uint32_t aws_id_ = 0;
  std::uint32_t azure_id_ = 0;
  std::uint32_t discord_id_ = 0;
};

/// The URL row `\.(?:com|org|...)(?:/[^\s<>"'`\\]*)?`: a '.', one of a list of lower-case
/// top-level domains, and an optional path. Matches are reported from their '.' (the caller
/// walks left to the host's start).
class TldRow {
public:
  /// Takes the row when `regex` has exactly that shape (the list may hold any lower-case ASCII
  /// words); false otherwise, and it stays in Hyperscan. At most one row.
  bool add(std::uint32_t id, std::string_view regex);

  bool empty() const noexcept { return !taken_; }

  /// Appends the row's reports over `data` to `out`, in no particular order.
  void scan(const unsigned char* data, std::size_t size, std::vector<RowMatch>& out) const;

private:
  bool taken_ = false;
  std::uint32_t id_ = 0;
  /// The domains by their first letter ('a' ... 'z'), shorter ones first.
  std::array<std::vector<std::string>, 26> by_first_;
};

/// The e-mail row's regex: '@' and a domain of at least two labels whose last is 2-24 letters.
/// The caller walks left from the '@' over the local part (Extend::EmailLocal).
inline constexpr std::string_view kEmailDomainRegex =
    R"(@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24})";

/// The e-mail row, matched from each '@' forward. In Hyperscan its start-of-match tracking over
/// the domain's repeated labels cost ~0.18 ns per byte of prose and ~30 ns per scan; here an '@'
/// is found with memchr and its domain read once. Every match of one '@' starts there (a domain
/// holds no '@'), so each end has one start.
class EmailRow {
public:
  /// Takes the row when `regex` is kEmailDomainRegex; false otherwise, and it stays in Hyperscan.
  /// At most one row.
  bool add(std::uint32_t id, std::string_view regex);

  bool empty() const noexcept { return !taken_; }

  /// Appends the row's reports over `data` to `out`, in end order.
  void scan(const unsigned char* data, std::size_t size, std::vector<RowMatch>& out) const;

private:
  bool taken_ = false;
  std::uint32_t id_ = 0;
};

} // namespace cordon::classify
