// Compile-fail test: explain() with a temporary std::string name would return a decision whose
// name view dangles. The overload is deleted.
// Built twice by check_compile_fail.py: with CAPMATCH_COMPILE_FAIL it must fail with the
// diagnostics below; without it (the twin, which keeps the name alive) it must compile.
// expect-gcc: use of deleted function
// expect-clang: call to deleted function 'explain'
// expect-offset: none
#include <capmatch/explain.hpp>

#include <string>

int main() {
  const auto cap = capmatch::capability::parse(R"({"chat:*":["publish"]})").value();
#ifdef CAPMATCH_COMPILE_FAIL
  const auto d = capmatch::explain(cap, std::string("chat:a"), capmatch::operation::publish);
#else
  const std::string name("chat:a");
  const auto d = capmatch::explain(cap, name, capmatch::operation::publish);
#endif
  return d.to_string().empty() ? 1 : 0;
}
