// Compile-fail test: an operation listed twice for one resource.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: operation listed twice for resource
// expect-offset: 19
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat":["publish","publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat":["publish","subscribe"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
