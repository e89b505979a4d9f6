// KeyspaceEvents: Redis's keyspace notifications (notify-keyspace-events).
//
// A command that changes a key raises an event (its type class and name, e.g. kString /
// "set") through CommandContext::Notify; if the configured flags enable that class, the
// event is published on Pub/Sub as Redis does:
//   __keyspace@<db>__:<key>   -> <event>     (flag K)
//   __keyevent@<db>__:<event> -> <key>       (flag E)
// Expiry is seen by the keyspace itself (lazy and active), so the notifier is also a
// storage::WriteListener and raises "expired" from OnKeyExpired; every other event is
// raised by the command that causes it. "evicted" is for the eviction code to raise with
// Notify(kEvicted, "evicted", db, key).
//
// Thread-safety: Notify may be called from any thread, with shard locks held; it only
// reads an atomic and, when enabled, calls PubSub::Publish (which never takes shard
// locks). SetFlags is called by the config listener.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "storage/keyspace.h"

namespace vellum::server {

class PubSub;

class KeyspaceEvents final : public storage::WriteListener {
 public:
  // Redis's NOTIFY_* classes and their letters.
  static constexpr int kKeyspace = 1 << 0;  // K
  static constexpr int kKeyevent = 1 << 1;  // E
  static constexpr int kGeneric = 1 << 2;   // g: del, expire, rename, ...
  static constexpr int kString = 1 << 3;    // $
  static constexpr int kList = 1 << 4;      // l
  static constexpr int kSet = 1 << 5;       // s
  static constexpr int kHash = 1 << 6;      // h
  static constexpr int kZset = 1 << 7;      // z
  static constexpr int kExpired = 1 << 8;   // x
  static constexpr int kEvicted = 1 << 9;   // e
  static constexpr int kStream = 1 << 10;   // t
  static constexpr int kKeyMiss = 1 << 11;  // m (not part of A)
  static constexpr int kLoaded = 1 << 12;   // (modules only; no letter)
  static constexpr int kModule = 1 << 13;   // d
  static constexpr int kNew = 1 << 14;      // n (not part of A)
  // A: g$lshzxetd.
  static constexpr int kAll =
      kGeneric | kString | kList | kSet | kHash | kZset | kExpired | kEvicted | kStream | kModule;

  explicit KeyspaceEvents(PubSub* pubsub) : pubsub_(pubsub) {}

  // "KEA" -> flags; -1 if a character is not one of Redis's class letters.
  static int ParseFlags(std::string_view classes);
  // Flags -> the canonical text CONFIG GET shows ("AKE", "xE"), as Redis 7.0 writes it.
  static std::string FormatFlags(int flags);
  // The error CONFIG SET gives for an invalid string (after Redis's common prefix).
  static constexpr char kInvalidClasses[] = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

  void SetFlags(int flags) { flags_.store(flags, std::memory_order_relaxed); }
  int flags() const { return flags_.load(std::memory_order_relaxed); }

  // Publishes the event if its class (and K or E) is enabled.
  void Notify(int type, std::string_view event, int db, std::string_view key);

  // storage::WriteListener: only expiry is an event the keyspace raises itself.
  void OnKeyWritten(int, std::string_view) override {}
  void OnKeyDeleted(int, std::string_view) override {}
  void OnKeyExpired(int db, std::string_view key) override { Notify(kExpired, "expired", db, key); }
  void OnDbFlushed(int) override {}
  void OnDbSwapped(int, int) override {}

 private:
  PubSub* pubsub_;
  std::atomic<int> flags_{0};
};

}  // namespace vellum::server
