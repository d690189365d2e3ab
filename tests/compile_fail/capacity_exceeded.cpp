// Compile-fail test: a constexpr std::string_view longer than the capacity given explicitly.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: capability literal longer than the static_capability<N> capacity
// expect-offset: 8
#include <capmatch/static_capability.hpp>

#include <string_view>

constexpr std::string_view text = R"({"chat":["publish"]})";
#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::static_capability<8> key{text};
#else
constexpr capmatch::static_capability<64> key{text};
#endif

int main() { return key.json() == text ? 0 : 1; }
