#include "server/http/metrics.h"

#include <charconv>
#include <map>
#include <string_view>
#include <vector>

#include "server/commands/info.h"

namespace vellum::server {
namespace {

struct Row {
  const char* info;    // INFO field
  const char* metric;  // Prometheus name
  const char* type;    // counter or gauge
  const char* help;
};

// INFO field -> metric. Fields whose value is "ok"/"up"-like are mapped to 1/0 below.
constexpr Row kRows[] = {
    {"uptime_in_seconds", "vellum_uptime_seconds", "gauge", "Seconds since the server started."},
    {"connected_clients", "vellum_connected_clients", "gauge", "Client connections open now."},
    {"blocked_clients", "vellum_blocked_clients", "gauge", "Clients blocked on a command."},
    {"maxclients", "vellum_max_clients", "gauge", "Most clients accepted at once."},
    {"used_memory", "vellum_memory_used_bytes", "gauge", "Bytes allocated by the server."},
    {"used_memory_rss", "vellum_memory_rss_bytes", "gauge", "Resident set size of the process."},
    {"used_memory_peak", "vellum_memory_used_peak_bytes", "gauge", "Highest used memory seen."},
    {"mem_fragmentation_ratio", "vellum_memory_fragmentation_ratio", "gauge",
     "Resident set size per byte allocated."},
    {"allocator_active", "vellum_memory_allocator_active_bytes", "gauge",
     "Bytes the allocator holds from the kernel, free ones included."},
    {"maxmemory", "vellum_memory_max_bytes", "gauge", "The maxmemory limit; 0 for none."},
    {"used_memory_lua", "vellum_lua_memory_bytes", "gauge", "Bytes held by the Lua VMs."},
    {"number_of_cached_scripts", "vellum_cached_scripts", "gauge", "Scripts in the cache."},
    {"total_connections_received", "vellum_connections_received_total", "counter",
     "Client connections accepted."},
    {"rejected_connections", "vellum_rejected_connections_total", "counter",
     "Connections refused over maxclients."},
    {"total_commands_processed", "vellum_commands_processed_total", "counter",
     "Commands processed."},
    {"total_net_input_bytes", "vellum_net_input_bytes_total", "counter", "Bytes read from clients."},
    {"total_net_output_bytes", "vellum_net_output_bytes_total", "counter",
     "Bytes written to clients."},
    {"expired_keys", "vellum_expired_keys_total", "counter", "Keys deleted because they expired."},
    {"evicted_keys", "vellum_evicted_keys_total", "counter", "Keys evicted under maxmemory."},
    {"keyspace_hits", "vellum_keyspace_hits_total", "counter", "Lookups that found their key."},
    {"keyspace_misses", "vellum_keyspace_misses_total", "counter",
     "Lookups that did not find their key."},
    {"total_error_replies", "vellum_error_replies_total", "counter", "Error replies sent."},
    {"aof_last_write_status", "vellum_persistence_write_ok", "gauge",
     "1 while the persister's writes to RocksDB succeed, 0 while they fail."},
    {"rdb_changes_since_last_save", "vellum_changes_since_last_snapshot", "gauge",
     "Writes since the last snapshot."},
    {"rdb_bgsave_in_progress", "vellum_snapshot_in_progress", "gauge",
     "1 while a snapshot is being taken."},
    {"rdb_last_save_time", "vellum_snapshot_last_success_timestamp_seconds", "gauge",
     "Unix time of the last successful snapshot."},
    {"rdb_last_bgsave_status", "vellum_snapshot_last_ok", "gauge",
     "1 if the last snapshot succeeded."},
    {"connected_slaves", "vellum_connected_replicas", "gauge", "Replicas following this server."},
    {"master_link_status", "vellum_replica_link_up", "gauge",
     "On a replica: 1 while the link to the primary is up."},
    {"vellum_wal_syncs", "vellum_wal_syncs_total", "counter", "Syncs of RocksDB's write-ahead log."},
    {"vellum_tiering_keys_on_disk_only", "vellum_tiering_keys_on_disk_only", "gauge",
     "Keys whose value is on disk only (storage.tiering)."},
    {"vellum_tiering_offloaded_values", "vellum_tiering_offloaded_values_total", "counter",
     "Values dropped from memory to disk under maxmemory (storage.tiering)."},
    {"vellum_tiering_values_read_back", "vellum_tiering_values_read_back_total", "counter",
     "Values read back from disk into memory (storage.tiering)."},
    {"vellum_tiering_memory_hits", "vellum_tiering_memory_hits_total", "counter",
     "Keyspace hits served from memory."},
    {"vellum_tiering_disk_hits", "vellum_tiering_disk_hits_total", "counter",
     "Keyspace hits whose value was read back from disk first (storage.tiering)."},
    {"vellum_rocksdb_compactions_running", "vellum_rocksdb_compactions_running", "gauge",
     "RocksDB compactions running now."},
    {"vellum_rocksdb_compaction_pending_bytes", "vellum_rocksdb_compaction_pending_bytes", "gauge",
     "Bytes RocksDB estimates its compactions still have to rewrite."},
};

struct Info {
  std::map<std::string, std::string, std::less<>> fields;
  std::vector<std::pair<std::string, std::string>> keyspace;      // db -> "keys=..,expires=.."
  std::vector<std::pair<std::string, std::string>> commandstats;  // name -> "calls=..,..."
};

Info ParseInfo(std::string_view text) {
  Info info;
  while (!text.empty()) {
    const size_t end = text.find("\r\n");
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 2);
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key(line.substr(0, colon));
    std::string value(line.substr(colon + 1));
    if (key.rfind("cmdstat_", 0) == 0) {
      info.commandstats.emplace_back(key.substr(8), value);
    } else if (key.size() > 2 && key.rfind("db", 0) == 0 &&
               key.find_first_not_of("0123456789", 2) == std::string::npos) {
      info.keyspace.emplace_back(key.substr(2), value);
    } else {
      info.fields.emplace(std::move(key), std::move(value));
    }
  }
  return info;
}

// "a=1,b=2" -> the value of `name`, or empty.
std::string_view SubField(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == name) return item.substr(eq + 1);
  }
  return {};
}

