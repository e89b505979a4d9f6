// The shape of a command: its spec (data) and its handler (one function).
//
// A handler receives a CommandContext: the arguments as views, the reply writer, the
// keyspace (with the command's shard locks already held by the dispatcher), its client's
// state, the shared server state and the time of the call. On success it writes exactly
// one reply and returns OK; on failure it writes nothing and returns the Redis error line
// as a Status, which the dispatcher writes. Arity, authentication and key locking are
// checked once, centrally, before any handler runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/numbers.h"
#include "common/status.h"
#include "protocol/reply_writer.h"
#include "storage/keyspace.h"

namespace vellum::server {

class ClientState;
class Dispatcher;
class ServerState;

// Redis's command flags, as reported by COMMAND INFO.
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,
  kReadonly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kPubSub = 1u << 4,
  kNoScript = 1u << 5,
  kLoading = 1u << 6,
  kStale = 1u << 7,
  kFast = 1u << 8,
  kNoAuth = 1u << 9,
  kSkipSlowlog = 1u << 10,
  kAllowBusy = 1u << 11,
  kNoMulti = 1u << 12,  // refused inside MULTI (its reply comes later, or it stops the server)
  kSkipMonitor = 1u << 13,  // not fed to MONITOR after it ran (EVAL feeds itself before)
  // Vellum's own (not reported): how the dispatcher locks the keyspace.
  kLockAll = 1u << 24,  // lock every shard (FLUSHALL, SWAPDB, ...): atomic over the keyspace
  // Runs only once every key is in memory: while the keyspace warms up after a start
  // (storage/warmup.h) it waits for the end (DBSIZE, KEYS, SCAN: they count or list keys).
  kAwaitWarm = 1u << 25,
  // Never uses its keys' values: replaces them whole (SET without GET, MSET, SETEX), deletes
  // them, or answers from the key alone (EXISTS, TYPE, TTL). Tiering then reads no value
  // back from disk for it; the handler looks its keys up with FindKeyOnly or
  // FindToOverwrite. (Keys a warm-up has not loaded yet are still read: they may exist.)
  kNoValueRead = 1u << 26,
};

// ACL categories, as reported by COMMAND INFO ("@read", "@string", ...).
enum CommandCategory : uint32_t {
  kCatKeyspace = 1u << 0,
  kCatRead = 1u << 1,
  kCatWrite = 1u << 2,
  kCatString = 1u << 3,
  kCatFast = 1u << 4,
  kCatSlow = 1u << 5,
  kCatAdmin = 1u << 6,
  kCatDangerous = 1u << 7,
  kCatConnection = 1u << 8,
  kCatHash = 1u << 9,
  kCatSet = 1u << 10,
  kCatPubSub = 1u << 11,
  kCatTransaction = 1u << 12,
  kCatScripting = 1u << 13,
  kCatList = 1u << 14,
  kCatBlocking = 1u << 15,
  kCatBitmap = 1u << 16,
  kCatHyperLogLog = 1u << 17,
  kCatSortedSet = 1u << 18,
};

struct CommandContext {
  std::span<const std::string_view> argv;
  protocol::ReplyWriter& reply;
  storage::Keyspace& keyspace;
  ClientState& client;
  ServerState& server;
  int64_t now_ms;
  int db;  // the client's selected database at the time of the call
  Dispatcher* dispatcher = nullptr;  // the worker's (EVAL runs its script engine)
  // A blocking command may block: false inside MULTI/EXEC and scripts, where it answers
  // as a timeout would (Redis's CLIENT_DENY_BLOCKING).
  bool may_block = false;

  std::string_view arg(size_t i) const { return argv[i]; }
  size_t argc() const { return argv.size(); }
  // Raises a keyspace event (server/keyspace_events.h: KeyspaceEvents::kString, "set")
  // for `key` in the client's database, or in `in_db`; published only if
  // notify-keyspace-events enables its class. Defined in keyspace_events.cc.
  void Notify(int type, std::string_view event, std::string_view key) const;
  void NotifyDb(int type, std::string_view event, int in_db, std::string_view key) const;
};

using Handler = Status (*)(CommandContext& ctx);

struct CommandSpec {
  const char* name;  // lower case; subcommands: the subcommand alone ("setname")
  int arity;         // Redis convention: N exact, -N at least N (counting the name)
  uint32_t flags;
  uint32_t categories;
  int first_key;  // 0: no keys
  int last_key;   // -1: last argument
  int key_step;
  const char* group;    // COMMAND DOCS group: "string", "generic", "connection", "server"
  const char* since;    // Redis version that introduced it
  const char* summary;  // one line
  Handler handler;      // nullptr for a container (CLIENT, CONFIG, ...)
  std::vector<CommandSpec> subcommands = {};
  // Keys counted by an argument (LMPOP numkeys key...): its position, or 0. Then the keys
  // are the numkeys arguments after it, plus first_key..last_key where those come before
  // it (ZUNIONSTORE's destination); first_key/last_key stay what COMMAND INFO reports.
  int numkeys_at = 0;
};

// Redis's arity rule: a positive arity is the exact argument count (the name included), a
// negative one the minimum.
inline bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

// Calls fn(i) for every argument position i the spec names as a key, in order (Redis's
// first_key / last_key / key_step convention: a negative last_key counts from the end;
// positions past the end of argv are ignored; with numkeys_at, the numkeys arguments after
// that one, and first_key..last_key if they come before it). fn returns false to stop early; the result is false when it did.
template <typename Fn>
bool ForEachKeyIndex(const CommandSpec& spec, std::span<const std::string_view> argv, Fn&& fn) {
  const size_t argc = argv.size();
  if (spec.numkeys_at > 0) {
    const auto at = static_cast<size_t>(spec.numkeys_at);
    // A key named before numkeys (ZUNIONSTORE's destination): first_key..last_key.
    if (spec.first_key > 0 && spec.first_key < spec.numkeys_at && spec.last_key > 0) {
      const int last = std::min(spec.last_key, spec.numkeys_at - 1);
      for (int i = spec.first_key; i <= last && static_cast<size_t>(i) < argc; i++) {
        if (!fn(static_cast<size_t>(i))) return false;
      }
    }
    int64_t numkeys = 0;
    if (at >= argc || !ParseInt64(argv[at], &numkeys) || numkeys <= 0) return true;
    const size_t end = std::min<uint64_t>(argc, at + 1 + static_cast<uint64_t>(numkeys));
    for (size_t i = at + 1; i < end; i++) {
      if (!fn(i)) return false;
    }
    return true;
  }
  if (spec.first_key <= 0 || static_cast<size_t>(spec.first_key) >= argc) return true;
  const int n = static_cast<int>(argc);
  int last = spec.last_key >= 0 ? spec.last_key : n + spec.last_key;
  if (last > n - 1) last = n - 1;
  const int step = spec.key_step > 0 ? spec.key_step : 1;
  for (int i = spec.first_key; i <= last; i += step) {
    if (!fn(static_cast<size_t>(i))) return false;
  }
  return true;
}

}  // namespace vellum::server
