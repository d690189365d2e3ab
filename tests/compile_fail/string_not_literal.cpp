// Compile-fail test: a std::string passed where a literal is checked during compilation.
// The diagnostic names the run-time escape hatch, capmatch::capability::parse.
// expect: capmatch::static_capability checks a string literal during compilation
// expect: use capmatch::capability::parse(text)
// expect-offset: none
#include <capmatch/static_capability.hpp>

#include <string>

int main(int argc, char**) {
#ifdef CAPMATCH_COMPILE_FAIL
  const std::string text = argc > 1 ? R"({"chat":["publish"]})" : "{}";
  const capmatch::static_capability key{text};
  return key.empty() ? 1 : 0;
#else
  const std::string text = argc > 1 ? R"({"chat":["publish"]})" : "{}";
  const auto key = capmatch::capability::parse(text);  // the escape hatch
  return key ? 0 : 1;
#endif
}
