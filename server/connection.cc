#include "server/connection.h"

#include "common/log.h"
#include "common/memory.h"
#include "server/blocking.h"
#include "server/pubsub.h"
#include "server/worker.h"

namespace vellum::server {

Connection::Connection(Worker* worker, uv_stream_t* stream, std::shared_ptr<ClientState> state)
    : worker_(worker), stream_(stream), state_(std::move(state)), writer_(&out_) {
  stream_->data = this;
  write_req_.data = this;
}

void Connection::Start() {
  protocol::ParserLimits limits;
  limits.max_bulk_len = worker_->state().proto_max_bulk_len.load();
  parser_.set_limits(limits);
  reading_ = uv_read_start(stream_, OnAlloc, OnRead) == 0;
  if (!reading_) Close();
}

void Connection::OnAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  size_t want = kReadChunk;
  // A large bulk in progress: make room for all of it at once (bounded by the chunk
  // sizes the kernel hands us, so a lying length costs nothing until bytes arrive).
  size_t needed = c->parser_.BytesNeeded();
  if (needed > c->in_.size() + want) {
    size_t more = needed - c->in_.size();
    want = more < 64 * kReadChunk ? more : 64 * kReadChunk;
  }
  char* p = c->in_.Reserve(want);
  *buf = uv_buf_init(p, static_cast<unsigned int>(c->in_.tail_room()));
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* c = static_cast<Connection*>(s->data);
  if (nread < 0) {
    // The client half-closed: it still gets the replies to what it sent (they may be
    // queued for the end of this loop iteration). A read error closes at once.
    if (nread == UV_EOF) c->CloseAfterWrite();
    else c->Close();
    return;
  }
  if (nread == 0 || c->closing_) return;
  c->in_.Commit(static_cast<size_t>(nread));
  AddToCounter(c->worker_->stats().net_input_bytes, static_cast<uint64_t>(nread));
  c->state_->last_interaction_ms.store(c->worker_->NowMs(), std::memory_order_relaxed);
  c->ProcessInput();
}

bool Connection::OverOutputLimit() {
  int64_t limit = worker_->state().output_buffer_limit.load(std::memory_order_relaxed);
  if (limit <= 0 || UnsentBytes() <= static_cast<size_t>(limit)) return false;
  worker_->state().output_buffer_disconnections.fetch_add(1, std::memory_order_relaxed);
  VLOG_WARNING("Client id=%llu addr=%s closed for overcoming of output buffer limits.",
               static_cast<unsigned long long>(state_->id()), state_->addr().c_str());
  Close();
  return true;
}

void Connection::ProcessInput() {
  while (!closing_ && !close_after_write_ && !state_->awaiting_reply && in_.size() > 0) {
    size_t consumed = 0;
    protocol::ParseStatus st = parser_.Parse(in_.data(), in_.size(), &consumed, &argv_);
    if (st == protocol::ParseStatus::kIncomplete) break;
    if (st == protocol::ParseStatus::kError) {
      worker_->state().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      VLOG_VERBOSE("Protocol error (%s) from client id=%llu addr=%s", parser_.error().c_str(),
                   static_cast<unsigned long long>(state_->id()), state_->addr().c_str());
      writer_.Error(parser_.error());
      close_after_write_ = true;
      break;
    }
    if (!argv_.empty()) {
      writer_.set_resp(state_->resp.load(std::memory_order_relaxed));
      const size_t reply_start = out_.size();
      const bool skip_this = state_->reply_mode == ClientState::ReplyMode::kSkipNext;
      // CLIENT LIST shows the command being run in its client's qbuf, as Redis does.
      state_->query_buffer_bytes.store(in_.size(), std::memory_order_relaxed);
      state_->query_buffer_free.store(in_.tail_room(), std::memory_order_relaxed);
      size_t argv_bytes = 0;
      for (std::string_view a : argv_) argv_bytes += a.size();
      state_->argv_bytes.store(argv_bytes, std::memory_order_relaxed);
      worker_->dispatcher().Execute(argv_, *state_, writer_);
      state_->argv_bytes.store(0, std::memory_order_relaxed);
      DropReplyIfAsked(reply_start, skip_this);
      AddToCounter(state_->commands, 1);
      // A write holds this reply, and every later one, until the persister has it.
      if (uint64_t ticket = storage::Persister::TakeThreadTicket(); ticket > durable_ticket_) {
        durable_ticket_ = ticket;
      }
      if (state_->close_after_reply) close_after_write_ = true;
      // Pub/Sub messages this command published to clients of this worker (itself
      // included) go out now, after its reply, in publish order.
      DrainPubSub(*worker_);
    }
    in_.Consume(consumed);
    if (OverOutputLimit()) return;
  }
  state_->query_buffer_bytes.store(in_.size(), std::memory_order_relaxed);
  if (in_.size() == 0) in_.ShrinkIfIdle(4 * kReadChunk);
  state_->query_buffer_free.store(in_.tail_room(), std::memory_order_relaxed);
  FlushOrRequest();
}

void Connection::DropReplyIfAsked(size_t reply_start, bool skip_this) {
  using Mode = ClientState::ReplyMode;
  Mode& mode = state_->reply_mode;
  if (mode == Mode::kOn) return;
  if (mode == Mode::kOff || mode == Mode::kSkipArmed || skip_this) out_.resize(reply_start);
  if (mode == Mode::kSkipArmed) {
    mode = Mode::kSkipNext;
  } else if (skip_this && mode == Mode::kSkipNext) {
    mode = Mode::kOn;
  }
}

