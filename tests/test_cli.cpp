// The command-line tool in process: capmatch_cli::run_cli (tools/cli.hpp), what the binary runs,
// with an injected standard input. Covers what the binary cannot be given (arguments holding NUL
// bytes, an endless standard input) for the commands that once parsed their own arguments
// (token-request, verify-token-request, jwt, verify-jwt). tests/cli_*_test.py run the binary.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../tools/cli.hpp"

namespace {

struct ran {
  int rc = -1;
  std::string out, err;
  std::size_t stdin_bytes_read = 0;
};

/// Runs `capmatch ARGS...` with `stdin_text` on standard input (repeated without end when
/// `endless`) and no readable file.
ran run(std::vector<std::string_view> args, std::string_view stdin_text = {}, bool endless = false) {
  ran r;
  auto at = std::make_shared<std::size_t>(0);
  capmatch_cli::input in;
  in.standard_input = [&r, at, stdin_text, endless](char* buf, std::size_t n, int&) -> std::ptrdiff_t {
    std::size_t k = 0;
    while (k < n && (endless || *at < stdin_text.size())) {
      buf[k++] = stdin_text[*at % stdin_text.size()];
      ++*at;
    }
    r.stdin_bytes_read += k;
    return static_cast<std::ptrdiff_t>(k);
  };
  in.open = [](const std::string&, int& error) -> capmatch_cli::read_fn {
    error = ENOENT;
    return {};
  };
  r.rc = capmatch_cli::run_cli(args, in, r.out, r.err);
  return r;
}

/// The usage, as `capmatch --help` prints it.
std::string usage() {
  const ran help = run({"--help"});
  REQUIRE(help.rc == 0);
  REQUIRE(help.out.rfind("usage: capmatch [--json] COMMAND ARGS...\n", 0) == 0);
  return help.out;
}

constexpr std::string_view secret = "SENTINEL-cli-unit-secret";
constexpr std::string_view key = "app.key:SENTINEL-cli-unit-secret";

}  // namespace

TEST_CASE("fuzz finding: bad usage of jwt has the tool's one format (regression seed corpus/cli/regress_raw_command_usage_format)") {
  // The crash input: standard input "z", arguments `jwt` and ":\x01\x00\x00a". jwt printed
  // "capmatch jwt: PROBLEM\n\nusage:\n  jwt ..." before it declared its arguments like the others.
  const ran r = run({"jwt", std::string_view(":\x01\x00\x00" "a", 5)}, "z");
  CHECK(r.rc == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "capmatch: jwt needs --key\n\n" + usage());
}

TEST_CASE("bad usage of token-request, verify-token-request, jwt and verify-jwt: the common format, no secret") {
  struct bad {
    std::vector<std::string_view> args;
    std::string problem;
  };
  const std::string not_quoted = "unexpected argument (not quoted: it may be the secret)";
  const std::string unknown = "unknown option (not quoted: it may hold a secret)";
  const std::string key_nul = std::string(key) + std::string("\0x", 2);
  const std::string dash_secret = "-" + std::string(secret);
  const std::string glued = "--key" + std::string(key), key_option = "--key=" + std::string(key);
  constexpr std::string_view lower = "sentinellowersecret";
  const std::string lower_dashed = "--" + std::string(lower), dash_lower = "-" + std::string(lower);
  const std::string nonse = "--nonse=" + std::string(lower);
  const std::vector<bad> cases = {
      {{"token-request"}, "token-request needs --key"},
      {{"token-request", "--key", key, "--ttl", "12 "}, "--ttl takes a decimal number of milliseconds"},
      {{"token-request", "--key", key, key_nul}, "wrong number of arguments for token-request: " + not_quoted},
      {{"token-request", "--key", key, dash_secret}, unknown},
      {{"verify-token-request", "--key", key}, "wrong number of arguments for verify-token-request: missing REQUEST"},
      {{"verify-token-request", "--key", key, "--key", key, "{}"}, "option --key given twice"},
      {{"verify-token-request", "--key", key, "--key-capability", "-", "-"},
       "at most one argument may be - (standard input)"},
      {{"jwt", "--key", key, "--claim", "=1"}, "--claim takes NAME=JSON"},
      {{"jwt", key_option, glued}, unknown},
      // Lower-case and short: shaped like an option name, and still never quoted (the rule before
      // quoted `--` and up to 22 lower-case letters); the nearest real option only.
      {{"jwt", key_option, lower_dashed}, unknown},
      {{"parse", "{}", lower_dashed}, unknown},
      {{lower_dashed, "parse", "{}"}, unknown},
      {{"token-request", key_option, nonse}, unknown + "; did you mean --nonce?"},
      {{"verify-jwt", key_option, "t", dash_lower}, unknown},
      {{"jwt", "--revocable", key}, "jwt needs --key"},
      {{"verify-jwt", "--key", key}, "wrong number of arguments for verify-jwt: missing TOKEN"},
      {{"verify-jwt", "--key", key, "--now", "1e9", "t"}, "--now takes a whole number of seconds"},
      {{"verify-jwt", "--key", key, "t", key_nul}, "wrong number of arguments for verify-jwt: " + not_quoted},
  };
  const std::string help = usage();
  for (const bad& c : cases) {
    for (const bool json : {false, true}) {
      std::vector<std::string_view> args = c.args;
      if (json) args.insert(args.begin(), "--json");
      CAPTURE(c.problem);
      CAPTURE(json);
      const ran r = run(args);
      CHECK(r.rc == 2);
      CHECK(r.out.empty());
      CHECK(r.err == "capmatch: " + c.problem + "\n\n" + help);
      CHECK(r.err.find(secret) == std::string::npos);
      CHECK(r.err.find(lower) == std::string::npos);
    }
  }
}

