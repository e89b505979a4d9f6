// ProgressDisplay: vellumctl's progress on a terminal. A thread reads a ProgressMeter five
// times a second and draws the stage in progress on the terminal's last line, rewritten in
// place ("\r", erase to the end of the line), and each finished stage on a line of its own,
// so the scrollback keeps what each stage did and how long it took:
//
//   [   0.4s] verifying snapshot 3 (12 files, every checksum): 265.0 MiB of 265.0 MiB (100%) in 0.4
//   s, 662.5 MiB/s [   1.1s] restoring snapshot 3 into data/db.restoring.tmp: 120.0 MiB of 265.0
//   MiB (45%), 171.4 MiB/s
//
// Used only when the output is a terminal and --json is not given: scripts see no change.
// The display owns its thread; Stop (or the destructor) finishes the meter's last stage,
// draws it and joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "common/progress.h"

namespace vellum::snapshot {

// 1536 -> "1.5 KiB".
std::string HumanBytes(uint64_t n);

// One stage as the display draws it; times are MonotonicMs(), `origin_ms` the tool's start.
std::string ProgressLine(const ProgressMeter::Stage& stage, int64_t now_ms, int64_t origin_ms);

class ProgressDisplay {
 public:
  // `keep_finished` false: a finished stage's line is overwritten by the next, and the
  // last is erased at Stop (a server's stages seen from afar, whose final counts the
  // display never learns).
  ProgressDisplay(ProgressMeter& meter, std::FILE* out, int64_t origin_ms,
                  bool keep_finished = true);
  ~ProgressDisplay() { Stop(); }
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;
  void Stop();

 private:
  void Run();
  void Draw();
  ProgressMeter& meter_;
  std::FILE* out_;
  const int64_t origin_ms_;
  const bool keep_finished_;
  bool line_open_ = false;  // a stage in progress is drawn without its newline
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace vellum::snapshot
