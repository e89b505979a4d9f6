#include "server/scripting/script_cache.h"

#include <openssl/sha.h>

#include <cctype>

namespace vellum::server {

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string ScriptCache::Lower(std::string_view sha) {
  std::string out(sha);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void ScriptCache::Add(const std::string& sha, std::string_view body) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = scripts_.try_emplace(sha, body);
  if (inserted) bytes_ += sha.size() + body.size();
}

bool ScriptCache::Get(std::string_view sha, std::string* body) const {
  if (sha.size() != 40) return false;
  const std::string key = Lower(sha);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = scripts_.find(key);
  if (it == scripts_.end()) return false;
  *body = it->second;
  return true;
}

bool ScriptCache::Contains(std::string_view sha) const {
  if (sha.size() != 40) return false;
  const std::string key = Lower(sha);
  std::lock_guard<std::mutex> lock(mu_);
  return scripts_.count(key) != 0;
}

void ScriptCache::Flush() {
  std::unordered_map<std::string, std::string> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old.swap(scripts_);
    bytes_ = 0;
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
}

size_t ScriptCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return scripts_.size();
}

size_t ScriptCache::memory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace vellum::server
