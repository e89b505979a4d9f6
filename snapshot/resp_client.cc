#include "snapshot/resp_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vellum::snapshot {
namespace {

// The integer after a reply's type byte (a length, a count, an integer reply).
Status ParseNumber(const std::string& text, int64_t* n) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') {
    return Status::Error("protocol error: bad number");
  }
  *n = x;
  return Status::Ok();
}

}  // namespace

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
  if (Status st = Send(argv); !st.ok()) return st;
  return Receive();
}

Status RespClient::Send(const std::vector<std::string>& argv) {
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
  return Status::Ok();
}

Result<RespValue> RespClient::Receive() {
  Result<RespValue> reply = Read();
  // A large reply (a batch of the primary's log) grew the buffer: once it is consumed,
  // give that memory back instead of keeping it for the connection's life (a replica's
  // link lives as long as it follows).
  if (pos_ == buf_.size() && buf_.capacity() > kKeptBufferBytes) {
    std::string().swap(buf_);
    pos_ = 0;
  }
  return reply;
}

Result<RespValue> RespClient::ReceiveBulk(const std::function<Status(std::string_view)>& sink) {
  Result<std::string> line = Line();
  if (!line.ok()) return line.status();
  if (line->size() < 2 || (*line)[0] != '$' || (*line)[1] == '-') return ReadAfter(*line);
  int64_t n = 0;
  if (Status st = ParseNumber(line->substr(1), &n); !st.ok()) return st;
  if (n < 0) return RespValue{};  // a null bulk, however written
  // What is already buffered first, then straight from the socket, never past this reply
  // (what follows belongs to the next one).
  uint64_t left = static_cast<uint64_t>(n);
  const size_t buffered = static_cast<size_t>(std::min<uint64_t>(left, buf_.size() - pos_));
  if (buffered > 0) {
    if (Status st = sink(std::string_view(buf_).substr(pos_, buffered)); !st.ok()) return st;
    pos_ += buffered;
    left -= buffered;
  }
  if (left > 0) {
    std::unique_ptr<char[]> piece(new char[kPieceBytes]);
    while (left > 0) {
      Result<size_t> got =
          RecvSome(piece.get(), static_cast<size_t>(std::min<uint64_t>(left, kPieceBytes)));
      if (!got.ok()) return got.status();
      if (Status st = sink(std::string_view(piece.get(), *got)); !st.ok()) return st;
      left -= *got;
    }
  }
  while (buf_.size() - pos_ < 2) {
    if (Status st = Fill(); !st.ok()) return st;
  }
  if (buf_.compare(pos_, 2, "\r\n") != 0)
    return Status::Error("protocol error: bulk not ended by CRLF");
  pos_ += 2;
  RespValue v;
  v.type = RespValue::kBulk;
  v.integer = n;
  return v;
}

Result<size_t> RespClient::RecvSome(char* to, size_t len) {
  for (;;) {
    ssize_t n = ::recv(fd_, to, len, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Status::Error("the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Error("timed out waiting for the server");
    return Status::Error(std::string("can't read from the server: ") + std::strerror(errno));
  }
}

Status RespClient::Fill() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[16384];
  Result<size_t> n = RecvSome(chunk, sizeof(chunk));
  if (!n.ok()) return n.status();
  buf_.append(chunk, *n);
  return Status::Ok();
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
  return ReadAfter(*line);
}

Result<RespValue> RespClient::ReadAfter(const std::string& line) {
  if (line.empty()) return Status::Error("protocol error: empty line");
  const char kind = line[0];
  const std::string rest = line.substr(1);
  RespValue v;
  auto number = [&](int64_t* n) { return ParseNumber(rest, n); };
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
      // One allocation, not doublings (within reason: the length is the server's word).
      buf_.reserve(pos_ + std::min<size_t>(static_cast<size_t>(n) + 2, kReserveLimitBytes));
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