TEST_CASE("token-request and verify-token-request read - from the injected standard input, bounded") {
  // They read the process's stdin without a bound before: in process (the fuzz target) that
  // was the wrong input, and an endless source never ended.
  const ran made = run({"token-request", "--key", key, "--timestamp", "5", "--nonce", "0123456789abcdef", "--capability", "-"},
                       R"({"y":["history"]})");
  CHECK(made.rc == 0);
  CHECK(made.err.empty());
  CHECK(made.out.find(R"("capability":"{\"y\":[\"history\"]}")") != std::string::npos);
  CHECK(made.out.find(secret) == std::string::npos);

  const ran endless = run({"verify-token-request", "--key", key, "-"}, "x", true);
  CHECK(endless.rc == 1);
  CHECK(endless.out.empty());
  CHECK(endless.err ==
        "capmatch: error 40000: standard input holds more than 16777216 bytes, the limit for a document "
        "(capmatch::max_document_bytes)\n");
  CHECK(endless.stdin_bytes_read == 16777216 + 1);  // stops one byte past the limit
}

TEST_CASE("jwt reads --capability - from the injected standard input; verify-jwt round-trips it") {
  const ran made = run({"jwt", "--key", key, "--iat", "1000", "--ttl", "600", "--capability", "-"}, R"({"chat:*":["publish"]})");
  REQUIRE(made.rc == 0);
  CHECK(made.err.empty());
  REQUIRE(made.out.size() > 1);
  const std::string token = made.out.substr(0, made.out.size() - 1);
  const ran checked = run({"--json", "verify-jwt", "--key", key, "--now", "1100", token});
  CHECK(checked.rc == 0);
  CHECK(checked.out ==
        R"({"keyName":"app.key","iat":1000,"exp":1600,"capability":{"chat:*":["publish"]}})"
        "\n");
  const ran expired = run({"--json", "verify-jwt", "--key", key, "--now", "1600", token});
  CHECK(expired.rc == 1);
  CHECK(expired.err.empty());
  CHECK(expired.out == R"({"error":{"code":40142,"statusCode":401,"message":"JWT expired"}})" "\n");
}

TEST_CASE("an unknown command is never quoted: a secret typed as the command is not echoed, however it is rejected") {
  // `capmatch x` said "unknown command 'x'": a key pasted where the command goes was printed back.
  // Like an unknown option, an unknown command is now never quoted; only a real command within
  // two edits is named, and the usage that follows lists every command.
  const std::string unknown = "unknown command (not quoted: it may hold a secret)";
  const std::string help = usage();
  constexpr std::string_view pasted = "appId.keyId:s3cr3tSENTINELcmd";
  const std::string with_nul = std::string(pasted) + std::string("\0\x01\xff", 3);
  const std::string assigned = std::string(pasted) + "=1";
  struct bad {
    std::vector<std::string_view> args;
    std::string problem;
  };
  const std::vector<bad> cases = {
      {{pasted}, unknown},
      {{pasted, "parse", "{}"}, unknown},
      {{"--", pasted}, unknown},
      {{"--", pasted, "check", "{}", "x", "publish"}, unknown},
      {{pasted, "--"}, unknown},
      {{with_nul}, unknown},
      {{assigned}, unknown},
      {{pasted, "--frob"}, "unknown option (not quoted: it may hold a secret)"},
      {{pasted, "--jsno"}, "unknown option (not quoted: it may hold a secret); did you mean --json?"},
      {{"--helpp", pasted}, "unknown option (not quoted: it may hold a secret); did you mean --help?"},
      // Within two edits of a real command: that command is named, never the word typed.
      {{"chekc", "{}", "x", "publish"}, unknown + "; did you mean check?"},
      {{"Parse", "{}"}, unknown + "; did you mean parse?"},
      {{"jwtt"}, unknown + "; did you mean jwt?"},
      {{"verify-grnt"}, unknown + "; did you mean verify-grant?"},
      {{"grants"}, unknown + "; did you mean grant?"},
      {{"frobnicate"}, unknown},
  };
  for (const bad& c : cases) {
    // The same in every position of --json: before, after the word, and not at all.
    for (int json = 0; json < 3; ++json) {
      std::vector<std::string_view> args = c.args;
      if (json == 1) args.insert(args.begin(), "--json");
      if (json == 2) args.push_back("--json");
      CAPTURE(c.problem);
      CAPTURE(json);
      const ran r = run(args);
      CHECK(r.rc == 2);
      CHECK(r.out.empty());
      CHECK(r.err == "capmatch: " + c.problem + "\n\n" + help);
      CHECK(r.err.find("s3cr3t") == std::string::npos);
      CHECK(r.err.find("keyId") == std::string::npos);
      CHECK(r.err.find("frob") == std::string::npos);
    }
  }
  // --help and --version before or after the word print their text and nothing of the word.
  for (const std::vector<std::string_view>& args :
       {std::vector<std::string_view>{pasted, "--help"}, {"--json", "-h", pasted}, {pasted, "--version"}}) {
    const ran r = run(args);
    CHECK(r.rc == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("s3cr3t") == std::string::npos);
  }
}
