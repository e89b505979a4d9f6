// Server: assembles the daemon from a Config and runs it until shutdown.
//
// Owns the keyspace, the command table, the shared ServerState and the worker threads.
// The calling thread runs a small control loop: signals (SIGTERM/SIGINT), the active
// expiry cycle (hz times a second, bounded in time), and the shutdown request.
#pragma once

#include <cstdint>
#include <string>

#include "conf/config.h"

namespace vellum::server {

// Runs the daemon; returns the process exit code.
// vellumd --restore-from DIR [--snapshot ID]: restore a snapshot into the data directory
// before loading it (snapshot/snapshot_store.h; the old database is moved aside).
struct StartupRestore {
  std::string from;  // a snapshot directory; empty: no restore
  uint32_t id = 0;   // 0: the newest
};

int RunServer(const conf::Config& config, const StartupRestore& restore = {});

}  // namespace vellum::server
