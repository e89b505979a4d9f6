// The list helpers list.cc and list_blocking.cc share: typed lookups, creation (which
// signals clients blocked on the key), and the end of a change (delete when empty, else
// report it; keyspace events). The caller holds the key's shard lock.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "server/command.h"
#include "storage/entry.h"
#include "storage/keyspace.h"

namespace vellum::server {

// The list at key for a write, or nullptr when missing; WRONGTYPE for another type.
Status FindListForWrite(CommandContext& ctx, std::string_view key, storage::Entry** out);
// A new, empty list entry at a key that Find reported missing; clients blocked on the key
// are served once the current command ends.
storage::Entry* CreateList(CommandContext& ctx, std::string_view key);
// After the list at key changed (raising `event`): deletes it if empty (then "del"), else
// reports the write.
void AfterListChange(CommandContext& ctx, storage::Entry* e, std::string_view key,
                     const char* event);
// Pops up to n elements from one end of the list at key, raising the pop event (and
// "del" when it empties).
std::vector<std::string> PopElements(CommandContext& ctx, storage::Entry* e,
                                     std::string_view key, bool left, int64_t n);
// LMOVE's move: pops from one end of the list s at src and pushes onto one end of d at dst
// (created if null; its type checked by the caller; the same list when src == dst),
// raising the push event before the pop's; returns the element.
std::string MoveElement(CommandContext& ctx, storage::Entry* s, std::string_view src,
                        storage::Entry* d, std::string_view dst, bool from_left, bool to_left);
// The [key, [elements]] reply of LMPOP and BLMPOP.
void WriteKeyElements(protocol::ReplyWriter& reply, std::string_view key,
                      const std::vector<std::string>& elements);

// LEFT or RIGHT (any case); syntax error otherwise.
Status ParseListEnd(std::string_view word, bool* left);

// LMPOP's and BLMPOP's arguments from numkeys on: numkeys key [key ...] LEFT|RIGHT
// [COUNT count], with Redis's texts. Keys are argv[first_key, end_keys).
struct MPopArgs {
  size_t first_key = 0;
  size_t end_keys = 0;
  bool left = true;
  int64_t count = 1;
};
Status ParseMPopArgs(CommandContext& ctx, size_t numkeys_at, MPopArgs* out);

struct Waiter;

// Serves the clients blocked on the `ready` keys (lists just created there), in the order
// they blocked, at the end of the command that created them (list_blocking.cc). `held`
// are that command's shard locks; `base` its context. Returns the keys it could not serve
// because a BLMOVE destination's shard was busy: serve them again under every shard lock.
std::vector<std::pair<int, std::string>> ServeBlockedClients(
    CommandContext& base, storage::ShardLocks& held,
    std::vector<std::pair<int, std::string>> ready);
// Sends a timed-out (or CLIENT UNBLOCKed) waiter its reply: a null array, for every
// blocking list command, as Redis 7.0 does.
void SendBlockTimeout(const Waiter& w);

}  // namespace vellum::server
