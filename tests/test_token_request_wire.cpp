// The verifier's reading of a TokenRequest's wire form (token_request_wire.hpp): the one-pass
// reader of the usual form is an accelerator of the general reader, never a second definition.
// On every input it either declines, or the general reader accepts the same text and reads the
// same fields. Inputs: valid requests as signers send them, and the same with hostile changes.
#include <capmatch/token_request.hpp>
#include <capmatch/token_request_wire.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "random.hpp"

using namespace capmatch;
using namespace std::literals;

namespace {

struct member_text {
  std::string name, value;  // both as written (the name with its quotes)
};

std::string join(const std::vector<member_text>& ms, capmatch_test::splitmix64& rng, bool odd_space) {
  const char* const spaces[] = {"", "", "", " ", "\n  ", "\t", "\r\n"};
  const char* const odd[] = {"\f", "\v", "\xc2\xa0", "\x00"};  // not JSON whitespace
  auto sp = [&]() -> std::string {
    if (odd_space && rng.chance(5)) return std::string(rng.pick(odd), rng.chance(25) ? 1 : std::strlen(rng.pick(odd)));
    return rng.pick(spaces);
  };
  std::string out = sp() + "{";
  for (std::size_t k = 0; k < ms.size(); ++k) {
    if (k > 0) out += sp() + ",";
    out += sp() + ms[k].name + sp() + ":" + sp() + ms[k].value;
  }
  return out + sp() + "}" + sp();
}

/// A valid request's members (as an ably-js client or capmatch's signer writes them).
std::vector<member_text> valid_members(capmatch_test::splitmix64& rng) {
  std::vector<member_text> ms = {{R"("keyName")", R"("appid.keyid")"}};
  if (rng.chance(60)) ms.push_back({R"("ttl")", rng.chance(20) ? R"("3600000")" : "3600000"});
  if (rng.chance(60))
    ms.push_back({R"("capability")", rng.chance(50) ? R"("{\"chat:*\":[\"publish\",\"subscribe\"]}")"
                                                    : R"("{\"a\/b:*\":[\"*\"],\"x\\\"y\":[\"history\"]}")"});
  if (rng.chance(60)) ms.push_back({R"("clientId")", rng.chance(80) ? R"("user-42")" : R"("*")"});
  ms.push_back({R"("timestamp")", rng.chance(20) ? R"("1700000000000")" : "1700000000000"});
  ms.push_back({R"("nonce")", R"("0123456789abcdef0123")"});
  ms.push_back({R"("mac")", R"("q1wNCOw7B+ybnfEG3dY8DUQ2XJrVqDfpe4+vr7oPrbU=")"});
  for (std::size_t k = ms.size(); k > 1; --k) std::swap(ms[k - 1], ms[rng.below(k)]);  // any order
  return ms;
}

const char* const hostile_names[] = {
    R"("keyName")", R"("ttl")", R"("capability")", R"("clientId")", R"("timestamp")", R"("nonce")", R"("mac")",
    R"("key\u004eame")", R"("KeyName")", R"("nonc")", R"("macs")", R"("")", R"("extra")", R"("ttl\u0000")",
    R"("t\tl")", "\"nonce\x01\"", R"("capabilities")", R"("keyname")", "keyName", R"('mac')", R"("timestamps")",
    R"("capabilit")", R"("c")", R"("m")", R"("clientI")", R"("ttl )"};

const char* const hostile_values[] = {
    // strings
    R"("appid.keyid")", R"("")", R"("a\"b")", R"("a\nb")", R"("\u00e9")", "\"\xc3\xa9\"", "\"\1770123456789abcdef\"",
    R"("0123456789abcdef")", R"("0123456789abcde")", "\"x\x01y\"", R"("a\/b-0123456789abcdef")", "\"\xff\"",
    R"("unterminated)", R"("\u0041\u0042\u0043\u0044\u0045\u0046\u0047\u0048\u0049\u004a\u004b\u004c\u004d\u004e\u004f\u0050")",
    // numbers and digit strings
    "0", "1", "3600000", "1700000000000", "-1", "-0", "1.5", "1e3", "1E+3", "01", "00", "9007199254740991",
    "9007199254740992", "18446744073709551616", R"("3600000")", R"("01")", R"("-1")", R"(" 1")", R"("1700000000000")",
    "1 2", "12a", "0x10", "1234567890123456", "12345678901234567", "00000000000000001", R"("12345678901234567")",
    "\"q1wNCOw7B+ybnfEG3dY8DUQ2XJrVqDfpe4+vr7oPrb\x7f=\"",
    // other values
    "true", "false", "null", "nul", "{}", "[]", "[1]", R"({"a":1})",
    // capabilities
    R"("{\"a\":[\"*\"]}")", R"("{\"a\/b\":[\"*\"]}")", R"("{\"\u0061\":[\"*\"]}")", R"("{\"a\\\\b\":[\"*\"]}")",
    R"("not json")", R"("\\")", R"("\/")",
    // macs
    R"("q1wNCOw7B+ybnfEG3dY8DUQ2XJrVqDfpe4+vr7oPrbU=")", R"("q1wNCOw7B-ybnfEG3dY8DUQ2XJrVqDfpe4-vr7oPrbU")"};

/// A wire struct whose every field holds a value no reader produces from these documents:
/// token_request_wire's fields have no initialisers (the verifier's hot path sets each one),
/// so a reader that forgot one would leave this value and compare unequal to the general
/// reader's (which starts from `{}`). The bools are all `flag`: both values are used.
detail::token_request_wire poisoned(bool flag) {
  // one more field and this function must set it too
  static_assert(sizeof(detail::token_request_wire) == 7 * sizeof(std::string_view) + 2 * sizeof(std::uint64_t) + 8);
  static constexpr std::string_view p = "\x01 unset by the reader";
  detail::token_request_wire w;
  w.key_name = w.capability = w.client_id = w.nonce = w.mac = w.ttl_text = w.timestamp_text = p;
  w.ttl = w.timestamp = 0x5eed'0000'dead'beefULL;
  w.has_ttl = w.has_capability = w.has_client_id = w.capability_escaped = w.capability_memoised = flag;
  return w;
}

/// Reads `doc` both ways; checks the one-pass reader's answer against the general reader's.
/// Returns 1 when the one-pass reader read it, 0 when it declined.
int both_ways(std::string_view doc, std::size_t max_bytes = max_token_request_bytes) {
  detail::token_request_wire fast = poisoned(true), general = poisoned(false);
  detail::json_object obj;
  error err;
  const bool general_ok = detail::read_token_request_general(doc, max_bytes, obj, general, err);
  const bool fast_ok = doc.size() <= max_bytes && detail::read_token_request_usual(doc, fast);
  if (fast_ok) {
    INFO("document: ", std::string(doc));
    REQUIRE(general_ok);  // accepting anything the definition refuses would be a hole
    CHECK(fast == general);
    // the views are into the text itself (nothing pooled: no escapes were decoded)
    for (std::string_view v : {fast.key_name, fast.capability, fast.client_id, fast.nonce, fast.mac})
      CHECK((v.empty() || (v.data() >= doc.data() && v.data() + v.size() <= doc.data() + doc.size())));
  }
  // and read_token_request (the verifier's entry) gives the general reader's answer
  detail::token_request_wire via = poisoned(true);
  const auto via_err = detail::read_token_request(doc, max_bytes, via);
  CHECK(!via_err == general_ok);
  if (!via_err && general_ok) CHECK(via == general);
  if (via_err && !general_ok) {
    CHECK(via_err->code() == err.code());
    CHECK(via_err->offset() == err.offset());
    CHECK(via_err->message() == err.message());
  }
  // and with a memo carried from one document to the next, as a verifier's thread keeps one:
  // a capability recognised from the memo reads exactly as a scanned one
  static detail::capability_memo memo;
  detail::token_request_wire with_memo = poisoned(false);
  const auto memo_err = detail::read_token_request(doc, max_bytes, with_memo, &memo);
  CHECK(!memo_err == general_ok);
  if (!memo_err && with_memo.capability_memoised) CHECK(with_memo.capability == memo.body);
  with_memo.capability_memoised = false;
  if (!memo_err && general_ok) CHECK(with_memo == general);
  if (memo_err && !general_ok) CHECK(memo_err->message() == err.message());
  return fast_ok ? 1 : 0;
}

}  // namespace

