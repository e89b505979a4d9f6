#include "storage/hash_value.h"

#include "common/memory.h"

namespace vellum::storage {
namespace {

// Writes one small-form entry at out.
void EncodePacked(char* out, std::string_view field, std::string_view value) {
  *out++ = static_cast<char>(field.size());
  if (!field.empty()) std::memcpy(out, field.data(), field.size());
  out += field.size();
  *out++ = static_cast<char>(value.size());
  if (!value.empty()) std::memcpy(out, value.data(), value.size());
}

}  // namespace

size_t HashValue::PackedFind(std::string_view field) const {
  const auto& packed = rep_.packed();
  const char* p = packed.data();
  for (size_t at = 0; at < packed.size(); at = PackedNext(at)) {
    const size_t flen = packed.byte(at);
    if (flen == field.size() && std::memcmp(p + at + 1, field.data(), flen) == 0) return at;
  }
  return std::string::npos;
}

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  const Table* t = table();
  if (t == nullptr) {
    const size_t at = PackedFind(field);
    if (at == std::string::npos) return std::nullopt;
    return PackedAt(at).value;
  }
  const uint32_t i = t->fields.Find(field, CollectionHash(field));
  if (i == CollectionTable<Field>::kNil) return std::nullopt;
  return t->fields.at(i).value();
}

void HashValue::Reserve(size_t n, size_t bytes, size_t longest) {
  // As Redis's hashTypeTryConversion: a hash that will not stay small turns large first.
  if (listpack() && (n > max_listpack_entries() || longest > max_listpack_value())) ToTable();
  if (Table* t = table()) {
    t->fields.Reserve(n);
  } else {
    rep_.packed().Reserve(bytes);
  }
}

void HashValue::ToTable() {
  auto t = std::make_unique<Table>();
  t->fields.Reserve(size());
  for (size_t at = 0; at < rep_.packed().size(); at = PackedNext(at)) {
    const Item it = PackedAt(at);
    Field f(it.name, it.value);
    f.hash = CollectionHash(it.name);
    t->heap_bytes += f.HeapBytes();
    t->fields.Insert(std::move(f));
  }
  rep_.BecomeLarge(std::move(t));
}

bool HashValue::TableSet(std::string_view field, std::string_view value) {
  Table& t = *table();
  const uint32_t h = CollectionHash(field);
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
  if (!listpack()) return TableSet(field, value);
  const size_t limit = max_listpack_value();
  if (field.size() > limit || value.size() > limit) {
    ToTable();
    return TableSet(field, value);
  }
  const size_t at = PackedFind(field);
  if (at != std::string::npos) {
    // Same place, new value: the bytes after it shift by the difference.
    const size_t vat = at + 1 + field.size();
    const size_t old = rep_.packed().byte(vat);
    char* room = rep_.packed().Splice(vat, 1 + old, 1 + value.size());  // may throw: nothing changed
    *room = static_cast<char>(value.size());
    if (!value.empty()) std::memcpy(room + 1, value.data(), value.size());
    return false;
  }
  if (size() + 1 > max_listpack_entries()) {
    ToTable();
    return TableSet(field, value);
  }
  auto& packed = rep_.packed();
  EncodePacked(packed.Splice(packed.size(), 0, 2 + field.size() + value.size()), field, value);
  rep_.add_packed_count(1);
  return true;
}

bool HashValue::Delete(std::string_view field) {
  Table* t = table();
  if (t == nullptr) {
    const size_t at = PackedFind(field);
    if (at == std::string::npos) return false;
    rep_.packed().Splice(at, PackedNext(at) - at, 0);
    rep_.add_packed_count(-1);
    rep_.packed().MaybeShrink();
    return true;
  }
  const uint32_t i = t->fields.Find(field, CollectionHash(field));
  if (i == CollectionTable<Field>::kNil) return false;
  t->heap_bytes -= t->fields.at(i).HeapBytes();
  t->fields.EraseAt(i, /*keep_order=*/false);
  return true;
}

std::vector<HashValue::Item> HashValue::Items() const {
  std::vector<Item> out;
  out.reserve(size());
  ForEach([&](Item it) { out.push_back(it); });
  return out;
}

HashValue::Item HashValue::At(size_t i) const {
  if (const Table* t = table()) {
    const Field& f = t->fields.at(i);
    return {f.name(), f.value()};
  }
  size_t at = 0;
  while (i-- > 0) at = PackedNext(at);
  return PackedAt(at);
}

HashValue::Item HashValue::Random(std::mt19937_64& rng) const { return At(rng() % size()); }

size_t HashValue::MemoryUsage() const {
  size_t bytes = rep_.BlockBytes();
  if (const Table* t = table()) {
    bytes += sizeof(Table) + t->fields.MemoryUsage() + t->heap_bytes;
  }
  return bytes;
}

}  // namespace vellum::storage
