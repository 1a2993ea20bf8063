#include "rib/epoch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ribflow {
namespace {

void CountFree(void*, void* counter) { static_cast<std::atomic<int>*>(counter)->fetch_add(1); }

TEST(EpochTest, RetiredObjectIsNotFreedWhileAReaderThatCouldSeeItIsPinned) {
  EpochDomain domain(4);
  auto* reader = domain.Register();
  std::atomic<int> freed{0};
  reader->Pin();
  domain.Retire(nullptr, &CountFree, &freed);
  for (int i = 0; i < 10; ++i) domain.Collect();
  EXPECT_EQ(freed.load(), 0);
  reader->Unpin();
  domain.Drain();
  EXPECT_EQ(freed.load(), 1);
  domain.Unregister(reader);
}

TEST(EpochTest, ReaderPinnedAfterRetireDoesNotBlockForever) {
  EpochDomain domain(4);
  std::atomic<int> freed{0};
  domain.Retire(nullptr, &CountFree, &freed);
  auto* reader = domain.Register();
  reader->Pin();  // pinned in the current epoch: the epoch can advance once past it
  domain.Collect();
  reader->Unpin();
  reader->Pin();
  domain.Collect();
  domain.Collect();
  reader->Unpin();
  domain.Drain();
  EXPECT_EQ(freed.load(), 1);
  domain.Unregister(reader);
}

TEST(EpochTest, NestedPinsKeepThreadPinned) {
  EpochDomain domain(2);
  auto* p = domain.Register();
  p->Pin();
  p->Pin();
  p->Unpin();
  EXPECT_TRUE(p->pinned());
  p->Unpin();
  EXPECT_FALSE(p->pinned());
  domain.Unregister(p);
}

TEST(EpochTest, RegisterFailsBeyondCapacityAndSlotsAreReused) {
  EpochDomain domain(2);
  auto* a = domain.Register();
  auto* b = domain.Register();
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(domain.Register(), nullptr);
  domain.Unregister(a);
  EXPECT_EQ(domain.Register(), a);
}

// Readers dereference a shared pointer that writers keep replacing; every freed object is
// poisoned first, so a use-after-free shows as a wrong value (and as an ASan/TSan report).
TEST(EpochTest, ConcurrentReplaceAndReadNeverSeesFreedObject) {
  struct Box {
    std::atomic<uint64_t> value;
  };
  EpochDomain domain(8);
  std::atomic<Box*> shared{new Box{{42}}};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  auto deleter = [](void* p, void*) {
    static_cast<Box*>(p)->value.store(0xdead);
    delete static_cast<Box*>(p);
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      auto* me = domain.Register();
      while (!stop.load()) {
        me->Pin();
        if (shared.load(std::memory_order_acquire)->value.load() != 42) bad.fetch_add(1);
        me->Unpin();
      }
      domain.Unregister(me);
    });
  }
  for (int i = 0; i < 20000; ++i) {
    Box* old = shared.exchange(new Box{{42}}, std::memory_order_acq_rel);
    domain.Retire(old, deleter, nullptr);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  domain.Drain();
  delete shared.load();
  EXPECT_EQ(bad.load(), 0u);
}

}  // namespace
}  // namespace ribflow
