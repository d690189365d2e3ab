// Compile-fail test: malformed JSON: no ':' after the resource.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: unexpected character
// expect: expected ':' after the resource name
// expect-offset: 8
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat" ["publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat": ["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