// A numeric INFO value, or the 1/0 of a status word; false if neither.
bool NumberOf(std::string_view v, double* out) {
  if (v == "ok" || v == "up") {
    *out = 1;
    return true;
  }
  if (v == "err" || v == "down") {
    *out = 0;
    return true;
  }
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data(), end, *out);
  return ec == std::errc() && p == end;
}

std::string Number(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, p) : "0";
}

std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Family(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Sample(std::string* out, const char* name, std::string_view labels, double value) {
  *out += name;
  if (!labels.empty()) {
    *out += '{';
    out->append(labels);
    *out += '}';
  }
  *out += ' ';
  *out += Number(value);
  *out += '\n';
}

}  // namespace

std::string RenderMetrics(ServerState& server, int64_t now_ms) {
  const std::string_view everything[] = {"everything"};
  const Info info = ParseInfo(BuildInfo(server, everything, now_ms));
  std::string out;
  for (const Row& row : kRows) {
    auto it = info.fields.find(row.info);
    double v = 0;
    if (it == info.fields.end() || !NumberOf(it->second, &v)) continue;
    Family(&out, row.metric, row.type, row.help);
    Sample(&out, row.metric, {}, v);
  }
  if (auto it = info.fields.find("role"); it != info.fields.end()) {
    Family(&out, "vellum_role", "gauge", "The replication role, as a label (master or slave).");
    Sample(&out, "vellum_role", "role=\"" + EscapeLabel(it->second) + "\"", 1);
  }

  Family(&out, "vellum_keys", "gauge", "Keys per database.");
  for (const auto& [db, v] : info.keyspace) {
    double n = 0;
    NumberOf(SubField(v, "keys"), &n);
    Sample(&out, "vellum_keys", "db=\"" + db + "\"", n);
  }
  Family(&out, "vellum_expiring_keys", "gauge", "Keys with a TTL per database.");
  for (const auto& [db, v] : info.keyspace) {
    double n = 0;
    NumberOf(SubField(v, "expires"), &n);
    Sample(&out, "vellum_expiring_keys", "db=\"" + db + "\"", n);
  }

  struct PerCommand {
    const char* sub;
    const char* metric;
    const char* help;
    double scale;
  };
  constexpr PerCommand kPerCommand[] = {
      {"calls", "vellum_commands_total", "Calls per command.", 1},
      {"usec", "vellum_command_duration_seconds_total", "Time spent per command.", 1e-6},
      {"failed_calls", "vellum_command_failed_total", "Calls that answered an error, per command.",
       1},
      {"rejected_calls", "vellum_command_rejected_total",
       "Calls refused before running (arity, ACL, OOM...), per command.", 1},
  };
  for (const PerCommand& pc : kPerCommand) {
    Family(&out, pc.metric, "counter", pc.help);
    for (const auto& [cmd, v] : info.commandstats) {
      double n = 0;
      NumberOf(SubField(v, pc.sub), &n);
      Sample(&out, pc.metric, "cmd=\"" + EscapeLabel(cmd) + "\"", n * pc.scale);
    }
  }

  Family(&out, "vellum_http_requests_total", "counter", "HTTP requests answered, per status code.");
  for (int code : kHttpStatusCodes) {
    Sample(&out, "vellum_http_requests_total", "code=\"" + std::to_string(code) + "\"",
           static_cast<double>(server.HttpResponses(code)));
  }
  return out;
}

}  // namespace vellum::server
