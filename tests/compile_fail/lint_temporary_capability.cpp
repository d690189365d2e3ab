// Compile-fail test: lint() of a temporary capability would return findings whose resource
// views dangle (to_string of one was a heap-use-after-free). The overload is deleted.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin, which keeps the capability alive) it must compile.
// expect-gcc: use of deleted function
// expect-clang: call to deleted function 'lint'
// expect-offset: none
#include <capmatch/lint.hpp>

#include <string>

int main() {
#ifdef CAPMATCH_COMPILE_FAIL
  const auto findings = capmatch::lint(capmatch::capability::parse(R"({"*":["*"]})").value());
#else
  const auto cap = capmatch::capability::parse(R"({"*":["*"]})").value();
  const auto findings = capmatch::lint(cap);
#endif
  return capmatch::to_string(findings[0]).empty() ? 1 : 0;
}
