// Validators for secret and token formats (Check::Custom rows of patterns_secrets.cc).
#pragma once

#include <string_view>

namespace cordon::classify {

/// A random-looking token: Shannon entropy >= 3 bits/byte and upper-case letters, lower-case
/// letters and digits all present (drops placeholders, words, hex digests).
bool mixedSecretValid(std::string_view text) noexcept;

/// An AWS secret access key: mixedSecretValid, and not path-like (at most three '/' and four
/// '/' or '+' in all; a random 40-character key averages 1.25).
bool awsSecretValid(std::string_view text) noexcept;

/// A Discord bot token: its first dot-separated part has the shape of the base64 of a decimal
/// user id (every fourth character 'M', 'N' or 'O').
bool discordTokenValid(std::string_view text) noexcept;

/// A Bitcoin base58check P2PKH / P2SH address (version 0x00 or 0x05, double-SHA-256 checksum).
bool bitcoinBase58Valid(std::string_view text) noexcept;

/// A Bitcoin bech32 / bech32m segwit address (bc1..., BIP 173 / BIP 350 checksums).
bool bitcoinBech32Valid(std::string_view text) noexcept;

} // namespace cordon::classify
