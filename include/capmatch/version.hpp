// capmatch — Ably-compatible capabilities for C++20: version and namespace macros.
// SPDX-License-Identifier: MIT
#pragma once

/// Version of the library; bumped with CHANGELOG.md.
#define CAPMATCH_VERSION_MAJOR 0
#define CAPMATCH_VERSION_MINOR 1
#define CAPMATCH_VERSION_PATCH 0
#define CAPMATCH_VERSION_STRING "0.1.0"

// Every public name lives in an inline namespace named after the major and minor
// version (0.x minor releases may break the ABI), so that two copies of different
// versions in one program fail to link instead of silently mixing.
#define CAPMATCH_NAMESPACE_BEGIN namespace capmatch { inline namespace v0_1 {
#define CAPMATCH_NAMESPACE_END } }
