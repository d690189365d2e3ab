// Fuzz target 5: the command-line tool itself. Calls capmatch_cli::run_cli (tools/cli.cpp, the
// function the capmatch binary runs) with fuzzer-chosen arguments and standard input, and checks
// the tool's contract (docs/cli.md): exit status 0, 1 or 2; with --json exactly one JSON object
// on one line (nothing for bad usage); text lines and messages one line of valid UTF-8; bad usage
// is one problem line, an empty line and the usage; an unknown command or option is never quoted
// (the problem is a fixed text naming at most one real command or option), so a secret typed in
// its place is never echoed; and the exit status of `check` equals the library's decision.
// Input: the first byte chooses the form, the rest is fields separated by 0xFF bytes.
//   mode bit 7 clear (structured, as the seeds): command = parse/check/intersect/lint by
//     mode % 4 (0 check, 1 intersect, 2 lint, 3 parse); bit 3 adds --json; bit 4 sends the
//     capability on standard input as "-"; fields: capability, name, operation, request.
//   mode bit 7 set (raw): the first field is standard input, the others are the arguments.
// A file argument "@f" reads the request field; every other path does not exist.
// SPDX-License-Identifier: MIT
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "../../tools/cli.hpp"
#include "common.hpp"

namespace {
std::string_view field(std::string_view& in) {
  const auto sep = in.find('\xFF');
  const std::string_view f = in.substr(0, sep);
  in = sep == std::string_view::npos ? std::string_view() : in.substr(sep + 1);
  return f;
}

/// A read_fn over `text` (copied), delivering at most 7 bytes a call to exercise short reads.
capmatch_cli::read_fn reader(std::string_view text) {
  auto state = std::make_shared<std::pair<std::string, std::size_t>>(std::string(text), 0);
  return [state](char* buf, std::size_t n, int&) -> std::ptrdiff_t {
    const std::size_t k = std::min({n, std::size_t{7}, state->first.size() - state->second});
    std::memcpy(buf, state->first.data() + state->second, k);
    state->second += k;
    return static_cast<std::ptrdiff_t>(k);
  };
}

/// What `capmatch --help` prints, and the command names its "commands:" section lists.
struct usage_info {
  std::string text;
  std::vector<std::string> commands;
};
const usage_info& usage() {
  static const usage_info u = [] {
    usage_info r;
    capmatch_cli::input none;
    std::string err;
    const std::string_view help[] = {"--help"};
    if (capmatch_cli::run_cli(help, none, r.text, err) != 0) std::abort();
    std::string_view rest = std::string_view(r.text).substr(r.text.find("commands:\n") + 10);
    while (rest.rfind("  ", 0) == 0) {
      const std::string_view line = rest.substr(0, rest.find('\n'));
      if (line[2] != ' ') r.commands.emplace_back(line.substr(2, line.find(' ', 2) - 2));
      rest.remove_prefix(line.size() + 1);
    }
    if (r.commands.size() < 4) std::abort();
    return r;
  }();
  return u;
}

/// Whether `line` is the unknown-command or unknown-option problem as docs/cli.md gives it: a
/// fixed text, then at most "; did you mean NAME?" with NAME one of the commands the usage lists
/// or a long option ("--" and lower-case letters and '-') -- so it quotes nothing of the input.
bool unknown_ok(std::string_view line) {
  for (const std::string_view what : {"command", "option"}) {
    const std::string head = "capmatch: unknown " + std::string(what) + " (not quoted: it may hold a secret)";
    if (line.rfind(head, 0) != 0) continue;
    std::string_view tail = line.substr(head.size());
    if (tail.empty()) return true;
    const std::string_view open = "; did you mean ";
    if (tail.rfind(open, 0) != 0 || tail.back() != '?') return false;
    tail = tail.substr(open.size(), tail.size() - open.size() - 1);
    if (what == "command") {
      for (const std::string& c : usage().commands)
        if (tail == c) return true;
      return false;
    }
    if (tail.size() < 3 || tail.rfind("--", 0) != 0) return false;
    for (const char c : tail.substr(2))
      if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
    return true;
  }
  return false;
}

/// The command word as docs/cli.md defines it: the first argument that is not an option (an
/// option starts with '-' and has more than one byte), or the first after "--"; empty if none.
std::optional<std::string_view> command_word(const std::vector<std::string_view>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return i + 1 < args.size() ? std::optional(args[i + 1]) : std::nullopt;
    if (args[i].size() < 2 || args[i].front() != '-') return args[i];
  }
  return std::nullopt;
}

