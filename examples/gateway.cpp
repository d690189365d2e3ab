// Example: a gateway's hot path. Every message a connection publishes, and every channel
// it attaches to, is checked against the connection's token capability.
//
// Parse the capability and compile it into a capmatch::matcher once per connection (when
// the token arrives); each check then reads the channel name once, allocates nothing and
// costs the same however many patterns the capability has.
//
// Build: c++ -std=c++20 -O2 -I include examples/gateway.cpp -o gateway
#include <capmatch/capmatch.hpp>
#include <capmatch/matcher.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string_view>

namespace {

// One client's traffic, as the gateway sees it.
struct frame {
  std::string_view channel;
  capmatch::operation op;
};

// A connection holds what it needs to authorize frames: the token's capability, compiled once.
class connection {
 public:
  explicit connection(const capmatch::capability& cap) : matcher_(cap) {}

  // True when the frame is allowed; the gateway answers a denied frame with error 40160.
  // Same answer as capability::allows (app-wide operations such as stats are never allowed
  // on a channel: check those with allows_app_wide).
  [[nodiscard]] bool authorize(const frame& f) const noexcept { return matcher_.allows(f.channel, f.op); }

 private:
  capmatch::matcher matcher_;
};

}  // namespace

int main() {
  const auto cap = capmatch::capability::parse(
      R"({"chat:*":["publish","subscribe","presence"],"[meta]channel.lifecycle":["subscribe"],)"
      R"("notifications:user-42":["subscribe"],"[?rewind=1]news":["subscribe","history"]})");
  if (!cap) {
    std::fprintf(stderr, "token capability rejected: %.*s\n", static_cast<int>(cap.error().message().size()),
                 cap.error().message().data());
    return 1;
  }
  const connection conn{*cap};

  using capmatch::operation;
  const frame traffic[] = {
      {"chat:lobby", operation::publish},
      {"chat:lobby", operation::subscribe},
      {"chat:room:7", operation::presence},
      {"chat:lobby", operation::history},               // not granted
      {"news", operation::subscribe},
      {"news", operation::publish},                     // not granted
      {"[meta]channel.lifecycle", operation::subscribe},
      {"notifications:user-42", operation::subscribe},
      {"notifications:user-43", operation::subscribe},  // someone else's
      {"chat", operation::publish},                     // "chat:*" needs a segment after "chat:"
      {"chat::x", operation::publish},                  // invalid name: granted nothing
      {"[meta]chat:lobby", operation::subscribe},       // qualified: "chat:*" does not cover it
  };
  constexpr std::size_t n = sizeof traffic / sizeof traffic[0];

  // Which frames pass, once each, to show the decisions.
  for (const frame& f : traffic) {
    const bool ok = conn.authorize(f);
    if (ok != cap->allows(f.channel, f.op)) return 1;  // cannot happen: the matcher is exact
    std::printf("%-26.*s %-10.*s %s\n", static_cast<int>(f.channel.size()), f.channel.data(),
                static_cast<int>(capmatch::name_of(f.op).size()), capmatch::name_of(f.op).data(),
                ok ? "allowed" : "denied (40160)");
  }

  // The hot loop: the same traffic, many times.
  constexpr std::size_t rounds = 100000;
  std::size_t allowed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t r = 0; r < rounds; ++r)
    for (const frame& f : traffic) allowed += conn.authorize(f) ? 1 : 0;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("%zu checks, %zu allowed\n", rounds * n, allowed);
  std::fprintf(stderr, "%.1f million checks/s\n", static_cast<double>(rounds * n) / took.count() / 1e6);
  return 0;
}
