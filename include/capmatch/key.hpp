// capmatch — Ably API keys: `appId.keyId:secret`, parsed once, signing ready, printed redacted.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "crypto/hmac.hpp"
#include "crypto/sha256.hpp"
#include "error.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// An Ably API key: the key name `appId.keyId` and the secret, whose UTF-8 bytes are the HMAC key
/// (docs/semantics.md §19; the secret is not base64-decoded). It prints as `appId.keyId:***`;
/// no error, text or stream output of this type contains the secret.
class api_key {
 public:
  /// Longest accepted key text, in bytes.
  static constexpr std::size_t max_size = 1024;

  /// The empty key (no name, no secret); parse() makes real ones.
  api_key() = default;

  /// Parses `appId.keyId:secret`. appId and keyId: one or more ASCII letters, digits, `-` or `_`;
  /// secret: non-empty UTF-8 without control characters or `:`. Errors are errc::invalid_key
  /// (40000), their messages give offsets in the key name only and never quote the input.
  [[nodiscard]] static result<api_key> parse(std::string_view text) {
    auto fail = [](std::uint32_t at, std::string_view what) {
      capmatch::error e(errc::invalid_key, at);
      e.append("invalid API key: ").append(what);
      if (at != no_offset) e.append_at();
      return e.append("; expected 'appId.keyId:secret'");
    };
    if (text.empty()) return fail(no_offset, "empty");
    if (text.size() > max_size) return fail(no_offset, "longer than 1024 bytes");
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return fail(no_offset, "no ':' between the key name and the secret");
    const auto name = text.substr(0, colon), secret = text.substr(colon + 1);
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) return fail(no_offset, "no '.' between the app id and the key id");
    if (dot == 0) return fail(0, "empty app id");
    if (dot + 1 == name.size()) return fail(static_cast<std::uint32_t>(dot + 1), "empty key id");
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || (c == '.' && i == dot);
      if (!ok) return fail(static_cast<std::uint32_t>(i), "a key name character other than a letter, digit, '-' or '_'");
    }
    // Secret checks report no offset: where a bad byte sits is already a hint about the secret.
    if (secret.empty()) return fail(no_offset, "empty secret");
    bool colon_in = false, control = false, utf8 = true;
    for (std::size_t i = 0; i < secret.size();) {
      const auto c = static_cast<unsigned char>(secret[i]);
      colon_in |= c == ':';
      control |= c < 0x20 || c == 0x7F;
      const std::size_t len = detail::utf8_length(secret, i);
      if (len == 0) {
        utf8 = false;
        ++i;
      } else {
        i += len;
      }
    }
    if (colon_in) return fail(no_offset, "the secret contains ':'");
    if (control) return fail(no_offset, "the secret contains a control character");
    if (!utf8) return fail(no_offset, "the secret is not valid UTF-8");
    api_key k;
    k.name_ = name;
    k.dot_ = dot;
    k.secret_ = secret;
    k.hmac_ = crypto::hmac_sha256_key(secret);
    return k;
  }

  /// `appId.keyId`.
  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] std::string_view app_id() const noexcept { return std::string_view(name_).substr(0, dot_); }
  [[nodiscard]] std::string_view key_id() const noexcept {
    return name_.empty() ? std::string_view() : std::string_view(name_).substr(dot_ + 1);
  }
  /// The HMAC-SHA256 key made of the secret (inner and outer pads precomputed).
  [[nodiscard]] const crypto::hmac_sha256_key& hmac() const noexcept { return hmac_; }
  /// HMAC-SHA256 of `message` keyed with the secret.
  [[nodiscard]] crypto::sha256_digest sign(std::string_view message) const noexcept { return hmac_.sign(message); }
  /// `appId.keyId:***`: the only text form of a key.
  [[nodiscard]] std::string to_string() const { return name_ + ":***"; }
  /// The secret itself, for the rare call that must send it (HTTP Basic auth). Never log it.
  [[nodiscard]] std::string_view reveal_secret() const noexcept { return secret_; }

  /// Streams the redacted form (any ostream-like type; <ostream> is not included here).
  template <class Stream, class = decltype(std::declval<Stream&>() << std::string_view())>
  friend Stream& operator<<(Stream& os, const api_key& k) {
    os << std::string_view(k.name_) << std::string_view(":***");
    return os;
  }

 private:
  std::string name_;
  std::size_t dot_ = 0;
  std::string secret_;
  crypto::hmac_sha256_key hmac_;
};

CAPMATCH_NAMESPACE_END
