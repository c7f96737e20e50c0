// SPDX-License-Identifier: Apache-2.0
// `pq::encode_into` and `pq::decode_into` allocate nothing once the packed field has held a
// field as large: this binary replaces the global operator new (and, with glibc and no
// sanitizer, malloc, calloc and realloc) and counts the calls made during loops of them,
// on one thread and on several. It also makes chosen malloc calls fail.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dashi/pq/codec.hpp>
#include <new>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
/// n > 0: the n-th call of malloc from now returns null (counted down by the replacement).
std::atomic<int> failing_malloc{0};

void note_allocation() noexcept {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

void* operator new(std::size_t size) {
  note_allocation();
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  note_allocation();
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
// Not inlined: GCC would otherwise see free() on a pointer from operator new and warn.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
      __has_feature(memory_sanitizer)
#    define DASHI_TEST_SANITIZED 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define DASHI_TEST_SANITIZED 1
#endif

#if defined(__GLIBC__) && !defined(DASHI_TEST_SANITIZED)
#  define DASHI_TEST_COUNTS_MALLOC 1
// The packed field's words come from malloc/realloc: count them too (glibc lets a program
// interpose these and reach its own implementation under the __libc_ names).
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* malloc(std::size_t size) {
  note_allocation();
  if (failing_malloc.load(std::memory_order_relaxed) > 0 &&
      failing_malloc.fetch_sub(1, std::memory_order_relaxed) == 1) {
    return nullptr;
  }
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  note_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) {
  note_allocation();
  return __libc_realloc(p, size);
}
}
#else
#  define DASHI_TEST_COUNTS_MALLOC 0
#endif

namespace {

namespace pq = dashi::pq;

/// Allocations made by `body()`.
template <class F>
std::size_t allocations_in(F&& body) {
  allocations.store(0);
  counting.store(true);
  body();
  counting.store(false);
  return allocations.load();
}

TEST(PqCodecAllocations, TheCounterSeesAllocations) {
  // The replacement of operator new is in effect (a direct call, which no optimiser elides).
  EXPECT_GT(allocations_in([] {
              void* volatile p = ::operator new(64);  // volatile: the pair is not folded away
              ::operator delete(p);
            }),
            0U);
  if (DASHI_TEST_COUNTS_MALLOC) {
    // malloc is counted too, so an allocating encode (its words come from malloc) is seen.
    const TernaryField field = dashi_test::random_field(Shape{4096}, 0.5, 1);
    EXPECT_GT(allocations_in([&] { (void)pq::encode(field.view()); }), 0U);
    EXPECT_GT(allocations_in([] {
                void* volatile p = std::malloc(64);  // volatile: Clang folds a bare pair away
                std::free(p);
              }),
              0U);
  }
  RecordProperty("counts_malloc", DASHI_TEST_COUNTS_MALLOC);
}

TEST(PqCodecAllocations, LoopsOfEncodeIntoAndDecodeIntoAllocateNothing) {
  for (const std::size_t workers : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    for (const std::uint32_t block : {64U, 4096U}) {
      // Above 2^16 sites, so that several workers split the work.
      const Shape shape{513, 517};
      const TernaryField a = dashi_test::random_field(shape, 0.3, 2);
      const TernaryField b = dashi_test::random_field(shape, 0.7, 3);
      const pq::PqOptions options{.block_sites = block, .num_workers = workers};
      pq::PackedField packed;
      TernaryField out = TernaryField::uninitialized(shape);
      pq::encode_into(b.view(), packed, options);  // storage for this size; the pool starts
      pq::decode_into(packed, out.span(), options);
      const std::size_t count = allocations_in([&] {
        for (int i = 0; i < 20; ++i) {
          pq::encode_into((i % 2 == 0 ? a : b).view(), packed, options);
          pq::decode_into(packed, out.span(), options);
        }
      });
      EXPECT_EQ(count, 0U) << "workers " << workers << ", B = " << block;
      // And the results are those of the allocating forms.
      pq::encode_into(a.view(), packed, options);
      EXPECT_TRUE(packed == pq::encode(a.view(), options));
      pq::decode_into(packed, out.span(), options);
      EXPECT_TRUE(out == a);
    }
  }
  std::printf("allocations counted: operator new%s\n",
              DASHI_TEST_COUNTS_MALLOC ? ", malloc, calloc, realloc" : " (sanitized build)");
}

TEST(PqCodecAllocations, EncodeIntoLeavesTheEmptyFieldWhenItsStorageCannotGrow) {
  if (!DASHI_TEST_COUNTS_MALLOC) {
    GTEST_SKIP() << "needs the malloc replacement (not in sanitized builds)";
  }
  const TernaryField field = dashi_test::random_field(Shape{4096}, 0.5, 4);
  const pq::PqOptions options{.block_sites = 64, .num_workers = 1};
  // Into an empty packed field, encode_into allocates P, O and Q, in that order: fail each.
  for (int failing = 1; failing <= 3; ++failing) {
    pq::PackedField out;
    bool threw = false;
    failing_malloc.store(failing);
    try {
      pq::encode_into(field.view(), out, options);
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    failing_malloc.store(0);
    EXPECT_TRUE(threw) << "malloc call " << failing;
    EXPECT_TRUE(out == pq::PackedField{}) << "malloc call " << failing << " failed";
    pq::encode_into(field.view(), out, options);
    EXPECT_TRUE(out == pq::encode(field.view(), options)) << "malloc call " << failing;
  }
}

}  // namespace
