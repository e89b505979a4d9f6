// NameThisThread: gives the calling thread a name that top -H, perf, gdb and
// /proc/<pid>/task/<tid>/comm show ("worker-0", "persister"), so a profile or a stuck
// process says which of the daemon's threads is which. Linux keeps 15 bytes of it.
#pragma once

#include <pthread.h>

#include <string>

namespace vellum {

inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace vellum
