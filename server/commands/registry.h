// The one visible list of command families. Each family file (server/commands/*.cc)
// ends with its table of specs and one Register...Commands function; RegisterAllCommands
// calls them all, in this order, at start-up.
#pragma once

#include "server/command_table.h"

namespace vellum::server {

void RegisterConnectionCommands(CommandTable& table);  // connection.cc
void RegisterStringCommands(CommandTable& table);      // string.cc
void RegisterKeyCommands(CommandTable& table);         // keys.cc (+ expire.cc)
void RegisterServerCommands(CommandTable& table);      // server_cmds.cc
void RegisterClientCommands(CommandTable& table);      // client.cc

inline void RegisterAllCommands(CommandTable& table) {
  RegisterConnectionCommands(table);
  RegisterStringCommands(table);
  RegisterKeyCommands(table);
  RegisterServerCommands(table);
  RegisterClientCommands(table);
}

}  // namespace vellum::server
