// Compile-fail test: a \uD800 escape without its low surrogate.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: lone surrogate
// expect-offset: 2
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"\uD800x":["publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"\uD83D\uDE00x":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
