// /metrics for Prometheus, and the numbers behind it.
//
// RenderMetrics builds the page from INFO's own text (BuildInfo, every section), through
// one table that maps INFO fields to Prometheus names, so /metrics and INFO can never
// disagree: a counter is read in one place. Per-database keys and per-command calls come
// from INFO's keyspace and commandstats lines; the HTTP edge's own response counts (which
// INFO has no field for) are added from ServerState. Text format 0.0.4: # HELP, # TYPE,
// counters named *_total, sizes *_bytes, times *_seconds.
#pragma once

#include <cstdint>
#include <string>

#include "server/server_state.h"

namespace vellum::server {

std::string RenderMetrics(ServerState& server, int64_t now_ms);

}  // namespace vellum::server
