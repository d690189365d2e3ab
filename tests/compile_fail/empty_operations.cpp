// Compile-fail test: an empty operation list.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: empty operation list for resource
// expect-offset: 8
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":[]})"};
#else
constexpr capmatch::static_capability key{R"({"chat":["*"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
