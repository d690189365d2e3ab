// capmatch — the command-line tool: finds the command, parses its arguments with CLI11, reads
// its documents (bounded), runs it and formats the result. See docs/cli.md.
// SPDX-License-Identifier: MIT
#include "cli.hpp"

#include <capmatch/capmatch.hpp>
#include <capmatch/detail/suggest.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <utility>
#include <vector>

#include "commands/command.hpp"

namespace capmatch_cli {

// ---- shared helpers (commands/command.hpp) ----

failure from(const capmatch::error& e) { return {e.ably_code(), e.status_code(), std::string(e.message())}; }

namespace {
/// `s` as one line of valid UTF-8: control characters as \u00XX, other bytes that are not
/// UTF-8 as \xXX (capmatch::detail::escape_one_line, as the library's messages do).
std::string one_line(std::string_view s) {
  std::string out;
  capmatch::detail::escape_one_line(s, [&](std::string_view piece) {
    out.append(piece);
    return true;
  });
  return out;
}
}  // namespace

std::string quote(std::string_view s) { return "'" + one_line(s) + "'"; }

std::string json_string(std::string_view s) {
  std::vector<char> out;
  capmatch::detail::write_json_string(s, out);
  return std::string(out.begin(), out.end());
}

namespace {

constexpr std::string_view document_group = "documents";

/// Reads from `read` until the end or one byte past max_document_bytes, whichever is first.
/// False with `error` set (an errno value) on a read error.
bool read_bounded(const read_fn& read, std::string& out, int& error) {
  constexpr std::size_t cap = capmatch::max_document_bytes + 1;
  constexpr std::size_t chunk = std::size_t{1} << 16;
  for (;;) {
    const std::size_t at = out.size();
    const std::size_t want = std::min(chunk, cap - at);
    if (want == 0) return true;
    out.resize(at + want);
    const std::ptrdiff_t n = read(out.data() + at, want, error);
    if (n < 0) {
      if (error == EINTR) {
        out.resize(at);
        continue;
      }
      out.resize(at);
      return false;
    }
    out.resize(at + static_cast<std::size_t>(n));
    if (n == 0) return true;
  }
}

}  // namespace

bool documents::load(std::string_view arg, std::string& text, failure& fail) const {
  const bool from_stdin = arg == "-";
  if (!from_stdin && (arg.empty() || arg.front() != '@')) {
    text.assign(arg);  // inline: capability::parse checks its size itself
    return true;
  }
  const std::string path(from_stdin ? std::string_view() : arg.substr(1));
  const std::string source = from_stdin ? "standard input" : quote(path);
  int error = 0;
  read_fn read = from_stdin ? in_.standard_input : in_.open(path, error);
  if (!read || !read_bounded(read, text, error)) {
    fail = {40000, 400, "cannot read " + source + ": " + std::strerror(error)};
    return false;
  }
  if (text.size() > capmatch::max_document_bytes) {
    fail = {40000, 400,
            source + " holds more than " + std::to_string(capmatch::max_document_bytes) +
                " bytes, the limit for a document (capmatch::max_document_bytes)"};
    return false;
  }
  return true;
}

bool documents::load_capability(std::string_view arg, capmatch::capability& out, failure& fail) const {
  std::string text;
  if (!load(arg, text, fail)) return false;
  auto cap = capmatch::capability::parse(text);
  if (!cap) return fail = from(cap.error()), false;
  out = std::move(*cap);
  return true;
}

CLI::Option* add_document(CLI::App& app, const std::string& name, std::string& into, bool required) {
  return app.add_option(name, into)->required(required)->group(std::string(document_group));
}

namespace {

/// Every command, in the order the usage lists them. A new group of commands adds one line.
std::vector<command> all_commands() {
  std::vector<command> out;
  for (auto group : {capability_commands(), revocation_commands(), token_request_commands(), jwt_commands()})
    out.insert(out.end(), group.begin(), group.end());
  return out;
}

std::string usage_text() {
  std::string s =
      "usage: capmatch [--json] COMMAND ARGS...\n"
      "\n"
      "commands:\n";
  constexpr std::size_t column = 28;
  for (const command& c : all_commands()) {
    std::string line = "  " + std::string(c.name) + " " + std::string(c.synopsis);
    if (line.size() + 2 > column) line += "\n";  // a long synopsis: the summary on its own line
    else line.resize(column, ' ');
    if (line.back() == '\n') line.append(column, ' ');
    s += line + std::string(c.summary) + "\n";
  }
  s +=
      "\n"
      "CAP, KEY and REQUEST are inline JSON, @path (read a file) or - (read stdin, at most once).\n"
      "\n"
      "options:\n"
      "  --json      print one JSON object on stdout, errors included (bad usage: nothing)\n"
      "  --help      print this help and exit\n"
      "  --version   print the version and exit\n"
      "  --          end of options (for a RESOURCE that starts with '-')\n"
      "\n"
      "exit status: 0 success or allowed, 1 denied or error, 2 bad usage\n";
  return s;
}

int usage_error(std::string_view problem, std::string& err) {
  err += "capmatch: ";
  err += problem;
  err += "\n\n" + usage_text();
  return 2;
}

bool looks_like_option(std::string_view a) { return a.size() >= 2 && a.front() == '-'; }

/// How bad usage reports an unknown `what` ("command" or "option") typed as `word`: never quoted
/// (a secret typed in the wrong place, or a mistyped `--key` run into the key, must not be
/// echoed), followed by the nearest of `names` within two edits of `word`
/// (detail::closest_name), when there is one. What is shown is always one of our names; the
/// usage that follows the message lists the commands.
std::string unknown(std::string_view what, std::string_view word, std::span<const std::string_view> names) {
  std::string problem = "unknown " + std::string(what) + " (not quoted: it may hold a secret)";
  const std::string_view near = capmatch::detail::closest_name(word, names);
  if (!near.empty()) problem.append("; did you mean ").append(near).append("?");
  return problem;
}

/// An unknown option `a`, compared up to its first '=' with the long options `names`.
std::string unknown_option(std::string_view a, std::span<const std::string_view> names) {
  return unknown("option", a.substr(0, a.find('=')), names);
}

/// Bad usage before a command is known: the first option that is not --json decides
/// (--help, --version or an unknown option), else `problem`.
int without_command(std::span<const std::string_view> args, std::string_view problem, std::string& out,
                    std::string& err) {
  for (const std::string_view a : args) {
    if (a == "--") break;
    if (!looks_like_option(a) || a == "--json") continue;
    if (a == "--help" || a == "-h") return out += usage_text(), 0;
    if (a == "--version") return out += "capmatch " CAPMATCH_VERSION_STRING "\n", 0;
    constexpr std::string_view global[] = {"--json", "--help", "--version"};
    return usage_error(unknown_option(a, global), err);  // the command is unknown
  }
  return usage_error(problem, err);
}

}  // namespace

input system_input() {
  input in;
  in.standard_input = [](char* buf, std::size_t n, int& error) -> std::ptrdiff_t {
    const ssize_t got = ::read(STDIN_FILENO, buf, n);
    if (got < 0) error = errno;
    return got;
  };
  in.open = [](const std::string& path, int& error) -> read_fn {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = errno;
      return {};
    }
    auto owned = std::shared_ptr<int>(new int(fd), [](int* p) {
      ::close(*p);
      delete p;
    });
    return [owned](char* buf, std::size_t n, int& err) -> std::ptrdiff_t {
      const ssize_t got = ::read(*owned, buf, n);
      if (got < 0) err = errno;
      return got;
    };
  };
  return in;
}

