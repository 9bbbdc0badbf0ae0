// The built-in detector table: one row per Hyperscan pattern, with what confirms a candidate
// (validator, whole-token boundaries, context words) and how it is scored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace cordon::classify {

/// The structural or checksum test a candidate must pass (see validators.h).
enum class Check : std::uint8_t {
  None,
  CreditCard, ///< creditCardValid, and not one group of a longer run of grouped digits.
  Iban,       ///< Grown right to the country's IBAN length, then boundary and ibanValid.
  UsSsn,
  Aba,
  Ipv4,
  Ipv6,
  Email,
  Url,       ///< trailing punctuation trimmed, then urlValid.
  Phone,     ///< 8-18 digits.
  PhoneBare, ///< 10 digits, or 11 starting 13-19 (mainland China mobile).
  FiHetu,
  TrNationalId,
  SePersonnummer,
  Secret, ///< Shannon entropy >= 3 bits/byte (drops placeholders such as ghp_xxxx...).
  Custom, ///< PatternSpec::valid confirms the candidate (checksums of national IDs and the like).
  Credential, ///< Narrowed to the password inside (credentialSecret), or rejected.
  Name,       ///< refineName (names.h) narrows the candidate to the name or place it introduces.
};

/// A validator for Check::Custom: true when the candidate's bytes are a real entity.
using Validator = bool (*)(std::string_view candidate) noexcept;

/// Which neighbouring bytes make a candidate part of a longer token (and so not a finding).
/// A '.' or '-' next to the candidate counts too when the byte beyond it is alphanumeric
/// (versions "1.2.3.4.5", "1234-5678-...").
enum class Boundary : std::uint8_t {
  None,
  Alnum,    ///< [A-Za-z0-9]
  Token,    ///< [A-Za-z0-9_-] (API tokens)
  HexColon, ///< [A-Za-z0-9:] (IPv6)
};

/// How a candidate's start is found. Hyperscan's start-of-match tracking is costly on patterns
/// that can start anywhere in a word or a digit run, so those patterns match only a cheap anchor
/// and the start is found by walking left over the allowed bytes (bounded).
enum class Extend : std::uint8_t {
  None,       ///< Hyperscan's leftmost start (HS_FLAG_SOM_LEFTMOST).
  Digits,     ///< The run of digits ending at the match end (no SOM; at most 20).
  EmailLocal, ///< Match starts at '@'; walk left over [A-Za-z0-9._%+-] (at most 64).
  /// Match starts at ".tld"; walk left over [A-Za-z0-9.-] (at most 253). The row of TldRow's
  /// shape (token_rows.h) is matched by that pass, not Hyperscan.
  Hostname,
  /// No SOM in the main scan; the start is found afterwards by rescanning the bytes before the
  /// end with the row alone. For rows whose only unbounded parts are whitespace runs and that
  /// hold at most kRescanNonSpace other bytes, so the rescan window is bounded.
  Rescan,
  /// Not in Hyperscan: findCapitalisedPairs() (names.h) reports the row's matches. The regex is
  /// kept as the definition of what it reports (and to check that against Hyperscan in tests).
  CapitalisedPair,
  /// Not in Hyperscan: findTitleAnchors() (names.h) reports the row's matches, as for
  /// CapitalisedPair.
  TitleAnchor,
  /// Not in Hyperscan: findClosingAnchors() (names.h), as for CapitalisedPair.
  ClosingAnchor,
};

/// The most non-whitespace bytes an Extend::Rescan match may hold.
inline constexpr std::size_t kRescanNonSpace = 32;

struct PatternSpec {
  std::string_view type;
  std::string_view regex;
  Check check = Check::None;
  Boundary boundary = Boundary::Alnum;
  float score = 0.5F;     ///< Base score of a validated candidate.
  float threshold = 0.5F; ///< Reported only at or above this after context.
  /// Lower-case words, '|'-separated; one within kContextWindow bytes before the candidate
  /// raises the score by kContextBoost.
  std::string_view context = {};
  /// Words that, just before the candidate, lower the score by kContextBoost ("version").
  std::string_view negative = {};
  bool caseless = false;
  Extend extend = Extend::None;
  Validator valid = nullptr; ///< With Check::Custom.
  /// Not reported when the candidate starts a line and more text follows on that line: a log
  /// record's leading timestamp is metadata of the record, not content of the text.
  bool skip_as_line_prefix = false;
  /// Not reported when written as one token next to another letters-and-digits code ("FPJ6K
  /// WINMOV EA4C"): a list of serials, coupon or booking codes, not a plate or a postcode.
  bool shy_of_codes = false;
};

inline constexpr std::size_t kContextWindow = 40;
inline constexpr float kContextBoost = 0.4F;

/// The built-in table: every group below, concatenated.
std::span<const PatternSpec> builtinPatterns() noexcept;

/// The groups, each in its own file so they can grow independently: contact data, cards, bank
/// numbers, network addresses and the first secrets (patterns.cc); national identifiers
/// (patterns_national.cc); further secret and token formats (patterns_secrets.cc); regional
/// phone, postcode, licence and registration formats (patterns_regional.cc); PERSON and LOCATION
/// from the gazetteer (patterns_names.cc).
std::span<const PatternSpec> corePatterns() noexcept;
std::span<const PatternSpec> nationalIdPatterns() noexcept;
std::span<const PatternSpec> secretPatterns() noexcept;
std::span<const PatternSpec> regionalPatterns() noexcept;
std::span<const PatternSpec> namePatterns() noexcept;

} // namespace cordon::classify
