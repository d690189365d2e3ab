// Compile-fail test: a UTF-8 byte order mark before the object.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: byte order mark
// expect-offset: 0
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{"\xEF\xBB\xBF{}"};
#else
constexpr capmatch::static_capability key{"{}"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
