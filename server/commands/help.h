// ReplyHelp: the reply of every container's HELP subcommand, as Redis's addReplyHelp
// writes it: a title line, the family's own lines, then HELP; all simple strings.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "server/command.h"

namespace vellum::server {

inline void ReplyHelp(CommandContext& ctx, std::string_view command,
                      std::initializer_list<const char*> lines) {
  ctx.reply.ArrayHeader(lines.size() + 3);
  ctx.reply.Simple(std::string(command) +
                   " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const char* line : lines) ctx.reply.Simple(line);
  ctx.reply.Simple("HELP");
  ctx.reply.Simple("    Prints this help.");
}

}  // namespace vellum::server
