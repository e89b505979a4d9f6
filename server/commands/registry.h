// The one visible list of command families. Each family file (server/commands/*.cc)
// ends with its table of specs and one Register...Commands function; RegisterAllCommands
// calls them all, in this order, at start-up.
#pragma once

#include "server/command_table.h"

namespace vellum::server {

void RegisterConnectionCommands(CommandTable& table);  // connection.cc
void RegisterStringCommands(CommandTable& table);      // string.cc
void RegisterBitmapCommands(CommandTable& table);      // bitmap.cc
void RegisterLcsCommands(CommandTable& table);         // lcs.cc
void RegisterHyperLogLogCommands(CommandTable& table); // hyperloglog.cc
void RegisterKeyCommands(CommandTable& table);         // keys.cc (+ expire.cc)
void RegisterHashCommands(CommandTable& table);        // hash.cc
void RegisterSetCommands(CommandTable& table);         // set.cc
void RegisterListCommands(CommandTable& table);        // list.cc
void RegisterBlockingListCommands(CommandTable& table);  // list_blocking.cc
void RegisterZSetCommands(CommandTable& table);        // zset.cc
void RegisterZSetRangeCommands(CommandTable& table);   // zset_range.cc
void RegisterZSetAlgebraCommands(CommandTable& table); // zset_setops.cc
void RegisterBlockingZSetCommands(CommandTable& table);  // zset_blocking.cc
void RegisterServerCommands(CommandTable& table);      // server_cmds.cc
void RegisterMemoryCommands(CommandTable& table);      // memory.cc
void RegisterClientCommands(CommandTable& table);      // client.cc
void RegisterPubSubCommands(CommandTable& table);      // pubsub.cc
void RegisterTransactionCommands(CommandTable& table); // transaction.cc
void RegisterAclCommands(CommandTable& table);         // acl.cc
void RegisterSnapshotCommands(CommandTable& table);    // snapshot.cc
void RegisterReplicationCommands(CommandTable& table); // replication.cc
void RegisterScriptingCommands(CommandTable& table);   // scripting.cc

inline void RegisterAllCommands(CommandTable& table) {
  RegisterConnectionCommands(table);
  RegisterStringCommands(table);
  RegisterBitmapCommands(table);
  RegisterLcsCommands(table);
  RegisterHyperLogLogCommands(table);
  RegisterKeyCommands(table);
  RegisterHashCommands(table);
  RegisterSetCommands(table);
  RegisterListCommands(table);
  RegisterBlockingListCommands(table);
  RegisterZSetCommands(table);
  RegisterZSetRangeCommands(table);
  RegisterZSetAlgebraCommands(table);
  RegisterBlockingZSetCommands(table);
  RegisterServerCommands(table);
  RegisterMemoryCommands(table);
  RegisterClientCommands(table);
  RegisterPubSubCommands(table);
  RegisterTransactionCommands(table);
  RegisterAclCommands(table);
  RegisterSnapshotCommands(table);
  RegisterReplicationCommands(table);
  RegisterScriptingCommands(table);
}

}  // namespace vellum::server