int run_cli(std::span<const std::string_view> args, const input& in, std::string& out, std::string& err) {
  // The command is the first argument that is not an option ("-" is not an option), or the
  // first after "--". Options may come before or after it; the rest goes to the command.
  std::size_t at = args.size();
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      if (i + 1 < args.size()) at = i + 1;
      break;
    }
    if (!looks_like_option(args[i])) {
      at = i;
      break;
    }
  }
  if (at == args.size()) return without_command(args, "no command given", out, err);
  const std::vector<command> commands = all_commands();
  const command* cmd = nullptr;
  for (const command& c : commands)
    if (c.name == args[at]) cmd = &c;
  if (cmd == nullptr) {
    std::vector<std::string_view> names;
    for (const command& c : commands) names.push_back(c.name);
    return without_command(args, unknown("command", args[at], names), out, err);
  }
  CLI::App app(std::string(cmd->synopsis), std::string(cmd->name));
  app.allow_extras();
  bool json = false, version = false;
  app.add_flag("--json", json)->disable_flag_override();
  app.add_flag("--version", version)->disable_flag_override();
  const action run = cmd->declare(app);

  std::vector<std::string> rest;  // CLI11 takes the arguments in reverse order
  for (std::size_t i = args.size(); i-- > 0;)
    if (i != at) rest.emplace_back(args[i]);
  const std::string wrong = "wrong number of arguments for " + std::string(cmd->name);
  try {
    app.parse(rest);
  } catch (const CLI::CallForHelp&) {
    return out += usage_text(), 0;
  } catch (const CLI::CallForAllHelp&) {
    return out += usage_text(), 0;
  } catch (const CLI::ArgumentMismatch& e) {
    // An option that takes one value, given more than once; other mismatches (a value missing)
    // keep the parser's message, which names the option and never quotes a value.
    for (const CLI::Option* o : app.get_options())
      if (o->get_multi_option_policy() == CLI::MultiOptionPolicy::Throw && o->get_items_expected_max() == 1 &&
          o->count() > 1)
        return usage_error("option " + o->get_name() + " given twice", err);
    return usage_error(std::string(cmd->name) + ": " + one_line(e.what()), err);
  } catch (const CLI::RequiredError&) {
    for (const CLI::Option* o : app.get_options())
      if (o->get_required() && o->count() == 0)
        return usage_error(o->get_positional() ? wrong + ": missing " + o->get_name()
                                               : std::string(cmd->name) + " needs " + o->get_name(),
                           err);
    return usage_error(wrong, err);
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string(cmd->name) + ": " + one_line(e.what()), err);
  }
  bool positional_only = false;
  for (const std::string& extra : app.remaining()) {
    if (extra == "--" && !positional_only) {
      positional_only = true;
    } else if (!positional_only && looks_like_option(extra)) {
      std::vector<std::string> names;
      for (const CLI::Option* o : app.get_options())
        for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
      const std::vector<std::string_view> views(names.begin(), names.end());
      return usage_error(unknown_option(extra, views), err);
    } else {
      return usage_error(wrong + ": unexpected " +
                             (cmd->takes_secret ? std::string("argument (not quoted: it may be the secret)") : quote(extra)),
                         err);
    }
  }
  if (version) return out += "capmatch " CAPMATCH_VERSION_STRING "\n", 0;
  std::size_t from_stdin = 0;
  for (const CLI::Option* o : app.get_options())
    if (o->get_group() == document_group)
      for (const std::string& r : o->results()) from_stdin += r == "-";
  if (from_stdin > 1) return usage_error("at most one argument may be - (standard input)", err);

  outcome result;
  failure fail;
  if (!run(documents(in), result, fail)) {
    if (fail.usage) return usage_error(fail.message, err);
    if (json) {
      out += "{\"error\":{\"code\":" + std::to_string(fail.code) + ",\"statusCode\":" + std::to_string(fail.status) +
             ",\"message\":" + json_string(fail.message) + "}}\n";
    } else {
      err += "capmatch: error " + std::to_string(fail.code) + ": " + fail.message + "\n";
    }
    return 1;
  }
  const std::string& text = json ? result.json : result.text;
  if (!text.empty()) out += text + "\n";
  return result.status;
}

}  // namespace capmatch_cli
