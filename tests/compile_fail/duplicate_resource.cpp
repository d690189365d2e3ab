// Compile-fail test: a resource listed twice (a decision: never last-wins).
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: resource listed twice
// expect-offset: 20
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":["publish"],"chat":["subscribe"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat":["publish"],"chat:*":["subscribe"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
