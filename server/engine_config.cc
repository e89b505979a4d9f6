#include "server/engine_config.h"

#include <utility>

namespace vellum::server {

storage::EngineOptions EngineOptionsFor(const conf::Config& config, std::string db_dir) {
  storage::EngineOptions eo;
  eo.dir = std::move(db_dir);
  eo.block_cache_bytes = config.block_cache_size;
  eo.write_buffer_bytes = config.write_buffer_size;
  eo.compression = config.compression;
  eo.background_jobs = config.background_jobs;
  eo.min_blob_bytes = config.min_blob_size;
  // Replication's backlog: flushed log files kept so a replica that was away resumes.
  eo.log_keep_seconds =
      static_cast<uint64_t>(conf::DurationMs(config.replication_backlog_ttl) / 1000);
  eo.log_keep_mb = static_cast<uint64_t>(config.replication_backlog_mb);
  eo.recent_log_bytes = static_cast<uint64_t>(config.replication_backlog_memory_mb) << 20;
  return eo;
}

}  // namespace vellum::server
