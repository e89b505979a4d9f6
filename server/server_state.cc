#include "server/server_state.h"

#include "snapshot/replication.h"

#include <random>

#include "common/memory.h"
#include "storage/zset_value.h"

namespace vellum::server {

void ClientRegistry::Add(std::shared_ptr<ClientState> client) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = client->id();
  clients_[id] = std::move(client);
}

void ClientRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.erase(id);
}

std::shared_ptr<ClientState> ClientRegistry::Find(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ClientState>> ClientRegistry::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ClientState>> out;
  out.reserve(clients_.size());
  for (const auto& [id, c] : clients_) out.push_back(c);
  return out;
}

std::vector<std::shared_ptr<ClientState>> ClientRegistry::Live() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ClientState>> out;
  out.reserve(clients_.size());
  for (const auto& [id, c] : clients_) {
    if (!c->close_requested()) out.push_back(c);
  }
  return out;
}

size_t ClientRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_.size();
}

ServerState::ServerState(conf::ConfigStore* config, const CommandTable* commands,
                         storage::Keyspace* keyspace, const Clock* clock, int workers)
    : config_(config), commands_(commands), keyspace_(keyspace), clock_(clock),
      start_ms_(clock->NowMs()) {
  for (int i = 0; i < workers; i++) {
    worker_stats_.push_back(std::make_unique<WorkerStats>(commands->size()));
  }
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; i++) run_id_.push_back(kHex[rd() % 16]);
  for (int i = 0; i < 40; i++) replid_.push_back(kHex[rd() % 16]);
  evictor_ = std::make_unique<storage::Evictor>(keyspace, &UsedMemoryForEviction);
  ApplyConfig(config->Snapshot());
}

void ServerState::ApplyConfig(const conf::Config& c) {
  maxclients = c.maxclients;
  serve_stale_data = c.replication_serve_stale_data;
  timeout_s = c.timeout;
  output_buffer_limit = c.output_buffer_limit;
  proto_max_bulk_len = c.proto_max_bulk_len;
  slowlog_slower_than_us = c.slowlog_log_slower_than;
  slowlog_max_len = c.slowlog_max_len;
  busy_reply_threshold_ms = c.busy_reply_threshold;
  http_max_header_bytes = c.http_max_header_bytes;
  http_header_timeout_ms = c.http_header_timeout;
  {
    auto page = std::make_shared<PageConfig>();
    page->key_prefix = c.http_key_prefix;
    page->db = static_cast<int>(c.http_db);
    page->query_in_key = c.http_query_in_key;
    page->default_content_type = c.http_default_content_type;
    page->default_cache_control = c.http_default_cache_control;
    page->stale_while_revalidate = c.http_stale_while_revalidate;
    page->metrics_path = c.http_metrics_path;
    page->user = c.http_user;
    std::lock_guard<std::mutex> lock(mu_);
    page_config_ = std::move(page);
    page_config_generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  {
    storage::EvictionPolicy policy = storage::EvictionPolicy::kNoEviction;
    storage::ParseEvictionPolicy(c.maxmemory_policy, &policy);  // the schema validated it
    maxmemory_policy = policy;
    maxmemory_samples = static_cast<int>(c.maxmemory_samples);
    tiering = c.tiering && c.durability != "none";
    lfu_decay_time = c.lfu_decay_time;
    keyspace_->SetLfu(storage::IsLfuPolicy(policy), c.lfu_log_factor, c.lfu_decay_time);
    maxmemory = static_cast<uint64_t>(c.maxmemory);  // last: the dispatcher's trigger
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requirepass_ = c.requirepass;
  }
  storage::ZSetValue::SetListpackLimits(static_cast<size_t>(c.zset_max_listpack_entries),
                                        static_cast<size_t>(c.zset_max_listpack_value));
  storage::HashValue::SetListpackLimits(static_cast<size_t>(c.hash_max_listpack_entries),
                                        static_cast<size_t>(c.hash_max_listpack_value));
  has_requirepass = !c.requirepass.empty();
}

void ServerState::CountHttpResponse(int status) {
  for (size_t i = 0; i < std::size(kHttpStatusCodes); i++) {
    if (kHttpStatusCodes[i] == status) {
      http_responses_[i].fetch_add(1, std::memory_order_relaxed);  // several workers
      return;
    }
  }
}

uint64_t ServerState::HttpResponses(int status) const {
  for (size_t i = 0; i < std::size(kHttpStatusCodes); i++) {
    if (kHttpStatusCodes[i] == status) return http_responses_[i].load(std::memory_order_relaxed);
  }
  return 0;
}

std::string ServerState::requirepass() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requirepass_;
}

