// Compile-fail test: an unknown operation: wrong case.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: unknown operation
// expect: did you mean 'publish'?
// expect-offset: 11
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat:*":["Publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat:*":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
