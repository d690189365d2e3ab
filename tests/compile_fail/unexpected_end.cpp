// Compile-fail test: malformed JSON: the closing brace is missing.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: unexpected end of input
// expect: expected ',' or '}'
// expect-offset: 19
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":["publish"])"};
#else
constexpr capmatch::static_capability key{R"({"chat":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