void ServerState::ResetStats() {
  for (auto& ws : worker_stats_) {
    for (size_t i = 0; i < ws->count; i++) {
      ws->command[i].calls = 0;
      ws->command[i].usec = 0;
      ws->command[i].rejected_calls = 0;
      ws->command[i].failed_calls = 0;
    }
    ws->commands_processed = 0;
    ws->net_input_bytes = 0;
    ws->net_output_bytes = 0;
  }
  total_connections_received = 0;
  rejected_connections = 0;
  output_buffer_disconnections = 0;
  protocol_errors = 0;
  keyspace_->ResetStats();
}

uint64_t ServerState::TotalCommandsProcessed() const {
  uint64_t n = 0;
  for (const auto& ws : worker_stats_) n += ws->commands_processed.load(std::memory_order_relaxed);
  return n;
}

uint64_t ServerState::TotalNetInputBytes() const {
  uint64_t n = 0;
  for (const auto& ws : worker_stats_) n += ws->net_input_bytes.load(std::memory_order_relaxed);
  return n;
}

uint64_t ServerState::TotalNetOutputBytes() const {
  uint64_t n = 0;
  for (const auto& ws : worker_stats_) n += ws->net_output_bytes.load(std::memory_order_relaxed);
  return n;
}

uint64_t ServerState::TotalErrorReplies() const {
  uint64_t n = protocol_errors.load(std::memory_order_relaxed);
  for (const auto& ws : worker_stats_) {
    for (size_t i = 0; i < ws->count; i++) {
      n += ws->command[i].failed_calls.load(std::memory_order_relaxed) +
           ws->command[i].rejected_calls.load(std::memory_order_relaxed);
    }
  }
  return n;
}

int64_t ServerState::SampleOpsPerSec(int64_t now_ms, uint64_t total_commands) {
  std::lock_guard<std::mutex> lock(ops_mu_);
  if (ops_sample_ms_ == 0 || total_commands < ops_sample_count_) {  // first call, or RESETSTAT
    ops_sample_ms_ = now_ms;
    ops_sample_count_ = total_commands;
    return ops_per_sec_;
  }
  int64_t elapsed = now_ms - ops_sample_ms_;
  if (elapsed >= 1000) {
    ops_per_sec_ = static_cast<int64_t>((total_commands - ops_sample_count_) * 1000 /
                                        static_cast<uint64_t>(elapsed));
    ops_sample_ms_ = now_ms;
    ops_sample_count_ = total_commands;
  }
  return ops_per_sec_;
}

bool ServerState::is_replica() const {
  return replication_ != nullptr && replication_->is_replica();
}

bool ServerState::FreeMemoryIfNeeded(int64_t now_ms) {
  storage::EvictionSettings s;
  s.maxmemory = maxmemory.load(std::memory_order_relaxed);
  if (s.maxmemory == 0) return true;
  s.tiering = tiering.load(std::memory_order_relaxed);
  // Redis's replica-ignore-maxmemory yes: a replica deletes no key by itself, its
  // primary's log does. With tiering nothing is deleted, only values its disk holds are
  // dropped from memory: a replica then keeps to its own maxmemory, whatever its primary
  // holds.
  if (is_replica() && !s.tiering) return true;
  s.policy = maxmemory_policy.load(std::memory_order_relaxed);
  s.samples = maxmemory_samples.load(std::memory_order_relaxed);
  s.lfu_decay_time = lfu_decay_time.load(std::memory_order_relaxed);
  return evictor_->FreeMemory(s, now_ms);
}

void ServerState::RequestShutdown() {
  if (shutting_down_.exchange(true)) return;
  if (shutdown_hook_) shutdown_hook_();
}

}  // namespace vellum::server
