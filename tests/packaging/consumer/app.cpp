// A consumer of capmatch, built by tests/packaging/packaging_test.py in each way the library
// can be consumed. Prints one line the test compares.
#if defined(CONSUMER_SINGLE_HEADER)
#include <capmatch.hpp>
#else
#include <capmatch/capmatch.hpp>
#endif

#include <cstdio>

// Compile time: the same parser as at run time.
static_assert(capmatch::capability::parse(R"({"chat:*":["publish"]})")->allows("chat:a", capmatch::operation::publish));

int main() {
  const auto key = capmatch::capability::parse(R"({"chat:*":["publish","subscribe"]})");
  const auto request = capmatch::capability::parse(R"({"chat:lobby":["subscribe","presence"]})");
  if (!key || !request) return 1;
  const auto effective = capmatch::intersect(*key, *request);
  if (!effective) return 1;
  std::printf("capmatch %s: %s allowed=%d denied=%d\n", CAPMATCH_VERSION_STRING, effective->to_json().c_str(),
              effective->allows("chat:lobby", capmatch::operation::subscribe) ? 1 : 0,
              effective->allows("chat:lobby", capmatch::operation::publish) ? 1 : 0);
  return 0;
}