void Connection::DeliverDeferred(const ClientState::DeferredReply& reply,
                                 uint64_t durable_ticket) {
  if (closing_ || !state_->awaiting_reply) return;
  state_->awaiting_reply = false;
  state_->blocked.store(false, std::memory_order_relaxed);
  if (durable_ticket > durable_ticket_) durable_ticket_ = durable_ticket;
  writer_.set_resp(state_->resp.load(std::memory_order_relaxed));
  const size_t reply_start = out_.size();
  reply(writer_);
  if (state_->reply_mode == ClientState::ReplyMode::kOff) out_.resize(reply_start);
  // Before the reply's own copy goes (its caller drops it): a replica's megabytes of log
  // must move from one outgoing buffer to the other with no moment counted in between.
  PublishOutputBytes();
  // A command run again here (after its keys were read from disk) may have written: its
  // reply waits for the persister as any write's, and what it published goes out now.
  if (uint64_t ticket = storage::Persister::TakeThreadTicket(); ticket > durable_ticket_) {
    durable_ticket_ = ticket;
  }
  DrainPubSub(*worker_);
  ProcessInput();  // what the client sent meanwhile; flushes
}

void Connection::FlushOrRequest() {
  // Past the pause threshold, write (and stop reading) now: libuv may call OnRead again
  // in this same iteration, and back-pressure must not wait for the end of it.
  if (UnsentBytes() > kPauseReadingBytes) Flush();
  else RequestFlush();
}

void Connection::RequestFlush() {
  if (flush_requested_ || closing_) return;
  flush_requested_ = true;
  worker_->RequestFlush(this);
}

bool Connection::HeldForDurability() {
  if (durable_ticket_ == 0) return false;
  if (worker_->Durable(durable_ticket_)) {
    durable_ticket_ = 0;
    return false;
  }
  if (!awaiting_durable_) {
    awaiting_durable_ = true;
    worker_->AwaitDurable(this);
    // A cycle that completed since the look above may not have seen the registration.
    if (worker_->Durable(durable_ticket_)) {
      durable_ticket_ = 0;
      return false;  // stays registered: the next OnDurable finds nothing held
    }
  }
  return true;
}

void Connection::Flush() {
  if (closing_) return;
  if (!write_in_flight_ && !out_.empty() && !HeldForDurability()) {
    // Most batches of replies fit in the socket buffer: write them now, with no write
    // request and no deferred callback; only what the kernel did not take goes through
    // uv_write (and back-pressure).
    uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned int>(out_.size()));
    int n = uv_try_write(stream_, &buf, 1);
    if (n < 0 && n != UV_EAGAIN) {
      Close();
      return;
    }
    size_t written = n > 0 ? static_cast<size_t>(n) : 0;
    AddToCounter(worker_->stats().net_output_bytes, written);
    if (written == out_.size()) {
      if (out_.capacity() > 1024 * 1024) std::string().swap(out_);
      else out_.clear();
    } else {
      writing_.swap(out_);
      writing_offset_ = written;
      uv_buf_t rest = uv_buf_init(writing_.data() + written,
                                  static_cast<unsigned int>(writing_.size() - written));
      if (uv_write(&write_req_, stream_, &rest, 1, OnWrite) != 0) {
        Close();
        return;
      }
      write_in_flight_ = true;
    }
  }
  PublishOutputBytes();
  if (!write_in_flight_ && close_after_write_ && (out_.empty() || durable_ticket_ == 0)) {
    Close();
    return;
  }
  bool should_pause = UnsentBytes() > kPauseReadingBytes;
  if (should_pause && reading_) {
    uv_read_stop(stream_);
    reading_ = false;
    paused_ = true;
  } else if (!should_pause && paused_ && !close_after_write_) {
    paused_ = false;
    reading_ = uv_read_start(stream_, OnAlloc, OnRead) == 0;
  }
}

void Connection::PublishOutputBytes() {
  const size_t unsent = UnsentBytes();
  state_->output_bytes.store(unsent, std::memory_order_relaxed);
  // A replica's link keeps its buffers' capacity (up to 1 MiB each) between replies: what
  // it holds, not what it has yet to send, is what the count must take out.
  if (state_->replica.load(std::memory_order_relaxed)) {
    replica_hold_.Set(out_.capacity() + writing_.capacity());
  }
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  c->write_in_flight_ = false;
  AddToCounter(c->worker_->stats().net_output_bytes, c->writing_.size() - c->writing_offset_);
  c->writing_offset_ = 0;
  if (c->writing_.capacity() > 1024 * 1024) {
    std::string().swap(c->writing_);
  } else {
    c->writing_.clear();
  }
  if (status < 0 || c->closing_) {
    c->Close();
    return;
  }
  c->Flush();
}

void Connection::CloseAfterWrite() {
  close_after_write_ = true;
  if (reading_) {
    uv_read_stop(stream_);
    reading_ = false;
  }
  Flush();
}

void Connection::RejectWith(std::string_view error_line) {
  writer_.Error(error_line);
  CloseAfterWrite();
}

void Connection::Push(const std::function<void(protocol::ReplyWriter&)>& fn) {
  if (closing_ || state_->reply_mode == ClientState::ReplyMode::kOff) return;
  writer_.set_resp(state_->resp.load(std::memory_order_relaxed));
  fn(writer_);
  if (!OverOutputLimit()) FlushOrRequest();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  // A blocked client stops waiting now, not at OnClose: a push in between would pop an
  // element for a reply nobody can receive.
  if (BlockingRegistry* b = worker_->state().blocking()) b->Cancel(state_->id());
  if (reading_) uv_read_stop(stream_);
  reading_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(stream_), OnClose);
}

void Connection::OnClose(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  c->worker_->OnConnectionClosed(c);
  delete reinterpret_cast<uv_any_handle*>(h);
  delete c;
}

}  // namespace vellum::server
