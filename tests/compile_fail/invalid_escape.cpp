// Compile-fail test: an escape JSON does not define.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: invalid escape
// expect-offset: 3
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"a\qb":["publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"a\nb":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
