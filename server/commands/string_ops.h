// What string.cc shares with the other families that write strings (bitmap.cc): Redis's
// setKey. The caller holds the key's shard lock.
#pragma once

#include <string_view>

#include "server/command.h"
#include "storage/entry.h"

namespace vellum::server {

// Stores v as a new string under key, replacing any value of any type and dropping its
// TTL; `existing` is what Find returned for the key. Raises "new" for a new key and
// `event`, as SET does.
storage::Entry* StoreStringKey(CommandContext& ctx, std::string_view key, std::string_view v,
                               storage::Entry* existing, const char* event);

}  // namespace vellum::server
