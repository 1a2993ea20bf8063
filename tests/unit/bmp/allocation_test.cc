// The per-message path allocates nothing once warm: framing a session's stream and decoding
// each message into a reused Message performs no heap allocation. Counted with a replaced
// global operator new, so this test lives in its own binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "bmp/framer.h"
#include "bmp/message.h"
#include "bmp_test_messages.h"

namespace {
std::atomic<size_t> allocations{0};
}  // namespace

// g++ 12 flags free() on memory from operator new even when operator new is this malloc-based
// replacement; clang has no such warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace ribflow::bmp {
namespace {

TEST(BmpAllocationTest, FramingAndDecodingAWarmSessionAllocatesNothing) {
  std::vector<uint8_t> stream;
  for (const auto& [name, message] : testing::GoldenMessages()) {
    stream.insert(stream.end(), message.begin(), message.end());
  }
  Framer framer({.read_chunk = 1460});
  Message decoded;
  size_t messages = 0;
  auto run_session = [&] {
    for (size_t offset = 0; offset < stream.size();) {
      offset += framer.Append(
          std::span(stream).subspan(offset, std::min<size_t>(1460, stream.size() - offset)));
      std::span<const uint8_t> message;
      while (framer.Next(&message) == Framer::Result::kMessage) {
        if (Decode(message, &decoded).ok()) ++messages;
      }
    }
  };
  const size_t start = allocations.load();
  run_session();  // warm-up: the Message's vectors reach their working sizes
  const size_t before = allocations.load();
  EXPECT_GT(before, start);  // the counter sees the warm-up's allocations
  for (int round = 0; round < 100; ++round) run_session();
  EXPECT_EQ(allocations.load(), before);
  EXPECT_EQ(messages, 101 * testing::GoldenMessages().size());
}

}  // namespace
}  // namespace ribflow::bmp
