// Monitors: MONITOR's clients, and the feed of every command executed on any worker.
//
// Dispatcher::Invoke calls Feed after a command ran, while its shard locks are still
// held, so two commands on the same key reach every monitor in the order they ran.
// Feed formats the line once, as Redis's replicationFeedMonitors does
// (`+<unix s>.<us> [<db> <addr>] "ARG" ...`, arguments escaped like sdscatrepr,
// AUTH's and HELLO AUTH's secrets redacted), and posts it to each monitor's worker under
// the registry lock: a monitor sees lines in feed order. Admin commands are not shown,
// as in Redis. A slow monitor is bounded by the output-buffer limit like any client.
//
// Thread-safe. Feed costs one relaxed load while nobody monitors.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vellum::server {

class ClientState;
class Worker;

class MonitorRegistry {
 public:
  explicit MonitorRegistry(std::vector<Worker*> workers) : workers_(std::move(workers)) {}

  void Add(uint64_t client_id, int worker);
  void Remove(uint64_t client_id);
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }

  // from_script: a command a script ran, shown as Redis shows it ("[0 lua]").
  void Feed(const ClientState& client, int db, std::span<const std::string_view> argv,
            int64_t now_us, bool from_script = false);

  // The line Feed sends, without the leading '+' and the CRLF (tests).
  static std::string FormatLine(const ClientState& client, int db,
                                std::span<const std::string_view> argv, int64_t now_us,
                                bool from_script = false);

 private:
  struct Monitor {
    uint64_t client_id;
    int worker;
  };
  std::vector<Worker*> workers_;
  std::mutex mu_;
  std::vector<Monitor> monitors_;  // guarded by mu_
  std::atomic<int> count_{0};
};

}  // namespace vellum::server
