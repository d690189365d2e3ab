// capmatch — documented limits. Input beyond a limit is an error (errc::limit_exceeded), never truncated.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Largest capability document capability::parse accepts, in bytes.
inline constexpr std::size_t max_document_bytes = 16u << 20;

CAPMATCH_NAMESPACE_END
