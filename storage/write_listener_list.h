// WriteListenerList: lets several consumers (WATCH, keyspace notifications, later the
// persister) listen to one Keyspace. Listeners are added at start-up, before any worker
// runs, and never removed, so forwarding needs no lock. Calls reach each listener in the
// order they were added, with the same locks held as the original call.
#pragma once

#include <string_view>
#include <vector>

#include "storage/keyspace.h"

namespace vellum::storage {

class WriteListenerList final : public WriteListener {
 public:
  void Add(WriteListener* l) { listeners_.push_back(l); }
  bool empty() const { return listeners_.empty(); }

  void OnKeyWritten(int db, std::string_view key) override {
    for (WriteListener* l : listeners_) l->OnKeyWritten(db, key);
  }
  void OnFieldsWritten(int db, std::string_view key,
                       std::span<const std::string_view> fields) override {
    for (WriteListener* l : listeners_) l->OnFieldsWritten(db, key, fields);
  }
  void OnKeyDeleted(int db, std::string_view key) override {
    for (WriteListener* l : listeners_) l->OnKeyDeleted(db, key);
  }
  void OnKeyExpired(int db, std::string_view key) override {
    for (WriteListener* l : listeners_) l->OnKeyExpired(db, key);
  }
  void OnDbFlushed(int db) override {
    for (WriteListener* l : listeners_) l->OnDbFlushed(db);
  }
  void OnDbSwapped(int a, int b) override {
    for (WriteListener* l : listeners_) l->OnDbSwapped(a, b);
  }

 private:
  std::vector<WriteListener*> listeners_;
};

}  // namespace vellum::storage
