// capmatch — the command-line tool as a function: arguments in, exit status and output out,
// so that tests and the fuzz target run the real thing without processes. See docs/cli.md.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace capmatch_cli {

/// Reads at most `n` bytes into `buf`: returns how many, 0 at the end of the input, or -1 with
/// `error` set to an errno value.
using read_fn = std::function<std::ptrdiff_t(char* buf, std::size_t n, int& error)>;

/// Where the tool's input comes from: standard input (`-`) and files (`@path`).
struct input {
  read_fn standard_input;
  /// Opens `path` for reading; an empty read_fn, with `error` set to an errno value, on failure.
  std::function<read_fn(const std::string& path, int& error)> open;
};

/// The process's standard input and the file system.
[[nodiscard]] input system_input();

/// Runs `capmatch ARGS...` (args excludes the program name): writes what the tool prints on
/// standard output to `out` and on standard error to `err`; returns the exit status
/// (0 success or allowed, 1 denied or error, 2 bad usage).
[[nodiscard]] int run_cli(std::span<const std::string_view> args, const input& in, std::string& out, std::string& err);

}  // namespace capmatch_cli
