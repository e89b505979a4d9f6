// vellumd: the Vellum daemon. Reads its configuration (embedded defaults, an optional
// TOML file, --key value overrides) and runs the server until SIGTERM/SIGINT/SHUTDOWN.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "conf/config.h"
#include "server/command_table.h"
#include "server/commands/registry.h"
#include "server/server.h"

namespace {
constexpr char kUsage[] =
    "Usage: vellumd [/path/to/vellum.toml] [--config FILE] [--key value]...\n"
    "       vellumd --commands-markdown   (print the command reference and exit)\n"
    "       vellumd ... --restore-from SNAPSHOT_DIR|ARCHIVE [--snapshot ID]\n"
    "           (restore a snapshot, the newest by default, or an exported archive, into\n"
    "            storage.dir, then serve)\n"
    "Keys are the TOML names (--server.port 7000, --storage.durability none) or\n"
    "Redis's names where Redis has the setting (--port 7000 --maxmemory 1gb).\n";
}  // namespace

int main(int argc, char** argv) {
  using namespace vellum;
  Result<conf::CommandLine> cl = conf::ParseCommandLine(argc, argv);
  if (!cl.ok()) {
    std::fprintf(stderr, "vellumd: %s\n%s", cl.status().message().c_str(), kUsage);
    return 1;
  }
  if (cl->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cl->version) {
    std::puts("vellumd 0.1.0");
    return 0;
  }
  if (cl->commands_markdown) {
    server::CommandTable table;
    server::RegisterAllCommands(table);
    std::fputs(table.Markdown().c_str(), stdout);
    return 0;
  }
  // Start-up actions, not settings: taken out before the overrides are applied.
  server::StartupRestore restore;
  std::vector<std::pair<std::string, std::string>> overrides;
  for (auto& [name, value] : cl->overrides) {
    if (name == "restore-from") {
      restore.from = value;
    } else if (name == "snapshot") {
      char* end = nullptr;
      unsigned long id = std::strtoul(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || id == 0 || id > UINT32_MAX) {
        std::fprintf(stderr, "vellumd: --snapshot: not a snapshot id: %s\n", value.c_str());
        return 1;
      }
      restore.id = static_cast<uint32_t>(id);
    } else {
      overrides.emplace_back(std::move(name), std::move(value));
    }
  }
  if (restore.id != 0 && restore.from.empty()) {
    std::fprintf(stderr, "vellumd: --snapshot needs --restore-from\n");
    return 1;
  }
  Result<conf::Config> config = conf::Load(cl->config_file, overrides);
  if (!config.ok()) {
    std::fprintf(stderr, "vellumd: bad configuration: %s\n", config.status().message().c_str());
    return 1;
  }
  return server::RunServer(*config, restore);
}
