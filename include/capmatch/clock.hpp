// capmatch — the system clock in milliseconds since the Unix epoch: the default clock of
// token requests, revocation and the CLI. Every API that needs a time also takes one.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// The current time in milliseconds since the Unix epoch (std::chrono::system_clock).
[[nodiscard]] inline std::int64_t system_clock_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A clock: milliseconds since the Unix epoch.
using clock_ms_fn = std::int64_t (*)() noexcept;

CAPMATCH_NAMESPACE_END
