// capmatch — Ably-compatible capabilities for C++20: parse, match, intersect, explain.
// The umbrella header: include this one.
// SPDX-License-Identifier: MIT
#pragma once

#include "version.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "operation.hpp"
#include "resource.hpp"
#include "capability.hpp"
#include "intersect.hpp"
#include "explain.hpp"
