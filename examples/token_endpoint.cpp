// Example: the capability step of an Ably-style token endpoint.
//
// A client asks for a token and may request a capability; the token gets the
// intersection of the key's capability and the request (or the key's own when nothing
// was requested). When the request is malformed or nothing is left, the endpoint
// answers with the Ably error: code, statusCode and message.
//
// Build: c++ -std=c++20 -I include examples/token_endpoint.cpp -o token_endpoint
#include <capmatch/capmatch.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

// What the endpoint sends back: an HTTP status and a JSON body.
struct response {
  unsigned status = 200;
  std::string body;
};

// The capability a token gets: key ∩ request, or the Ably error (40000 for a malformed
// request, 40160 when the key grants none of it).
capmatch::result<capmatch::capability> effective_capability(const capmatch::capability& key,
                                                            std::optional<std::string_view> requested) {
  if (!requested) return capmatch::intersect(key);
  const auto request = capmatch::capability::parse(*requested);
  if (!request) return request.error();
  return capmatch::intersect(key, *request);
}

// `s` as a JSON string literal.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + '"';
}

// The endpoint's answer. Ably tokens carry the capability as a JSON string; the canonical
// text from to_json() is byte-identical for equal capabilities, so it can be cached or compared.
response token_capability(const capmatch::capability& key, std::optional<std::string_view> requested) {
  const auto cap = effective_capability(key, requested);
  if (!cap) {
    const capmatch::error& e = cap.error();
    return {e.status_code(), "{\"error\":{\"code\":" + std::to_string(e.ably_code()) +
                                 ",\"statusCode\":" + std::to_string(e.status_code()) +
                                 ",\"message\":" + json_string(e.message()) + "}}"};
  }
  return {200, "{\"capability\":" + json_string(cap->to_json()) + "}"};
}

int main() {
  // The key's capability is configuration: parse it once at start-up and refuse to run if it is wrong.
  const auto key = capmatch::capability::parse(
      R"({"chat:*":["publish","subscribe","presence","history"],"notifications":["subscribe"]})");
  if (!key) {
    std::fprintf(stderr, "bad key capability: %.*s\n", static_cast<int>(key.error().message().size()),
                 key.error().message().data());
    return 1;
  }

  const std::optional<std::string_view> requests[] = {
      std::nullopt,                                           // no capability requested: the key's
      R"({"chat:lobby":["subscribe","history"]})",            // a subset
      R"({"chat:*":["*"],"notifications":["*"]})",            // more than the key has: trimmed
      R"({"admin":["publish"]})",                             // nothing in common: 40160
      R"({"chat:lobby":["Publish"]})",                        // unknown operation: 40000
      R"({"chat:lobby":["subscribe"],})",                     // malformed JSON: 40000
  };
  for (const auto& request : requests) {
    const response r = token_capability(*key, request);
    std::printf("request %s\n  -> %u %s\n", request ? std::string(*request).c_str() : "(none)", r.status,
                r.body.c_str());
  }
  return 0;
}
