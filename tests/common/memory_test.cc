// The not-counted memory eviction subtracts from UsedMemory() (common/memory.h).
#include "common/memory.h"

#include <gtest/gtest.h>

#include <memory>

namespace vellum {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// Believes whatever is published next: a decrease reported twice, the lag apart.
void ResetNotCounted(int64_t now_ms) {
  SetNotCountedMemoryAt(0, now_ms);
  SetNotCountedMemoryAt(0, now_ms + kNotCountedLagMs);
}

std::unique_ptr<char[]> Block(uint64_t bytes) {
  auto block = std::make_unique<char[]>(bytes);  // zeroed: the pages are touched
  return block;
}

TEST(NotCountedMemoryTest, AnIncreaseIsBelievedAtOnce) {
  ResetNotCounted(0);
  SetNotCountedMemoryAt(3 * kMiB, 10'000);
  EXPECT_EQ(NotCountedMemory(), 3 * kMiB);
  SetNotCountedMemoryAt(5 * kMiB, 10'001);
  EXPECT_EQ(NotCountedMemory(), 5 * kMiB);
}

TEST(NotCountedMemoryTest, ADecreaseIsBelievedAsFarAsTheHeapHasFallen) {
  ResetNotCounted(0);
  auto first = Block(4 * kMiB), second = Block(4 * kMiB);
  SetNotCountedMemoryAt(10 * kMiB, 10'000);
  SetNotCountedMemoryAt(2 * kMiB, 10'001);  // reported freed, the heap still holds it
  EXPECT_EQ(NotCountedMemory(), 10 * kMiB);
  first.reset();
  SetNotCountedMemoryAt(2 * kMiB, 10'002);
  EXPECT_NEAR(static_cast<double>(NotCountedMemory()), 6.0 * kMiB, 256.0 * 1024);
  second.reset();
  SetNotCountedMemoryAt(2 * kMiB, 10'003);
  EXPECT_EQ(NotCountedMemory(), 2 * kMiB);
}

TEST(NotCountedMemoryTest, ADecreaseIsBelievedInFullAfterTheLag) {
  ResetNotCounted(0);
  SetNotCountedMemoryAt(10 * kMiB, 10'000);
  SetNotCountedMemoryAt(2 * kMiB, 10'000);
  SetNotCountedMemoryAt(2 * kMiB, 10'000 + kNotCountedLagMs - 1);
  EXPECT_EQ(NotCountedMemory(), 10 * kMiB);
  SetNotCountedMemoryAt(2 * kMiB, 10'000 + kNotCountedLagMs);
  EXPECT_EQ(NotCountedMemory(), 2 * kMiB);
}

TEST(NotCountedMemoryTest, AnIncreaseDuringADecreaseEndsIt) {
  ResetNotCounted(0);
  SetNotCountedMemoryAt(10 * kMiB, 10'000);
  SetNotCountedMemoryAt(2 * kMiB, 10'001);
  SetNotCountedMemoryAt(12 * kMiB, 10'002);
  EXPECT_EQ(NotCountedMemory(), 12 * kMiB);
  SetNotCountedMemoryAt(11 * kMiB, 10'003);  // a new decrease, from 12 MiB and from now
  SetNotCountedMemoryAt(11 * kMiB, 10'003 + kNotCountedLagMs - 1);
  EXPECT_EQ(NotCountedMemory(), 12 * kMiB);
}

TEST(OutgoingBufferMemoryTest, AHoldCountsItsBytesForItsLifetime) {
  const uint64_t before = OutgoingBufferMemory();
  {
    OutgoingBufferHold hold(3 * kMiB);
    EXPECT_EQ(OutgoingBufferMemory(), before + 3 * kMiB);
    OutgoingBufferHold another(kMiB);
    EXPECT_EQ(OutgoingBufferMemory(), before + 4 * kMiB);
  }
  EXPECT_EQ(OutgoingBufferMemory(), before);
}

TEST(OutgoingBufferMemoryTest, IsNotCountedForEviction) {
  ResetNotCounted(1'000'000);  // later than the other tests' clocks
  SetNotCountedMemoryAt(2 * kMiB, 1'000'000 + kNotCountedLagMs);
  auto block = Block(8 * kMiB);
  const uint64_t counted = UsedMemoryForEviction();
  OutgoingBufferHold hold(5 * kMiB);  // say the block is a replica's reply
  EXPECT_EQ(NotCountedMemory(), 2 * kMiB + OutgoingBufferMemory());
  EXPECT_NEAR(static_cast<double>(UsedMemoryForEviction()), static_cast<double>(counted - 5 * kMiB),
              256.0 * 1024);
}

}  // namespace
}  // namespace vellum
