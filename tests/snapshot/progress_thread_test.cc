// ProgressMeter and ProgressDisplay (vellumctl's progress on a terminal): stages are
// reported once each, with every count that reached them, while another thread counts
// and the display draws (run under TSan by `make tsan`).
#include <gtest/gtest.h>
#include <stdio.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/progress.h"
#include "snapshot/progress_display.h"

namespace vellum::snapshot {
namespace {

using Unit = ProgressMeter::Unit;

// What a display draws, captured in memory (a terminal's bytes, escapes included).
class Captured {
 public:
  Captured() : out_(open_memstream(&buf_, &len_)) {}
  ~Captured() {
    if (out_ != nullptr) std::fclose(out_);
    free(buf_);
  }
  FILE* file() { return out_; }
  std::string Text() {  // once the display has stopped
    std::fclose(out_);
    out_ = nullptr;
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  size_t len_ = 0;
  FILE* out_;
};

TEST(ProgressThreadTest, EachFinishedStageIsReadOnceWithItsCount) {
  ProgressMeter meter;
  EXPECT_FALSE(meter.Read().in_progress);
  meter.Begin("one", Unit::kBytes, 100);
  meter.Add(60);
  meter.Add(40);
  meter.Begin("two", Unit::kKeys, 0);
  meter.Add(7);
  ProgressMeter::Reading r = meter.Read();
  ASSERT_EQ(r.finished.size(), 1u);
  EXPECT_EQ(r.finished[0].name, "one");
  EXPECT_EQ(r.finished[0].done, 100u);
  EXPECT_EQ(r.finished[0].total, 100u);
  EXPECT_NE(r.finished[0].end_ms, 0);
  ASSERT_TRUE(r.in_progress);
  EXPECT_EQ(r.current.name, "two");
  EXPECT_EQ(r.current.done, 7u);
  EXPECT_EQ(r.current.end_ms, 0);
  EXPECT_TRUE(meter.Read().finished.empty());
  meter.Finish();
  r = meter.Read();
  EXPECT_FALSE(r.in_progress);
  ASSERT_EQ(r.finished.size(), 1u);
  EXPECT_EQ(r.finished[0].done, 7u);
}

TEST(ProgressThreadTest, CountsFromManyThreadsAllArrive) {
  ProgressMeter meter;
  meter.Begin("copying", Unit::kBytes, 4 * 10000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&meter] {
      for (int i = 0; i < 10000; i++) meter.Add(1);
    });
  }
  for (int i = 0; i < 100; i++) (void)meter.Read();  // a display reading meanwhile
  for (auto& t : threads) t.join();
  EXPECT_EQ(meter.Read().current.done, 40000u);
}

TEST(ProgressLineTest, KnownTotalShowsThePercentageAndNeverMoreThanAll) {
  ProgressMeter::Stage s{"verifying snapshot 3", Unit::kBytes, 512 * 1024, 1024 * 1024, 1000, 0};
  EXPECT_EQ(ProgressLine(s, 3000, 500),
            "[    2.5s] verifying snapshot 3: 512.0 KiB of 1.0 MiB (50%), 256.0 KiB/s");
  s.done = 1024 * 1024 + 10;  // a meta file the total leaves out
  s.end_ms = 2000;
  EXPECT_EQ(ProgressLine(s, 9999, 0),
            "[    2.0s] verifying snapshot 3: 1.0 MiB of 1.0 MiB (100%) in 1.0 s, 1.0 MiB/s");
}

TEST(ProgressLineTest, UnknownTotalShowsTheCountAndRate) {
  ProgressMeter::Stage s{"counting and digesting the keys", Unit::kKeys, 5000, 0, 0, 500};
  EXPECT_EQ(ProgressLine(s, 0, 0),
            "[    0.5s] counting and digesting the keys: 5000 keys in 0.5 s, 10000 keys/s");
}

// The display draws while a worker runs three stages; once stopped, the output holds each
// stage's final line, in order, and ends with a newline.
TEST(ProgressThreadTest, DisplayDrawsEveryStageWithItsFinalCount) {
  Captured out;
  ASSERT_NE(out.file(), nullptr);
  ProgressMeter meter;
  {
    ProgressDisplay display(meter, out.file(), 0);
    std::thread worker([&meter] {
      const char* names[] = {"alpha", "beta", "gamma"};
      for (const char* name : names) {
        meter.Begin(name, Unit::kKeys, 300);
        for (int i = 0; i < 300; i++) {
          meter.Add(1);
          if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));
        }
      }
    });
    worker.join();
    display.Stop();
  }
  const std::string text = out.Text();
  size_t at = 0;
  for (const char* name : {"alpha", "beta", "gamma"}) {
    const std::string final_line = std::string(name) + ": 300 keys of 300 keys (100%) in ";
    size_t found = text.find(final_line, at);
    ASSERT_NE(found, std::string::npos) << name << " in:\n" << text;
    at = found;
  }
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\r\033[K"), std::string::npos);
}

// A server's stages seen from afar (vellumctl create): no line is kept, and the last
// one is erased when the display stops, so only the result remains on the terminal.
TEST(ProgressThreadTest, DisplayThatKeepsNoStageErasesItsLastLine) {
  Captured out;
  ASSERT_NE(out.file(), nullptr);
  ProgressMeter meter;
  {
    ProgressDisplay display(meter, out.file(), 0, /*keep_finished=*/false);
    meter.Begin("copying", Unit::kBytes, 0);
    meter.Add(4096);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // drawn at least once
    meter.Begin("digesting", Unit::kKeys, 10);
    meter.Add(3);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    display.Stop();
  }
  const std::string text = out.Text();
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_NE(text.find("digesting: 3 keys of 10 keys (30%)"), std::string::npos) << text;
  ASSERT_GE(text.size(), 4u);
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K") << text;
}

}  // namespace
}  // namespace vellum::snapshot
