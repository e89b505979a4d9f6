// RecentLog: the window of batches kept for replicas, and the outgoing buffer memory it
// reports (common/memory.h) as batches come and go.
#include "storage/recent_log.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/memory.h"
#include "storage/engine.h"

namespace vellum::storage {
namespace {

std::string Bytes(size_t n) { return std::string(n, 'b'); }

TEST(RecentLogTest, ReadsFromABatchStartToTheEnd) {
  RecentLog log(1000);
  log.Append(1, 2, Bytes(10));
  log.Append(3, 1, Bytes(10));
  std::vector<LogBatch> out;
  ASSERT_TRUE(log.Read(3, 100, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sequence, 3u);
  out.clear();
  EXPECT_FALSE(log.Read(2, 100, &out));  // inside a batch, not its start
  EXPECT_TRUE(log.Read(4, 100, &out));   // the end: nothing new
  EXPECT_TRUE(out.empty());
}

TEST(RecentLogTest, ItsBatchesAreOutgoingBufferMemoryUntilDropped) {
  const uint64_t before = OutgoingBufferMemory();
  auto log = std::make_unique<RecentLog>(100);
  log->Append(1, 1, Bytes(40));
  EXPECT_EQ(OutgoingBufferMemory(), before + 40);
  log->Append(2, 1, Bytes(40));
  EXPECT_EQ(OutgoingBufferMemory(), before + 80);
  log->Append(3, 1, Bytes(40));  // past the bound: the oldest goes
  EXPECT_EQ(OutgoingBufferMemory(), before + 80);
  EXPECT_EQ(log->bytes(), 80u);
  log->Append(10, 1, Bytes(30));  // a gap: the window starts again
  EXPECT_EQ(OutgoingBufferMemory(), before + 30);
  log->Clear();
  EXPECT_EQ(OutgoingBufferMemory(), before);
  log->Append(11, 1, Bytes(50));
  log.reset();
  EXPECT_EQ(OutgoingBufferMemory(), before);
}

}  // namespace
}  // namespace vellum::storage
