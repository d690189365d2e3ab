// Compile-fail test: the "..."_cap literal with an unknown operation. g++ also prints the
// whole message (it is a template argument); clang 14 prints the key phrase and offset.
// expect: unknown operation
// expect: did you mean 'publish'?
// expect-gcc: unknown operation 'Publish' at byte 11; operations are lower-case, did you mean 'publish'?
// expect-offset: 11
#include <capmatch/static_capability.hpp>

using namespace capmatch::literals;

#ifdef CAPMATCH_COMPILE_FAIL
constexpr auto key = R"({"chat:*":["Publish"]})"_cap;
#else
constexpr auto key = R"({"chat:*":["publish"]})"_cap;
#endif

int main() { return key.json().empty() ? 1 : 0; }