TEST_CASE("wire form: the one-pass reader reads what clients send (any member order, string integers, spaces)") {
  capmatch_test::splitmix64 rng{0x3a11'0bee};
  int read = 0;
  for (int i = 0; i < 2000; ++i) read += both_ways(join(valid_members(rng), rng, false));
  CHECK(read == 2000);  // every one of them: the usual form never goes through the member list

  // and requests exactly as the signer writes them (ASCII clientIds; a non-ASCII clientId is
  // left to the general reader, which reads it)
  auto key = api_key::parse("appid.keyid:secret-secret");
  REQUIRE(key.has_value());
  auto signer = token_request_signer::make(*key);
  REQUIRE(signer.has_value());
  int signed_read = 0, signed_total = 0;
  for (const char* cap : {"", R"({"chat:*":["publish"],"a/b":["*"]})", R"({"[?rewind=1]x":["subscribe"],"q\"":["*"]})"})
    for (const char* client : {"", "user-42", "*", "\xc3\xa9t\xc3\xa9"})
      for (const bool ttl : {false, true}) {
        token_params p;
        if (*cap != '\0') p.capability = cap;
        if (*client != '\0') p.client_id = client;
        if (ttl) p.ttl_ms = 60'000;
        std::string json;
        REQUIRE(signer->create_json(p, json).code() == errc::ok);
        signed_read += both_ways(json);
        ++signed_total;
      }
  CHECK(signed_total == 24);
  CHECK(signed_read == 18);  // all but the six with a non-ASCII clientId
}

TEST_CASE("wire form: on hostile documents the one-pass reader declines or reads what the general reader reads") {
  capmatch_test::splitmix64 rng{0x5ead'e4};
  int read = 0, declined_valid = 0, refused = 0;
  for (int i = 0; i < 40000; ++i) {
    std::vector<member_text> ms = valid_members(rng);
    const std::size_t changes = rng.below(4);
    for (std::size_t c = 0; c < changes; ++c) {
      switch (rng.below(8)) {
        case 7: {  // a hostile value for a known member (replacing the member's valid one)
          const std::string name = hostile_names[rng.below(7)];
          ms.erase(std::remove_if(ms.begin(), ms.end(), [&](const member_text& m) { return m.name == name; }), ms.end());
          ms.push_back({name, rng.pick(hostile_values)});
          break;
        }
        case 6: {  // the same request spelled otherwise: valid, and not the usual form
          const char* const respelled[][2] = {
              {R"("key\u004eame")", R"("appid.keyid")"}, {R"("keyName")", R"("\u0061ppid.keyid")"},
              {R"("nonce")", R"("0123456789abcdef\/")"}, {R"("clientId")", "\"\xc3\xa9t\xc3\xa9\""},
              {R"("clientId")", R"("\u00e9t\u00e9")"}, {R"("mac")", R"("q1wNCOw7B+ybnfEG3dY8DUQ2XJrVqDfpe4+vr7oPrbU\u003d")"}};
          const auto& r = rng.pick(respelled);
          ms.erase(std::remove_if(ms.begin(), ms.end(), [&](const member_text& m) {
                     return m.name == r[0] || (std::string_view(r[0]) == R"("key\u004eame")" && m.name == R"("keyName")");
                   }), ms.end());
          ms.push_back({r[0], r[1]});
          break;
        }
        case 0:  // another value
          ms[rng.below(ms.size())].value = rng.pick(hostile_values);
          break;
        case 1:  // another name
          ms[rng.below(ms.size())].name = rng.pick(hostile_names);
          break;
        case 2:  // one more member (perhaps a duplicate)
          ms.push_back({rng.pick(hostile_names), rng.pick(hostile_values)});
          break;
        case 3:  // one fewer
          if (ms.size() > 1) ms.erase(ms.begin() + static_cast<std::ptrdiff_t>(rng.below(ms.size())));
          break;
        default:  // the same member twice
          ms.push_back(ms[rng.below(ms.size())]);
          break;
      }
    }
    std::string doc = join(ms, rng, true);
    switch (rng.below(12)) {  // and sometimes a broken byte
      case 0:
        doc.erase(rng.below(doc.size()), 1);
        break;
      case 1:
        doc.insert(rng.below(doc.size() + 1), 1, "{}[],:\"\\ 0-e.\x01\x7f\x80"[rng.below(16)]);
        break;
      case 2:
        doc.resize(rng.below(doc.size() + 1));
        break;
      case 3:
        if (!doc.empty()) doc[rng.below(doc.size())] = "{}[],:\"\\ 0-e.\x01\x7f\x80"[rng.below(16)];
        break;
      case 4:  // the last structural byte replaced
        if (const std::size_t at = doc.find_last_of('}'); at != std::string::npos)
          doc[at] = "]{,:\" 0"[rng.below(6)];
        break;
      default:
        break;
    }
    const int r = both_ways(doc);
    read += r;
    detail::token_request_wire w;
    detail::json_object obj;
    error err;
    const bool valid = detail::read_token_request_general(doc, max_token_request_bytes, obj, w, err);
    declined_valid += valid && r == 0;
    refused += !valid;
  }
  // the generator reaches all three outcomes often
  CHECK(read > 2500);
  CHECK(declined_valid > 400);
  CHECK(refused > 10000);
}

TEST_CASE("wire form: parse_decimal at the 64-bit edge and at its limits") {
  const std::uint64_t u64_max = ~std::uint64_t{0};
  struct row { const char* text; std::uint64_t max; bool ok; std::uint64_t value; };
  const row rows[] = {
      {"0", 5, true, 0}, {"5", 5, true, 5}, {"6", 5, false, 0}, {"05", 5, false, 0}, {"", 5, false, 0},
      {"9007199254740991", max_timestamp_ms, true, max_timestamp_ms}, {"9007199254740992", max_timestamp_ms, false, 0},
      {"9999999999999999999", u64_max, true, 9'999'999'999'999'999'999ull},  // 19 digits
      {"10000000000000000000", u64_max, true, 10'000'000'000'000'000'000ull},
      {"18446744073709551615", u64_max, true, u64_max},  // 2^64 - 1
      {"18446744073709551616", u64_max, false, 0},       // 2^64: would wrap
      {"99999999999999999999", u64_max, false, 0},       // would wrap to a small number
      {"18446744073709551615", u64_max - 1, false, 0}, {"100000000000000000000", u64_max, false, 0},
      {"1a", 99, false, 0}, {"-1", 99, false, 0}, {"1.0", 99, false, 0},
      // 20 digits (the digit-at-a-time path) against a max below their digits
      {"18446744073709551619", 5, false, 0}, {"18446744073709551616", 0, false, 0}};
  for (const row& r : rows) {
    std::uint64_t v = 12345;
    INFO(r.text, " max ", r.max);
    CHECK(detail::parse_decimal(r.text, r.max, v) == r.ok);
    CHECK(v == (r.ok ? r.value : 12345u));
  }
}

TEST_CASE("wire form: parse_decimal's eight-digit steps equal a digit-at-a-time reading") {
  // The reference, straight from the rule: digits only, no leading zero, at most 20 digits,
  // compared with max without ever wrapping.
  auto reference = [](std::string_view s, std::uint64_t max, std::uint64_t& out) {
    if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (d > max || v > (max - d) / 10) return false;
      v = v * 10 + d;
    }
    out = v;
    return true;
  };
  capmatch_test::splitmix64 rng{0xdec1'0a11};
  // bytes next to the digits in every way a word test could confuse: '/' and ':' (just outside
  // '0'..'9'), bytes whose high nibble is 3 ('3' + 10..15), bytes that carry when 6 is added
  const unsigned char odd[] = {'/', ':', ';', '?', '+', '-', '.', ' ', 0x00, 0x06, 0x2A, 0x40, 0x69, 0x7F,
                               0x80, 0xB0, 0xF9, 0xFA, 0xFF};
  long checks = 0;
  for (int round = 0; round < 4000; ++round) {
    const std::size_t len = 1 + rng.next() % 21;
    std::string s(len, '0');
    for (auto& c : s) c = static_cast<char>('0' + rng.next() % 10);
    if (rng.next() % 4 != 0 && len > 1) s[0] = static_cast<char>('1' + rng.next() % 9);
    const std::uint64_t maxes[] = {~std::uint64_t{0}, max_timestamp_ms, rng.next(), rng.next() >> (rng.next() % 64)};
    for (std::size_t pos = 0; pos <= len; ++pos) {  // pos == len: no byte replaced
      std::string t = s;
      if (pos < len) t[pos] = static_cast<char>(odd[rng.next() % sizeof odd]);
      for (std::uint64_t max : maxes) {
        std::uint64_t want = 7, got = 7;
        const bool ok = reference(t, max, want);
        INFO("text '", t, "' max ", max);
        REQUIRE(detail::parse_decimal(t, max, got) == ok);
        CHECK(got == (ok ? want : 7u));
        ++checks;
      }
    }
  }
  CHECK(checks > 100'000);
}

TEST_CASE("wire form: a capability equal to the memo's is recognised, and nothing else is") {
  auto doc = [](std::string_view cap_json) {
    return R"({"keyName":"appid.keyid","capability":)" + std::string(cap_json) +
           R"(,"timestamp":1700000000000,"nonce":"0123456789abcdef","mac":"q1wNCOw7B+ybnfEG3dY8DUQ2XJrVqDfpe4+vr7oPrbU="})";
  };
  detail::capability_memo memo;
  detail::token_request_wire w;
  std::string d;  // (the last document read: `w` views into it)
  auto read = [&](std::string_view cap_json) {
    d = doc(cap_json);
    INFO("document: ", d);
    CHECK(both_ways(d) == 1);  // (the usual form: the memo path applies)
    w = {};
    REQUIRE(!detail::read_token_request(d, max_token_request_bytes, w, &memo));
    return w.capability_memoised;
  };
  const std::string_view x = R"("{\"a\":[\"*\"],\"b\\\\c\":[\"x\"]}")";  // \" \\ and a last \" then }
  CHECK(read(x));  // stored: the memo now holds its body
  CHECK(memo.body == R"({\"a\":[\"*\"],\"b\\\\c\":[\"x\"]})");
  const std::uint64_t stored = memo.generation;
  CHECK(stored != 0);
  CHECK(read(x));  // recognised
  CHECK(memo.generation == stored);  // (the same body keeps its generation: a value derived from it stays)
  CHECK(w.capability == memo.body);
  // longer, shorter, or equal bytes continued by an escaped quote: scanned, and stored anew
  for (std::string_view other : {std::string_view(R"("{\"a\":[\"*\"],\"b\\\\c\":[\"x\"]}x")"),
                                 std::string_view(R"("{\"a\":[\"*\"],\"b\\\\c\":[\"x\"]")"),
                                 std::string_view(R"("{\"a\":[\"*\"],\"b\\\\c\":[\"x\"]}\"")")}) {
    const std::string before = memo.body;
    const std::uint64_t generation = memo.generation;
    CHECK(read(other));
    CHECK(memo.body == other.substr(1, other.size() - 2));
    CHECK(memo.generation == generation + 1);  // (a new body: a value derived from the old one is stale)
    CHECK(memo.body != before);
    CHECK(read(x));  // and back: stored again
    CHECK(memo.body == x.substr(1, x.size() - 2));
  }
  // a capability the usual reader does not take (a \u escape) leaves the memo as it was
  const std::string general_only = doc(R"("{\"\u0061\":[\"*\"]}")");
  REQUIRE(!detail::read_token_request(general_only, max_token_request_bytes, w, &memo));
  CHECK(!w.capability_memoised);
  CHECK(w.capability == R"({"a":["*"]})");
  CHECK(memo.body == x.substr(1, x.size() - 2));
  // nor does a body over max_body bytes
  std::string big = "\"{\\\"" + std::string(detail::capability_memo::max_body, 'a') + "\\\":[\\\"*\\\"]}\"";
  CHECK(!read(big));
  CHECK(memo.body == x.substr(1, x.size() - 2));
}

TEST_CASE("wire form: the size limit holds for the one-pass reader too") {
  const std::string doc =
      R"({"keyName":"appid.keyid","timestamp":1700000000000,"nonce":"0123456789abcdef","mac":"q1wNCOw7B+ybnfEG3dY8DUQ2XJrVqDfpe4+vr7oPrbU="})";
  CHECK(both_ways(doc) == 1);
  detail::token_request_wire w;
  const auto err = detail::read_token_request(doc, doc.size() - 1, w);
  REQUIRE(err.has_value());
  CHECK(err->code() == errc::invalid_token_request);
  CHECK(std::string(err->message()).find("at most") != std::string::npos);
  CHECK(!detail::read_token_request(doc, doc.size(), w));
}

TEST_CASE("wire form strings: simple_escaped_end's block and word loops equal a byte-by-byte reading") {
  // The reference: one byte at a time, straight from the grammar (ASCII without control bytes,
  // only \" \\ \/ escapes, the body ends at the first unescaped quote).
  auto reference = [](std::string_view t, std::size_t pos) -> std::size_t {
    for (std::size_t i = pos; i < t.size(); ++i) {
      const auto c = static_cast<unsigned char>(t[i]);
      if (c == '"') return i;
      if (c < 0x20 || c >= 0x80) return std::string_view::npos;
      if (c == '\\') {
        if (i + 1 >= t.size() || (t[i + 1] != '"' && t[i + 1] != '\\' && t[i + 1] != '/')) return std::string_view::npos;
        ++i;
      }
    }
    return std::string_view::npos;
  };
  capmatch_test::splitmix64 rng{0xb10c'64};
  const char* const pieces[] = {"a", "chat:*", "{\\\"x\\\":[\\\"*\\\"]}", "\\\"", "\\\\", "\\/", "\\n", "\\",
                                "\"", "\x01", "\x7f", "\xc3\xa9", "/", "\\\\\\\"", "0123456789abcdef"};
  std::size_t found = 0, refused = 0;
  for (int n = 0; n < 60000; ++n) {
    std::string t;
    const std::size_t len = 40 + rng.below(400);
    const unsigned rare = static_cast<unsigned>(rng.below(4));  // how often the bytes that stop a body appear
    while (t.size() < len) {
      std::size_t k = rng.below(std::size(pieces));
      if (k >= 6 && k <= 11 && !rng.chance(rare)) k = rng.below(3);  // (mostly a long valid body)
      t += pieces[k];
    }
    if (rng.chance(70)) t += '"';
    const std::size_t pos = rng.below(3);
    const std::size_t want = reference(t, pos);
    INFO("text: ", t, " from ", pos);
    CHECK(detail::simple_escaped_end(t, pos) == want);
    (want == std::string_view::npos ? refused : found) += 1;
  }
  CHECK(found > 10000);
  CHECK(refused > 10000);
}
