// RespClient: a minimal blocking Redis client for vellumctl and the replica link (one
// connection). Replies are parsed into a small tree; RESP2 and the RESP3 types Vellum
// sends. Commands may be pipelined: Send several, then Receive their replies in order.
//
// Not thread-safe; one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  // Send, then Receive.
  Result<RespValue> Call(const std::vector<std::string>& argv);
  // Sends one command; its reply is the next one Receive or ReceiveBulk takes after the
  // replies of the commands sent before it.
  Status Send(const std::vector<std::string>& argv);
  Result<RespValue> Receive();
  // Receive for a reply that may be a large bulk string (a chunk of a full sync's file):
  // its bytes go to `sink` as they come off the socket, in pieces, never collected in
  // memory; the value returned is then kBulk with `integer` its length and `str` empty.
  // Any other reply is returned as Receive returns it. An error from sink ends the read
  // (the connection is then out of step: close it).
  Result<RespValue> ReceiveBulk(const std::function<Status(std::string_view)>& sink);
  // How long a reply may take before Call fails (Connect's timeout_s until then).
  void SetTimeout(int seconds);
  // Makes a Call blocked in another thread return an error at once (the replica link's
  // REPLICAOF NO ONE). The only member that may be called from another thread.
  void Interrupt();

 private:
  static constexpr size_t kKeptBufferBytes = 64 << 10;
  static constexpr size_t kPieceBytes = 256 << 10;  // ReceiveBulk's reads
  static constexpr size_t kReserveLimitBytes = 64 << 20;
  explicit RespClient(int fd) : fd_(fd) {}
  Status Fill();
  // recv into `to`, up to `len` bytes; the count received (never 0).
  Result<size_t> RecvSome(char* to, size_t len);
  Result<std::string> Line();
  Result<RespValue> Read();
  // The reply whose first line (without its CRLF) is `line`.
  Result<RespValue> ReadAfter(const std::string& line);
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace vellum::snapshot
