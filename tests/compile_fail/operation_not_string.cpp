// Compile-fail test: an operation that is not a string.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: must be strings
// expect: found a number
// expect-offset: 9
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":[1]})"};
#else
constexpr capmatch::static_capability key{R"({"chat":["history"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
