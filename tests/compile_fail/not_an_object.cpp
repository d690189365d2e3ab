// Compile-fail test: a document that is not an object.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: a capability must be a JSON object
// expect: found an array
// expect-offset: 0
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"(["publish"])"};
#else
constexpr capmatch::static_capability key{R"({"chat":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
