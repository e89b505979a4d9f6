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


}  // namespace vellum::server
