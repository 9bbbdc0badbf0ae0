// Validators for secret and token formats (Check::Custom rows of patterns_secrets.cc).
#pragma once

#include <cstddef>
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

/// Where the secret sits inside a credential candidate, relative to its start; length 0 when the
/// candidate holds no real secret.
struct SecretSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
};

/// The password of a credential candidate (Check::Credential):
/// - "://user:secret@" (URL user info): the bytes between the first ':' and the '@';
/// - "password=secret" / "pwd=secret" (connection strings, URL queries, environment): the value.
/// Placeholders and references are not secrets: values starting with '$', '%', '{', '<', '*'
/// or '/', and all-'*' or all-'x' values. `left` and `right` are the bytes just before and after
/// the candidate (0 at the text's edge): a key=value pair counts only as a whole field of a
/// connection string, query or assignment (after nothing, ';', '?', '&', '_', space or a quote;
/// before nothing, ';', '&', space or a quote); "pwd=" only after ';' (PWD is also the shell's
/// working directory).
SecretSpan credentialSecret(std::string_view candidate, char left, char right) noexcept;

} // namespace cordon::classify
