#include "snapshot/resp_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vellum::snapshot {

Result<std::unique_ptr<RespClient>> RespClient::Connect(const std::string& host, int port,
                                                        int timeout_s) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    return Status::Error("can't resolve " + host);
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // Non-blocking, so that an unreachable host fails after timeout_s, not the kernel's
    // two minutes (REPLICAOF NO ONE and shutdown wait for a replica link's connect).
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int so_error = ETIMEDOUT;  // poll returning 0
      if (::poll(&p, 1, timeout_s * 1000) == 1) {
        socklen_t len = sizeof(so_error);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      }
      rc = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    if (rc == 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      break;
    }
    err = errno;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return Status::Error("can't connect to " + where + ": " + std::strerror(err));
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return std::unique_ptr<RespClient>(new RespClient(fd));
}

RespClient::~RespClient() { ::close(fd_); }

void RespClient::Interrupt() { ::shutdown(fd_, SHUT_RDWR); }

void RespClient::SetTimeout(int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

Result<RespValue> RespClient::Call(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  for (size_t sent = 0; sent < out.size();) {
    ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(std::string("can't send to the server: ") + std::strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }
  Result<RespValue> reply = Read();
  // A large reply (a 4 MiB chunk of a full sync's files) grew the buffer: once it is
  // consumed, give that memory back instead of keeping it for the connection's life (a
  // replica's link lives as long as it follows).
  if (pos_ == buf_.size() && buf_.capacity() > kKeptBufferBytes) {
    std::string().swap(buf_);
    pos_ = 0;
  }
  return reply;
}

Status RespClient::Fill() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Status::Error("the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Error("timed out waiting for the server");
    return Status::Error(std::string("can't read from the server: ") + std::strerror(errno));
  }
}

Result<std::string> RespClient::Line() {
  for (;;) {
    size_t end = buf_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string line = buf_.substr(pos_, end - pos_);
      pos_ = end + 2;
      return line;
    }
    if (Status st = Fill(); !st.ok()) return st;
  }
}

Result<RespValue> RespClient::Read() {
  Result<std::string> line = Line();
  if (!line.ok()) return line.status();
  if (line->empty()) return Status::Error("protocol error: empty line");
  const char kind = (*line)[0];
  const std::string rest = line->substr(1);
  RespValue v;
  auto number = [&](int64_t* n) -> Status {
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(rest.c_str(), &end, 10);
    if (errno != 0 || end == rest.c_str() || *end != '\0') return Status::Error("protocol error: bad number");
    *n = x;
    return Status::Ok();
  };
  switch (kind) {
    case '+':
      v.type = RespValue::kSimple;
      v.str = rest;
      return v;
    case '-':
      v.type = RespValue::kError;
      v.str = rest;
      return v;
    case ':':
      v.type = RespValue::kInteger;
      if (Status st = number(&v.integer); !st.ok()) return st;
      return v;
    case '_':
      return v;
    case '$': {
      int64_t n = 0;
      if (Status st = number(&n); !st.ok()) return st;
      if (n < 0) return v;
      while (buf_.size() - pos_ < static_cast<size_t>(n) + 2) {
        if (Status st = Fill(); !st.ok()) return st;
      }
      v.type = RespValue::kBulk;
      v.str = buf_.substr(pos_, static_cast<size_t>(n));
      pos_ += static_cast<size_t>(n) + 2;
      return v;
    }
    case '*':
    case '%': {
      int64_t n = 0;
      if (Status st = number(&n); !st.ok()) return st;
      if (n < 0) return v;
      if (kind == '%') n *= 2;
      v.type = RespValue::kArray;
      for (int64_t i = 0; i < n; i++) {
        Result<RespValue> e = Read();
        if (!e.ok()) return e.status();
        v.elements.push_back(std::move(*e));
      }
      return v;
    }
    default:
      return Status::Error("protocol error: unexpected reply type '" + std::string(1, kind) + "'");
  }
}

}  // namespace vellum::snapshot
