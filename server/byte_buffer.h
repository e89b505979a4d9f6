// ByteBuffer: a growable byte array with a read offset, for a connection's input.
// Reads append at the tail without zero-filling; parsed bytes are consumed from the
// head; Compact() slides the unread bytes to the front when room is needed.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

namespace vellum::server {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  const char* data() const { return data_ + start_; }
  size_t size() const { return end_ - start_; }
  size_t capacity() const { return cap_; }

  // Room for at least `n` more bytes at the tail; returns where to write.
  char* Reserve(size_t n) {
    if (cap_ - end_ >= n) return data_ + end_;
    Compact();
    if (cap_ - end_ < n) {
      size_t want = cap_ ? cap_ : 16 * 1024;
      while (want - end_ < n) want *= 2;
      char* p = static_cast<char*>(std::realloc(data_, want));
      if (p == nullptr) throw std::bad_alloc();
      data_ = p;
      cap_ = want;
    }
    return data_ + end_;
  }
  size_t tail_room() const { return cap_ - end_; }
  char* tail() { return data_ + end_; }
  void Commit(size_t n) { end_ += n; }
  void Consume(size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }
  void Compact() {
    if (start_ == 0) return;
    std::memmove(data_, data_ + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  // Gives back memory after a large request, keeping a modest buffer.
  void ShrinkIfIdle(size_t keep) {
    if (size() == 0 && cap_ > keep) {
      std::free(data_);
      data_ = nullptr;
      cap_ = start_ = end_ = 0;
    }
  }

 private:
  char* data_ = nullptr;
  size_t start_ = 0, end_ = 0, cap_ = 0;
};

}  // namespace vellum::server
