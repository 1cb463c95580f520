// SPDX-License-Identifier: Apache-2.0
// The switchboard binary: subcommands parsed here, each implemented in its own file.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "app/config.h"

int main(int argc, char** argv) {
  CLI::App cli{"Switchboard contact center server"};
  cli.require_subcommand(1);

  std::string serve_config;
  sb::app::ServeOptions serve_options;
  auto* serve = cli.add_subcommand("serve", "Run the server");
  serve->add_option("--config", serve_config, "YAML configuration file")->required();
  serve->add_flag("--open-trunk", serve_options.open_trunk,
                  "Demo only: accept trunk INVITEs from any loopback port");

  std::string check_file;
  auto* check = cli.add_subcommand("check-config", "Validate a configuration file");
  check->add_option("file", check_file, "YAML configuration file")->required();

  auto* version = cli.add_subcommand("version", "Print the version");

  sb::app::registerExtraCommands(cli);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (*version) {
#ifndef SB_ALLOCATOR_NAME
#define SB_ALLOCATOR_NAME "system"
#endif
    std::cout << "switchboard " << sb::app::kVersion << " (allocator: " SB_ALLOCATOR_NAME ")\n";
    return 0;
  }
  if (*check) {
    auto config = sb::app::loadConfigFile(check_file);
    if (!config) {
      for (const auto& e : config.error()) std::cerr << e.toString() << "\n";
      return 1;
    }
    std::cout << check_file << ": OK\n";
    return 0;
  }
  if (*serve) {
    auto config = sb::app::loadConfigFile(serve_config);
    if (!config) {
      for (const auto& e : config.error()) std::cerr << e.toString() << "\n";
      return 1;
    }
    return sb::app::runServe(*config, serve_options);
  }
  return sb::app::runExtraCommand(cli);
}
