#include "server/scripting/shebang.h"

#include <string>

namespace vellum::server {
namespace {

bool FlagOf(std::string_view name, uint32_t* flag) {
  static constexpr std::pair<std::string_view, uint32_t> kFlags[] = {
      {"no-writes", kScriptNoWrites},   {"allow-oom", kScriptAllowOom},
      {"allow-stale", kScriptAllowStale}, {"no-cluster", kScriptNoCluster},
      {"allow-cross-slot-keys", kScriptAllowCrossSlot}};
  for (const auto& [n, f] : kFlags) {
    if (n == name) {
      *flag = f;
      return true;
    }
  }
  return false;
}

}  // namespace

Status ParseShebang(std::string_view body, uint32_t* flags, size_t* line_length) {
  *flags = 0;
  *line_length = 0;
  if (body.substr(0, 2) != "#!") return Status::Ok();
  const size_t end = body.find('\n');
  const std::string_view line = body.substr(0, end == std::string_view::npos ? body.size() : end);
  const size_t engine_end = line.find(' ');
  const std::string_view engine = line.substr(0, engine_end);
  if (engine != "#!lua") {
    return Status::Error("ERR Unexpected engine in script shebang: " + std::string(line));
  }
  std::string_view rest =
      engine_end == std::string_view::npos ? std::string_view() : line.substr(engine_end + 1);
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    const std::string_view option = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (option.empty()) continue;
    if (option.substr(0, 6) != "flags=") {
      return Status::Error("ERR Unknown lua shebang option: " + std::string(option));
    }
    std::string_view list = option.substr(6);
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view name = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (name.empty()) continue;
      uint32_t flag = 0;
      if (!FlagOf(name, &flag)) {
        return Status::Error("ERR Unexpected flag in script shebang: " + std::string(name));
      }
      *flags |= flag;
    }
  }
  *line_length = line.size();
  return Status::Ok();
}

}  // namespace vellum::server
