// null_server: the least work a RESP server can do, to measure what compare.sh can
// measure on a given machine.
//
// It speaks just enough RESP for redis-benchmark: every multibulk command is answered
// without looking anything up. SET/MSET and everything else get +OK; GET gets a bulk of
// the size of the last SET value, copied from one buffer that stays in the cache. There
// is no keyspace, so no real server can do less per request.
//
// bench/null_server_ceiling.sh runs compare.sh with A = this server and B = redis-server.
// Its ratios are the ceiling for any server on this machine: where even the null server
// cannot beat Redis, the benchmark client, not the server, sets the pace.
//
// Layout as Redis: one thread (or THREADS of them, SO_REUSEPORT), epoll, replies gathered
// during one pass over the ready sockets and written after it.
//
// With a durability (everysec or always) and a directory, it persists through Vellum's
// storage engine: every SET and MSET pair of a pass goes into one EngineBatch, through
// EngineBatch::PutString as vellumd's persister writes a string (storage/FORMAT.md), and
// the batch is written (Engine::Write; synced in always) before the pass's replies leave,
// as Redis writes its AOF in beforeSleep. A thread does once a second what vellumd's
// persister does: sync the log (everysec) and trim the replication backlog's files. The
// engine's options are vellumd's defaults, its backlog included, mapped by vellumd's own
// code (server/engine_config.h). There is no keyspace and no persister hand-off: it is the
// ceiling of one design, one thread writing every SET in its loop, which vellumd can pass
// only where its persister thread overlaps a write with the next commands or coalesces
// repeated writes of a key. bench/null_server_ceiling.sh with NULL_DURABILITY set compares
// it with redis-server's AOF in the same mode. In always it syncs in its loop, as Redis
// does, which vellumd may not do (a sync must not stop a worker's loop): there it is a
// reference, not a ceiling.
// Usage: null_server PORT [THREADS [everysec|always DIR]]. Binds 127.0.0.1 only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "conf/config.h"
#include "server/engine_config.h"
#include "storage/engine.h"

