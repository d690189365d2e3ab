// capmatch — the command-line tool's process wrapper: argv in, run_cli, output out.
// SPDX-License-Identifier: MIT
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + (argc > 0), argv + argc);
  std::string out, err;
  const int status = capmatch_cli::run_cli(args, capmatch_cli::system_input(), out, err);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fwrite(err.data(), 1, err.size(), stderr);
  return std::fflush(stdout) == 0 ? status : 1;
}
