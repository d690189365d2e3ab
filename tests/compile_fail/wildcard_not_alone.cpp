// Compile-fail test: '*' listed with other operations.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: '*' must be the only operation for resource
// expect-offset: 13
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":["*","publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat":["*"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
