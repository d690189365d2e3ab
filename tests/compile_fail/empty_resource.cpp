// Compile-fail test: an empty resource name.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: empty resource
// expect-offset: 1
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"":["publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"*":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
