// Listening sockets, made by hand so that every worker can have its own TCP socket on
// the same address (SO_REUSEPORT: the kernel balances accepts across workers).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace vellum::server {

// Binds and listens on host:port with SO_REUSEADDR and SO_REUSEPORT; returns the fd.
// port 0 picks a free port (read it back with BoundPort).
Result<int> ListenTcp(const std::string& host, int port, int backlog);
int BoundPort(int fd);
// Binds and listens on a unix socket path (an existing stale socket file is replaced).
Result<int> ListenUnix(const std::string& path, int perm, int backlog);

}  // namespace vellum::server
