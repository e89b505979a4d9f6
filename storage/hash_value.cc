#include "storage/hash_value.h"

#include <xxhash.h>

#include "common/memory.h"

namespace vellum::storage {
namespace {

uint32_t HashField(std::string_view s) {
  return static_cast<uint32_t>(XXH3_64bits(s.data(), s.size()));
}

// Appends one small-form entry.
void AppendPacked(std::string& out, std::string_view field, std::string_view value) {
  out.push_back(static_cast<char>(field.size()));
  out.append(field);
  out.push_back(static_cast<char>(value.size()));
  out.append(value);
}

}  // namespace

HashValue::HashValue(const HashValue& o)
    : disk_version(o.disk_version), packed_(o.packed_), packed_size_(o.packed_size_) {
  if (o.table_) table_ = std::make_unique<Table>(*o.table_);
}

size_t HashValue::PackedFind(std::string_view field) const {
  for (size_t at = 0; at < packed_.size(); at = PackedNext(at)) {
    const size_t flen = static_cast<unsigned char>(packed_[at]);
    if (flen == field.size() && std::memcmp(packed_.data() + at + 1, field.data(), flen) == 0) {
      return at;
    }
  }
  return std::string::npos;
}

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  if (!table_) {
    const size_t at = PackedFind(field);
    if (at == std::string::npos) return std::nullopt;
    return PackedAt(at).value;
  }
  const uint32_t i = table_->fields.Find(field, HashField(field));
  if (i == CollectionTable<Field>::kNil) return std::nullopt;
  return table_->fields.at(i).value();
}

void HashValue::Reserve(size_t n, size_t bytes, size_t longest) {
  // As Redis's hashTypeTryConversion: a hash that will not stay small turns large first.
  if (!table_ && (n > max_listpack_entries() || longest > max_listpack_value())) ToTable();
  if (table_) {
    table_->fields.Reserve(n);
  } else if (bytes > packed_.capacity()) {
    GrowPacked(bytes);
  }
}

void HashValue::GrowPacked(size_t capacity) {
  // A fresh string takes exactly what it is asked for (growing one in place would at
  // least double it): a hash of five fields keeps little slack.
  std::string grown;
  grown.reserve(capacity);
  grown.append(packed_);
  packed_.swap(grown);
}

void HashValue::ToTable() {
  auto t = std::make_unique<Table>();
  t->fields.Reserve(packed_size_);
  for (size_t at = 0; at < packed_.size(); at = PackedNext(at)) {
    const Item it = PackedAt(at);
    Field f(it.name, it.value);
    f.hash = HashField(it.name);
    t->heap_bytes += f.HeapBytes();
    t->fields.Insert(std::move(f));
  }
  table_ = std::move(t);
  std::string().swap(packed_);
  packed_size_ = 0;
}

bool HashValue::TableSet(std::string_view field, std::string_view value) {
  Table& t = *table_;
  const uint32_t h = HashField(field);
  const uint32_t i = t.fields.Find(field, h);
  if (i != CollectionTable<Field>::kNil) {
    Field& f = t.fields.at(i);
    t.heap_bytes -= f.HeapBytes();
    f.SetValue(value);
    t.heap_bytes += f.HeapBytes();
    return false;
  }
  Field f(field, value);
  f.hash = h;
  t.heap_bytes += f.HeapBytes();
  t.fields.Insert(std::move(f));
  return true;
}

bool HashValue::Set(std::string_view field, std::string_view value) {
  if (table_) return TableSet(field, value);
  const size_t limit = max_listpack_value();
  if (field.size() > limit || value.size() > limit) {
    ToTable();
    return TableSet(field, value);
  }
  const size_t at = PackedFind(field);
  if (at != std::string::npos) {
    // Same place, new value: the bytes after it shift by the difference.
    const size_t vat = at + 1 + field.size();
    const size_t old = static_cast<unsigned char>(packed_[vat]);
    packed_.replace(vat + 1, old, value.data(), value.size());  // may throw: length after
    packed_[vat] = static_cast<char>(value.size());
    return false;
  }
  if (packed_size_ + 1 > max_listpack_entries()) {
    ToTable();
    return TableSet(field, value);
  }
  // Grows by about half rather than doubling.
  const size_t need = packed_.size() + 2 + field.size() + value.size();
  if (need > packed_.capacity()) GrowPacked(std::max(need, packed_.size() * 3 / 2));
  AppendPacked(packed_, field, value);
  packed_size_++;
  return true;
}

bool HashValue::Delete(std::string_view field) {
  if (!table_) {
    const size_t at = PackedFind(field);
    if (at == std::string::npos) return false;
    packed_.erase(at, PackedNext(at) - at);
    packed_size_--;
    if (packed_.capacity() > 2 * packed_.size() + 64) packed_.shrink_to_fit();
    return true;
  }
  Table& t = *table_;
  const uint32_t i = t.fields.Find(field, HashField(field));
  if (i == CollectionTable<Field>::kNil) return false;
  t.heap_bytes -= t.fields.at(i).HeapBytes();
  t.fields.EraseAt(i, /*keep_order=*/false);
  return true;
}

std::vector<HashValue::Item> HashValue::Items() const {
  std::vector<Item> out;
  out.reserve(size());
  ForEach([&](Item it) { out.push_back(it); });
  return out;
}

HashValue::Item HashValue::At(size_t i) const {
  if (table_) {
    const Field& f = table_->fields.at(i);
    return {f.name(), f.value()};
  }
  size_t at = 0;
  while (i-- > 0) at = PackedNext(at);
  return PackedAt(at);
}

HashValue::Item HashValue::Random(std::mt19937_64& rng) const { return At(rng() % size()); }

size_t HashValue::MemoryUsage() const {
  size_t bytes = sizeof(HashValue) + StringHeapBytes(packed_);
  if (table_) bytes += sizeof(Table) + table_->fields.MemoryUsage() + table_->heap_bytes;
  return bytes;
}

}  // namespace vellum::storage
