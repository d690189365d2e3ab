// capmatch — superseded: the one reader of JSON objects for wire forms is detail/json_object.hpp
// (json_object; parse_decimal lives there too). This header only forwards to it so that code
// still including it (tools/commands/token_request.cpp) builds; include json_object.hpp instead.
// SPDX-License-Identifier: MIT
#pragma once

#include "json_object.hpp"
