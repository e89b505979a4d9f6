#include "storage/set_value.h"

#include <algorithm>

#include "common/memory.h"
#include "common/numbers.h"

namespace vellum::storage {

bool SetValue::Contains(std::string_view member) const {
  return table_.Find(member, CollectionHash(member)) != CollectionTable<Member>::kNil;
}

bool SetValue::Add(std::string_view member) {
  const uint32_t h = CollectionHash(member);
  if (table_.Find(member, h) != CollectionTable<Member>::kNil) return false;
  int64_t unused = 0;
  if (!hashtable_ && !ParseInt64(member, &unused)) hashtable_ = true;
  Member m;
  m.name.assign(member.data(), member.size());
  m.hash = h;
  heap_bytes_ += StringHeapBytes(m.name);
  table_.Insert(std::move(m));
  if (table_.size() > kIntsetEntries) hashtable_ = true;
  return true;
}

bool SetValue::Remove(std::string_view member) {
  uint32_t i = table_.Find(member, CollectionHash(member));
  if (i == CollectionTable<Member>::kNil) return false;
  RemoveAt(i);
  return true;
}

void SetValue::RemoveAt(size_t i) {
  heap_bytes_ -= StringHeapBytes(table_.at(i).name);
  table_.EraseAt(static_cast<uint32_t>(i), /*keep_order=*/false);
}

std::vector<uint32_t> SetValue::IterationOrder() const {
  std::vector<uint32_t> order(table_.size());
  for (uint32_t i = 0; i < order.size(); i++) order[i] = i;
  if (intset()) {
    std::vector<int64_t> values(table_.size());
    for (uint32_t i = 0; i < values.size(); i++) ParseInt64(table_.at(i).name, &values[i]);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return values[a] < values[b]; });
  }
  return order;
}

size_t SetValue::MemoryUsage() const {
  return sizeof(SetValue) + table_.MemoryUsage() + heap_bytes_;
}

}  // namespace vellum::storage
