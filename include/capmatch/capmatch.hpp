// capmatch — Ably-compatible capabilities for C++20: parse, match, intersect, explain, lint.
// The umbrella header: include this one (or the single header single_include/capmatch.hpp).
// SPDX-License-Identifier: MIT
#pragma once

#include "version.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "operation.hpp"
#include "name.hpp"
#include "pattern.hpp"
#include "capability.hpp"
#include "capability_builder.hpp"
#include "json_string.hpp"
#include "intersect.hpp"
#include "explain.hpp"
#include "matcher.hpp"
#include "lint.hpp"
#include "covers.hpp"
#include "union.hpp"
#include "static_capability.hpp"
#include "revocation.hpp"
#include "signed_grant.hpp"
#include "replay_guard.hpp"
#include "capability_cache.hpp"
#include "token_request.hpp"
#include "user_claims.hpp"
#include "jwt.hpp"
