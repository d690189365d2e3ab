// Compile-fail test: a raw control character (tab) inside a string.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: control character
// expect-offset: 3
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{"{\"a\tb\":[\"publish\"]}"};
#else
constexpr capmatch::static_capability key{"{\"a\\tb\":[\"publish\"]}"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
