// ScriptCache: the server's scripts by SHA1 digest (Redis's lua_scripts dict).
//
// EVAL and SCRIPT LOAD add a body once it compiled; EVALSHA looks it up. One cache for
// the whole server, so a script loaded on one connection runs on every other, whatever
// worker it lands on. Each worker keeps its own Lua VM with the compiled functions
// (server/scripting/script_engine.h); a FLUSH bumps the generation, and a VM that sees
// a newer generation starts afresh. Thread-safe: one mutex, held only to copy a body.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vellum::server {

// The lower-case hex SHA1 digest of `data` (40 characters), as redis.sha1hex returns it.
std::string Sha1Hex(std::string_view data);

class ScriptCache {
 public:
  // Stores body under sha (its digest).
  void Add(const std::string& sha, std::string_view body);
  // Copies the body of `sha` (any case) into *body; false if unknown.
  bool Get(std::string_view sha, std::string* body) const;
  bool Contains(std::string_view sha) const;
  // SCRIPT FLUSH: forgets every script and bumps the generation.
  void Flush();

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t size() const;
  size_t memory() const;  // bytes of bodies and digests (INFO used_memory_scripts)

 private:
  static std::string Lower(std::string_view sha);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> scripts_;
  size_t bytes_ = 0;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace vellum::server
