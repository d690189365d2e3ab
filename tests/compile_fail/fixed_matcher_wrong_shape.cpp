// Compile-fail test: a fixed_matcher declared with sizes other than its matcher's shape()
// (issue 11: it used to copy what fitted and answer from truncated tables).
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin) it must compile.
// expect: fixed_matcher_sizes_differ_from_the_matcher_shape
// expect-offset: none
#include <capmatch/matcher.hpp>

#include <string_view>

constexpr std::string_view text = R"({"chat:*":["publish"],"[queue]jobs:*":["subscribe"]})";
constexpr capmatch::matcher_shape shape = capmatch::matcher(capmatch::capability::parse(text).value()).shape();
#ifdef CAPMATCH_COMPILE_FAIL
constexpr capmatch::fixed_matcher<shape.words - 1, shape.long_edges, shape.pool> m{
    capmatch::matcher(capmatch::capability::parse(text).value())};
#else
constexpr capmatch::fixed_matcher<shape.words, shape.long_edges, shape.pool> m{
    capmatch::matcher(capmatch::capability::parse(text).value())};
#endif

int main() { return m.allows("chat:x", capmatch::operation::publish) ? 0 : 1; }