namespace {

using vellum::storage::Engine;
using vellum::storage::EngineBatch;

Engine* g_engine = nullptr;  // null: nothing persisted
bool g_sync = false;         // always: every pass's batch is synced before its replies

std::atomic<size_t> g_value_size{3};
std::string g_value_bytes;  // the GET payload source, large enough for any size seen

struct Conn {
  explicit Conn(int f) : fd(f) {}
  int fd;
  std::string in;
  std::string out;
  bool pending = false;   // queued for the end-of-pass write
  bool want_out = false;  // EPOLLOUT armed
};

// Parses one "$len\r\n" or "*len\r\n" header at `pos`; returns false if incomplete.
bool ReadHeader(const std::string& in, size_t* pos, char type, long* value, bool* bad) {
  if (*pos >= in.size()) return false;
  if (in[*pos] != type) {
    *bad = true;
    return false;
  }
  size_t eol = in.find("\r\n", *pos);
  if (eol == std::string::npos) return false;
  *value = std::strtol(in.c_str() + *pos + 1, nullptr, 10);
  *pos = eol + 2;
  return true;
}

bool IsCommand(std::string_view name, std::string_view want) {
  return name.size() == want.size() && strncasecmp(name.data(), want.data(), want.size()) == 0;
}

void Reply(Conn& c, std::string_view name, const std::vector<std::string_view>& args,
           EngineBatch* batch) {
  if (IsCommand(name, "GET")) {
    size_t n = std::min(g_value_size.load(std::memory_order_relaxed), g_value_bytes.size());
    c.out += '$';
    c.out += std::to_string(n);
    c.out += "\r\n";
    c.out.append(g_value_bytes.data(), n);
    c.out += "\r\n";
    return;
  }
  if (IsCommand(name, "SET") && args.size() >= 3) {
    g_value_size.store(args[2].size(), std::memory_order_relaxed);
    if (batch != nullptr) batch->PutString(0, args[1], /*expire_at_ms=*/0, args[2]);
  }
  if (IsCommand(name, "MSET") && batch != nullptr) {
    for (size_t i = 1; i + 1 < args.size(); i += 2) {
      batch->PutString(0, args[i], /*expire_at_ms=*/0, args[i + 1]);
    }
  }
  c.out += "+OK\r\n";
}

// Answers every complete command in c.in and drops them from it; a partial command
// stays for the next read. Returns false on a protocol error.
bool Process(Conn& c, EngineBatch* batch) {
  size_t done = 0;
  bool bad = false;
  std::vector<std::string_view> args;
  while (done < c.in.size() && !bad) {
    size_t pos = done;
    long argc = 0;
    if (!ReadHeader(c.in, &pos, '*', &argc, &bad)) break;
    args.clear();
    bool complete = true;
    for (long i = 0; i < argc && complete; i++) {
      long len = 0;
      if (!ReadHeader(c.in, &pos, '$', &len, &bad) || len < 0 ||
          pos + static_cast<size_t>(len) + 2 > c.in.size()) {
        complete = false;
        break;
      }
      args.emplace_back(c.in.data() + pos, static_cast<size_t>(len));
      pos += static_cast<size_t>(len) + 2;
    }
    if (!complete) break;
    if (!args.empty()) Reply(c, args[0], args, batch);
    done = pos;
  }
  c.in.erase(0, done);
  return !bad;
}

void Serve(int listen_fd) {
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // null: the listening socket
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  std::vector<Conn*> pending;
  epoll_event events[256];
  char buf[64 * 1024];
  auto close_conn = [&](Conn* c) {
    close(c->fd);
    c->fd = -1;  // freed after the pass; may still be queued in `pending`
  };
  std::vector<Conn*> closed;
  std::unique_ptr<EngineBatch> batch = g_engine != nullptr ? g_engine->NewBatch() : nullptr;
  while (true) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      if (c == nullptr) {
        int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        auto* nc = new Conn(fd);
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.ptr = nc;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        continue;
      }
      if (c->fd < 0) continue;
      if (events[i].events & EPOLLIN) {
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
          close_conn(c);
          closed.push_back(c);
          continue;
        }
        if (r > 0) c->in.append(buf, static_cast<size_t>(r));
        if (!Process(*c, batch.get())) {
          close_conn(c);
          closed.push_back(c);
          continue;
        }
      }
      if (!c->out.empty() && !c->pending) {
        c->pending = true;
        pending.push_back(c);
      }
    }
    // The end of the pass: persist its writes, then write what every connection has
    // (Redis's beforeSleep).
    if (batch != nullptr && !batch->empty()) {
      vellum::Status st = g_engine->Write(*batch, g_sync);
      if (!st.ok()) {
        std::fprintf(stderr, "null_server: %s\n", st.message().c_str());
        std::_Exit(1);  // no destructors while other threads use the engine
      }
      batch->Clear();
    }
    for (Conn* c : pending) {
      c->pending = false;
      if (c->fd < 0 || c->out.empty()) continue;
      ssize_t w = write(c->fd, c->out.data(), c->out.size());
      if (w < 0 && errno != EAGAIN) {
        close_conn(c);
        closed.push_back(c);
        continue;
      }
      if (w > 0) c->out.erase(0, static_cast<size_t>(w));
      bool want_out = !c->out.empty();
      if (want_out != c->want_out) {
        epoll_event e{};
        e.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
        e.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        c->want_out = want_out;
      }
    }
    pending.clear();
    for (Conn* c : closed) delete c;
    closed.clear();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc == 4 || argc > 5) {
    std::fprintf(stderr, "usage: %s PORT [THREADS [everysec|always DIR]]\n", argv[0]);
    return 2;
  }
  int port = std::atoi(argv[1]);
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  std::vector<int> listeners;
  for (int t = 0; t < threads; t++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 511) != 0) {
      std::perror("null_server: bind/listen");
      return 1;
    }
    listeners.push_back(fd);
  }
  if (argc == 5) {
    std::string_view durability = argv[3];
    if (durability != "everysec" && durability != "always") {
      std::fprintf(stderr, "null_server: durability is everysec or always, not %s\n", argv[3]);
      return 2;
    }
    // vellumd's defaults, from the config schema (conf/vellum.toml), as vellumd maps them.
    auto defaults = vellum::conf::Load("", {});
    if (!defaults.ok()) {
      std::fprintf(stderr, "null_server: %s\n", defaults.status().message().c_str());
      return 1;
    }
    auto opened =
        Engine::Open(vellum::server::EngineOptionsFor(*defaults, std::string(argv[4]) + "/db"));
    if (!opened.ok()) {
      std::fprintf(stderr, "null_server: %s\n", opened.status().message().c_str());
      return 1;
    }
    g_engine = opened->release();  // open until the process ends (kill): never closed
    g_sync = durability == "always";
    // Once a second, as vellumd's persister: sync the log (everysec), keep the
    // replication backlog's files within their limit.
    std::thread([] {
      while (true) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        vellum::Status st = g_sync ? vellum::Status::Ok() : g_engine->SyncWal();
        if (!st.ok()) std::fprintf(stderr, "null_server: %s\n", st.message().c_str());
        g_engine->TrimLogArchive();
      }
    }).detach();
  }
  g_value_bytes.assign(512 * 1024, 'x');  // compare.sh's largest value is 32 KiB
  std::vector<std::thread> workers;
  for (int fd : listeners) workers.emplace_back(Serve, fd);
  for (auto& w : workers) w.join();
}
