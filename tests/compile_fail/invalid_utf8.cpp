// Compile-fail test: invalid UTF-8 in a resource.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: invalid UTF-8
// expect-offset: 5
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{"{\"caf\xC3\":[\"publish\"]}"};
#else
constexpr capmatch::static_capability key{"{\"caf\xC3\xA9\":[\"publish\"]}"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
