// Harness sanity check (registered with should_fail): the literal fails to compile, but
// with another error than the one expected, so check_compile_fail.py must report a mismatch.
// expect: empty operation list for resource
// expect-offset: 11
#include <capmatch/static_capability.hpp>

#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability key{R"({"chat:*":["Publish"]})"};
#else
constexpr capmatch::static_capability key{R"({"chat:*":["publish"]})"};
#endif

int main() { return key.json().empty() ? 1 : 0; }
