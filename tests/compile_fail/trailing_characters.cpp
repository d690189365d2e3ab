// Compile-fail test: text after the closing brace.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: trailing characters after the capability
// expect-offset: 21
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":["publish"]} x)"};
#else
constexpr capmatch::static_capability key{R"({"chat":["publish"]} )"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
