// Entry's string value: inline behind the key when it fits the entry's allocation, in a
// std::string of its own otherwise, and carried intact by copy, rename and edits.
#include "storage/entry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/memory.h"

namespace vellum::storage {
namespace {

struct Deleter {
  void operator()(Entry* e) const { Entry::Delete(e); }
};
using EntryPtr = std::unique_ptr<Entry, Deleter>;

TEST(EntryTest, MetadataIsFortyEightBytes) { EXPECT_EQ(sizeof(Entry), 48u); }

TEST(EntryTest, ValueWithRoomLivesInlineInTheEntrysAllocation) {
  const std::string value(32, 'v');
  EntryPtr e(Entry::New("key:0000001", value.size()));
  e->SetStr(value);
  EXPECT_EQ(e->str(), value);
  EXPECT_NE(e->inline_size, Entry::kHeapString);
  EXPECT_EQ(e->InlineRoomNeeded(), value.size());
  // The value's bytes follow the key's, inside the one allocation.
  EXPECT_EQ(static_cast<const void*>(e->str().data()),
            static_cast<const void*>(e->key().data() + e->key().size()));
  EXPECT_GE(AllocationSize(e.get()), sizeof(Entry) + e->key().size() + value.size());
}

TEST(EntryTest, ValueBeyondTheRoomGoesToItsOwnString) {
  EntryPtr e(Entry::New("k", 1));
  const std::string big(4096, 'b');
  e->SetStr(big);
  EXPECT_EQ(e->inline_size, Entry::kHeapString);
  EXPECT_EQ(e->str(), big);
  EXPECT_EQ(e->InlineRoomNeeded(), 0u);
  e->SetStr("x");  // fits again: back inline, the string freed
  EXPECT_NE(e->inline_size, Entry::kHeapString);
  EXPECT_EQ(e->str(), "x");
}

TEST(EntryTest, ValuesPastTheInlineLimitAreNeverGivenRoom) {
  // A big value (a page, a bitmap) gets a string of its own from the start: an edit in
  // place would otherwise leave its inline copy behind as dead room.
  const std::string big(Entry::kMaxInlineValue + 1, 'p');
  EntryPtr e(Entry::New("page", big.size()));
  EXPECT_LT(AllocationSize(e.get()), sizeof(Entry) + 4 + big.size());
  e->SetStr(big);
  EXPECT_EQ(e->inline_size, Entry::kHeapString);
  EXPECT_EQ(e->str(), big);
  const std::string fits(Entry::kMaxInlineValue, 'q');
  EntryPtr f(Entry::New("page", fits.size()));
  f->SetStr(fits);
  EXPECT_NE(f->inline_size, Entry::kHeapString);
}

TEST(EntryTest, EditingInPlaceMovesTheValueOutWithItsBytes) {
  EntryPtr e(Entry::New("k", 5));
  e->SetStr("hello");
  e->MutableStr().append(" world");
  EXPECT_EQ(e->inline_size, Entry::kHeapString);
  EXPECT_EQ(e->str(), "hello world");
  e->MutableStr()[0] = 'H';
  EXPECT_EQ(e->str(), "Hello world");
}

TEST(EntryTest, SettingTheValueFromItsOwnBytesIsSafe) {
  EntryPtr e(Entry::New("k", 16));
  e->SetStr("0123456789");
  e->SetStr(e->str().substr(2, 5));  // inline, overlapping
  EXPECT_EQ(e->str(), "23456");
  e->SetStr(std::string(1000, 'z'));
  e->SetStr(e->str().substr(0, 3));  // from the heap string back inline
  EXPECT_EQ(e->str(), "zzz");
  e->SetStr(std::string(1000, 'y'));
  e->SetStr(e->str().substr(0, 900));  // heap to heap
  EXPECT_EQ(e->str(), std::string(900, 'y'));
}

TEST(EntryTest, CopyAndRenameCarryInlineAndHeapValues) {
  for (size_t size : {size_t{0}, size_t{7}, size_t{5000}}) {
    const std::string value(size, 'c');
    Entry* e = Entry::New("source", size);
    e->SetStr(value);
    EntryPtr copy(Entry::NewCopy(*e, "a-longer-copy-key"));
    EXPECT_EQ(copy->str(), value);
    EXPECT_EQ(copy->key(), "a-longer-copy-key");
    Entry* renamed = Entry::NewRenamed(Entry::AllocateFor("r", e->InlineRoomNeeded()), e, "r");
    EntryPtr owner(renamed);  // e is freed
    EXPECT_EQ(renamed->str(), value);
    EXPECT_EQ(renamed->key(), "r");
  }
}

TEST(EntryTest, DropValueLeavesAnEmptyString) {
  EntryPtr e(Entry::New("k"));
  e->SetStr(std::string(300, 'h'));
  e->DropValue();
  EXPECT_EQ(e->str(), "");
  e->type = ValueType::kSet;
  e->set_value.emplace()->Add("m");
  e->DropValue();
  e->type = ValueType::kString;
  EXPECT_EQ(e->str(), "");
}

}  // namespace
}  // namespace vellum::storage
