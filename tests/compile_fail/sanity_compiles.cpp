// Harness sanity check (registered with should_fail): the "bad" literal here is valid, so
// check_compile_fail.py must report that the failing variant compiled.
// expect: unknown operation
// expect-offset: 11
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat:*":["publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat:*":["subscribe"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
