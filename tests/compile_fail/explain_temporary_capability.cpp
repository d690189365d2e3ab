// Compile-fail test: explain() of a temporary capability would return a decision whose
// matched resources dangle. The overload is deleted.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin, which keeps the capability alive) it must compile.
// expect-gcc: use of deleted function
// expect-clang: call to deleted function 'explain'
// expect-offset: none
#include <capmatch/explain.hpp>

int main() {
#ifdef CAPMATCH_COMPILE_FAIL
  const auto d = capmatch::explain(capmatch::capability::parse(R"({"chat:*":["publish"]})").value(), "chat:a",
                                   capmatch::operation::publish);
#else
  const auto cap = capmatch::capability::parse(R"({"chat:*":["publish"]})").value();
  const auto d = capmatch::explain(cap, "chat:a", capmatch::operation::publish);
#endif
  return d.to_string().empty() ? 1 : 0;
}
