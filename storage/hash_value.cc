#include "storage/hash_value.h"

#include <xxhash.h>

namespace vellum::storage {
namespace {

uint32_t HashField(std::string_view s) {
  return static_cast<uint32_t>(XXH3_64bits(s.data(), s.size()));
}

}  // namespace

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  uint32_t i = table_.Find(field, HashField(field));
  if (i == CollectionTable<Field>::kNil) return std::nullopt;
  return table_.at(i).value();
}

bool HashValue::Set(std::string_view field, std::string_view value) {
  if (field.size() > kListpackValue || value.size() > kListpackValue) hashtable_ = true;
  const uint32_t h = HashField(field);
  uint32_t i = table_.Find(field, h);
  if (i != CollectionTable<Field>::kNil) {
    Field& f = table_.at(i);
    heap_bytes_ -= f.HeapBytes();
    f.SetValue(value);
    heap_bytes_ += f.HeapBytes();
    return false;
  }
  Field f(field, value);
  f.hash = h;
  heap_bytes_ += f.HeapBytes();
  table_.Insert(std::move(f));
  if (table_.size() > kListpackEntries) hashtable_ = true;
  return true;
}

bool HashValue::Delete(std::string_view field) {
  uint32_t i = table_.Find(field, HashField(field));
  if (i == CollectionTable<Field>::kNil) return false;
  heap_bytes_ -= table_.at(i).HeapBytes();
  table_.EraseAt(i, /*keep_order=*/listpack());
  return true;
}

size_t HashValue::MemoryUsage() const {
  return sizeof(HashValue) + table_.MemoryUsage() + heap_bytes_;
}

}  // namespace vellum::storage
