// The text of INFO: Redis's "# Section" headers and "field:value" lines, CRLF line ends,
// sections in Redis's fixed order whatever order they were asked in.
//
// Sections: server clients memory persistence stats replication cpu modules commandstats
// cluster keyspace, plus the groups "default" (all but commandstats), "all" (every
// section) and "everything" (the same: Vellum has no module sections). Names are
// case-insensitive; an unknown name adds nothing.
//
// Memory comes from common/memory.h, as the maxmemory checks see it: used_memory is what
// operator new holds (Redis's zmalloc counter), used_memory_peak its high-water mark, and
// used_memory_rss the resident set from /proc/self/statm.
//
// Reads ServerState (atomics and self-locking collections) and the keyspace's
// self-locking counts: callable from any worker that holds no shard lock.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/server_state.h"

namespace vellum::server {

// The INFO reply for the given section arguments (empty: the default sections).
std::string BuildInfo(ServerState& server, std::span<const std::string_view> sections,
                      int64_t now_ms);

// Redis's bytesToHuman: "912B", "1.50K", "3.25M", "1.00G", ...
std::string BytesToHuman(uint64_t n);

}  // namespace vellum::server
