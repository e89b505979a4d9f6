// The storage engine's options as vellumd's configuration sets them: one mapping from
// conf::Config (storage.* and replication.backlog-*) to storage::EngineOptions, used by
// vellumd at start and by bench/null_server, so that the benchmark's engine is the
// daemon's. Pure; any thread.
#pragma once

#include <string>

#include "conf/config.h"
#include "storage/engine.h"

namespace vellum::server {

// `db_dir` is the database's own directory (<storage.dir>/db).
storage::EngineOptions EngineOptionsFor(const conf::Config& config, std::string db_dir);

}  // namespace vellum::server
