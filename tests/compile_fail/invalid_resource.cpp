// Compile-fail test: a qualifier without its closing bracket.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: has '[' without a closing ']'
// expect-offset: 1
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"[queue":["publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"[queue]*":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
