#include "server/client_state.h"

namespace vellum::server {

std::string ClientState::InfoLine(int64_t now_ms) const {
  // In Redis 7.0's order (getClientInfoString): O or S, P, x, b, e.
  std::string flags;
  if (monitor.load()) flags += "O";
  if (replica.load()) flags += "S";
  if (subscribed()) flags += "P";
  const int64_t multi = multi_queued.load(std::memory_order_relaxed);
  if (multi >= 0) flags += "x";
  if (blocked.load()) flags += "b";
  if (no_evict.load()) flags += "e";
  if (flags.empty()) flags = "N";
  std::string line;
  line.reserve(256);
  line += "id=" + std::to_string(id_);
  line += " addr=" + addr_;
  line += " laddr=" + laddr_;
  line += " fd=" + std::to_string(fd_);
  line += " name=" + name();
  line += " age=" + std::to_string((now_ms - created_ms_) / 1000);
  line += " idle=" + std::to_string((now_ms - last_interaction_ms.load()) / 1000);
  line += " flags=" + flags;
  line += " db=" + std::to_string(db.load());
  line += " sub=" + std::to_string(pubsub_channels.load());
  line += " psub=" + std::to_string(pubsub_patterns.load());
  line += " ssub=" + std::to_string(pubsub_shard_channels.load());
  line += " multi=" + std::to_string(multi);
  line += " qbuf=" + std::to_string(query_buffer_bytes.load());
  // As Redis: the calling client sees its own command in qbuf; obl is the reply bytes
  // waiting to be written (Vellum has one output buffer, no reply list: oll=0).
  const size_t qbuf = query_buffer_bytes.load(), qfree = query_buffer_free.load();
  const size_t argv = argv_bytes.load(), out = output_bytes.load();
  line += " qbuf-free=" + std::to_string(qfree);
  line += " argv-mem=" + std::to_string(argv);
  const size_t multi_mem = multi_bytes.load(std::memory_order_relaxed);
  line += " multi-mem=" + std::to_string(multi_mem);
  line += " rbs=" + std::to_string(qbuf + qfree) + " rbp=" + std::to_string(qbuf);
  line += " obl=" + std::to_string(out) + " oll=0";
  line += " omem=" + std::to_string(out);
  line += " tot-mem=" + std::to_string(qbuf + qfree + argv + out + multi_mem);
  line += " events=r cmd=" + last_command();
  line += " user=" + user_name() + " redir=-1 resp=" + std::to_string(resp);
  line += " lib-name=" + lib_name();
  line += " lib-ver=" + lib_ver();
  return line;
}

}  // namespace vellum::server
