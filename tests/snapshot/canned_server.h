// A loopback server for RespClient's users' tests: accepts one connection on 127.0.0.1
// and writes canned replies to it, whatever it is sent.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

namespace vellum::testing_support {

// Accepts one connection on 127.0.0.1 and writes `replies` to it in pieces of `piece`
// bytes (all at once if 0), then reads until the client closes.
class CannedServer {
 public:
  CannedServer(std::string replies, size_t piece) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    socklen_t len = sizeof(a);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, replies = std::move(replies), piece] {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      const size_t step = piece == 0 ? replies.size() : piece;
      for (size_t off = 0; off < replies.size(); off += step) {
        ::send(fd, replies.data() + off, std::min(step, replies.size() - off), MSG_NOSIGNAL);
        if (piece != 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      char sink[4096];
      while (::recv(fd, sink, sizeof(sink), 0) > 0) {
      }
      ::close(fd);
    });
  }
  ~CannedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

inline std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

}  // namespace vellum::testing_support