bool lines_ok(std::string_view s) {
  while (!s.empty()) {
    const auto nl = s.find('\n');
    if (nl == std::string_view::npos) return false;  // every line ends with '\n'
    if (!fuzz::one_line_utf8(s.substr(0, nl))) return false;
    s.remove_prefix(nl + 1);
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> args;
  std::string_view stdin_text, file_text;
  bool json = false;
  int expected_check = -1;  // the library's answer for a structured check: 0 allowed, 1 denied
  if ((mode & 0x80) == 0) {
    const std::string_view doc = field(in), name = field(in), opname = field(in), req = field(in);
    constexpr std::string_view names[] = {"check", "intersect", "lint", "parse"};
    const std::string_view command = names[mode % 4];
    json = (mode & 8) != 0;
    if (json) args.push_back("--json");
    args.push_back(command);
    const bool via_stdin = (mode & 16) != 0;
    args.push_back(via_stdin ? std::string_view("-") : doc);
    if (via_stdin) stdin_text = doc;
    if (command == "check") {
      args.push_back("--");  // the name may start with '-'
      args.push_back(name);
      args.push_back(opname);
      const auto cap = capmatch::capability::parse(doc);
      const auto op = capmatch::parse_operation(opname);
      if (cap && op && capmatch::parse_name(name)) expected_check = cap->allows(name, *op) ? 0 : 1;
    } else if (command == "intersect" && !req.empty()) {
      args.push_back(req.front() == 'F' ? std::string_view("@f") : req);
      file_text = req.substr(1);
    }
  } else {
    stdin_text = field(in);
    while (!in.empty() && args.size() < 8) {
      args.push_back(field(in));
      json = json || args.back() == "--json";
    }
    file_text = stdin_text;
  }

  capmatch_cli::input io;
  io.standard_input = reader(stdin_text);
  io.open = [file_text](const std::string& path, int& error) -> capmatch_cli::read_fn {
    if (path == "f") return reader(file_text);
    error = ENOENT;
    return {};
  };
  std::string out, err;
  const int rc = capmatch_cli::run_cli(args, io, out, err);

  FUZZ_CHECK(rc == 0 || rc == 1 || rc == 2);
  FUZZ_CHECK(lines_ok(out));
  // An unknown command is never quoted (a key pasted in its place must not be echoed): the tool
  // prints the usage (--help, --version) or bad usage whose problem is a fixed text.
  const auto word = command_word(args);
  bool known = false;
  if (word)
    for (const std::string& c : usage().commands) known = known || *word == c;
  if (word && !known) {
    FUZZ_CHECK(rc == 0 || rc == 2);
    if (rc == 0) FUZZ_CHECK(err.empty() && (out == usage().text || out == "capmatch " CAPMATCH_VERSION_STRING "\n"));
    else FUZZ_CHECK(err.rfind("capmatch: unknown ", 0) == 0);
  }
  if (rc == 2) {
    // Bad usage: nothing on stdout (with or without --json), one line naming the problem, an
    // empty line and the usage on stderr; an unknown command or option is never quoted.
    FUZZ_CHECK(out.empty());
    FUZZ_CHECK(err.rfind("capmatch: ", 0) == 0);
    const std::string_view problem = std::string_view(err).substr(0, err.find('\n'));
    FUZZ_CHECK(err == std::string(problem) + "\n\n" + usage().text);
    FUZZ_CHECK(fuzz::one_line_utf8(problem));
    if (problem.rfind("capmatch: unknown ", 0) == 0) FUZZ_CHECK(unknown_ok(problem));
    return 0;
  }
  if (expected_check >= 0) FUZZ_CHECK(rc == expected_check);
  const bool help = out.rfind("usage: capmatch", 0) == 0 || out.rfind("capmatch ", 0) == 0;
  if (json && !help && (mode & 0x80) == 0) {
    // --json: exactly one object on one line, nothing on stderr.
    FUZZ_CHECK(err.empty());
    FUZZ_CHECK(out.size() >= 3 && out.front() == '{' && out.find('\n') == out.size() - 1 && out[out.size() - 2] == '}');
  } else if (rc == 1 && out.empty() && !json) {
    // An error in text mode: one line on stderr.
    FUZZ_CHECK(err.rfind("capmatch: error ", 0) == 0 && err.find('\n') == err.size() - 1);
    FUZZ_CHECK(fuzz::one_line_utf8(err.substr(0, err.size() - 1)));
  }
  if (rc == 0) FUZZ_CHECK(err.empty());
  return 0;
}
