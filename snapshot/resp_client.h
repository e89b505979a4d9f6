// RespClient: a minimal blocking Redis client for vellumctl (one connection, one command
// at a time). Replies are parsed into a small tree; RESP2 and the RESP3 types Vellum sends.
//
// Not thread-safe; one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace vellum::snapshot {

struct RespValue {
  enum Type { kSimple, kError, kInteger, kBulk, kNull, kArray } type = kNull;
  std::string str;  // simple, error, bulk
  int64_t integer = 0;
  std::vector<RespValue> elements;  // array, map (flattened key, value, ...)
};

class RespClient {
 public:
  static Result<std::unique_ptr<RespClient>> Connect(const std::string& host, int port,
                                                     int timeout_s);
  ~RespClient();
  Result<RespValue> Call(const std::vector<std::string>& argv);
  // How long a reply may take before Call fails (Connect's timeout_s until then).
  void SetTimeout(int seconds);
  // Makes a Call blocked in another thread return an error at once (the replica link's
  // REPLICAOF NO ONE). The only member that may be called from another thread.
  void Interrupt();

 private:
  static constexpr size_t kKeptBufferBytes = 64 << 10;
  explicit RespClient(int fd) : fd_(fd) {}
  Status Fill();
  Result<std::string> Line();
  Result<RespValue> Read();
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace vellum::snapshot
