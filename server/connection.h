// Connection: one client socket on one worker loop, for its whole life.
//
// Reads into an input buffer, parses every complete command in it and runs each through
// the worker's Dispatcher. Their replies leave together at the end of the loop
// iteration (Worker::RequestFlush), with one write per connection: first uv_try_write
// (no request, no callback) and only for the rest, if the socket is full, uv_write. At
// most one write is in flight; replies produced meanwhile wait in `out_` and leave when
// it completes.
//
// Back-pressure: while more than kPauseReadingBytes of replies are unsent the socket is
// not read, so a pipelining client that reads slowly cannot grow our memory. A client
// whose unsent replies exceed output-buffer-limit anyway (one batch of huge replies, or a
// client that never reads) is disconnected; the event is logged and counted in INFO.
//
// Memory: freed only in the libuv close callback. Only the owning worker's thread
// touches a Connection.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/memory.h"
#include "protocol/reply_writer.h"
#include "protocol/resp_parser.h"
#include "server/byte_buffer.h"
#include "server/client_state.h"

namespace vellum::server {

class Worker;

class Connection {
 public:
  static constexpr size_t kReadChunk = 64 * 1024;
  static constexpr size_t kPauseReadingBytes = 4 * 1024 * 1024;

  // Takes an accepted stream handle (uv_tcp_t or uv_pipe_t, heap-allocated, already
  // initialised on the worker's loop).
  Connection(Worker* worker, uv_stream_t* stream, std::shared_ptr<ClientState> state);

  void Start();
  // Sends what is queued, then closes.
  void CloseAfterWrite();
  // Closes now; queued replies are dropped.
  void Close();

  // Queues an error and closes after sending it (maxclients).
  void RejectWith(std::string_view error_line);

  // Writes a push message (Pub/Sub) built by `fn` with this client's protocol version and
  // sends it. Loop-thread only; the caller checks closing() first.
  void Push(const std::function<void(protocol::ReplyWriter&)>& fn);

  // Called by the worker at the end of the loop iteration after RequestFlush.
  void FlushRequested() {
    flush_requested_ = false;
    Flush();
  }
  // The reply the last command deferred (ClientState::Defer), held until the persister
  // completes `durable_ticket` if it answers a write; then runs the commands that arrived
  // meanwhile. Loop thread only.
  void DeliverDeferred(const ClientState::DeferredReply& reply, uint64_t durable_ticket = 0);
  // Called by the worker after a persister cycle while this connection awaits one.
  void DurableProgress() {
    awaiting_durable_ = false;
    Flush();
  }

  ClientState& state() { return *state_; }
  const std::shared_ptr<ClientState>& shared_state() const { return state_; }
  bool closing() const { return closing_; }

 private:
  ~Connection() = default;
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* h);

  void ProcessInput();
  // CLIENT REPLY OFF/SKIP: drops what the command just run wrote from reply_start on.
  void DropReplyIfAsked(size_t reply_start, bool skip_this);
  void Flush();
  // True while out_ answers writes the persister has not made durable yet; then the
  // connection is registered with its worker to be flushed after the next cycle.
  bool HeldForDurability();
  // Flush at the end of this loop iteration (once, however often it is asked).
  void RequestFlush();
  // RequestFlush, or Flush now when the unsent replies already call for back-pressure.
  void FlushOrRequest();
  size_t UnsentBytes() const { return out_.size() + writing_.size(); }
  // Shows UnsentBytes() in CLIENT LIST, and for a replica's link its buffers' capacity in
  // the outgoing buffer memory (common/memory.h), through replica_hold_.
  void PublishOutputBytes();
  bool OverOutputLimit();

  Worker* worker_;
  uv_stream_t* stream_;
  std::shared_ptr<ClientState> state_;
  ByteBuffer in_;
  std::string out_;      // replies not yet handed to libuv
  std::string writing_;  // the buffer of the write in flight
  size_t writing_offset_ = 0;  // bytes of writing_ already sent by uv_try_write
  uv_write_t write_req_;
  bool write_in_flight_ = false;
  bool reading_ = false;
  bool paused_ = false;
  bool close_after_write_ = false;
  bool closing_ = false;
  bool flush_requested_ = false;
  OutgoingBufferHold replica_hold_;  // loop thread only
  // Replies in out_ answer writes that must be durable first (storage.durability): they
  // leave once the persister completes cycle durable_ticket_. 0: nothing held.
  uint64_t durable_ticket_ = 0;
  bool awaiting_durable_ = false;
  protocol::RespParser parser_;
  protocol::ReplyWriter writer_;
  std::vector<std::string_view> argv_;
};

}  // namespace vellum::server
