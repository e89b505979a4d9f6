// Server: assembles the daemon from a Config and runs it until shutdown.
//
// Owns the keyspace, the command table, the shared ServerState and the worker threads.
// The calling thread runs a small control loop: signals (SIGTERM/SIGINT), the active
// expiry cycle (hz times a second, bounded in time), and the shutdown request.
#pragma once

#include "conf/config.h"

namespace vellum::server {

// Runs the daemon; returns the process exit code.
int RunServer(const conf::Config& config);

}  // namespace vellum::server
