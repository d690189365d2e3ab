// Compile-fail test: empty input (docs/semantics.md §1.3: not an object).
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: empty input
// expect-offset: 0
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{""};
#else
constexpr capmatch::static_capability key{"{}"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
