// The large arrays of the memory-bound kernels (square, the STREAM calibration).
//
// Why huge pages: a worker is a fresh process for every repetition, so it faults its arrays
// in every time, in its untimed set-up, and unmaps them on exit. With 4 KiB pages that is a
// fault per page (200,000 for square's 800 MB at n = 5·10⁷); with 2 MiB transparent huge
// pages it is 512 times fewer. Measured on the 2-vCPU VM (800 MB, 24 fresh processes at 1 and
// 2 threads): set-up plus free 8.2 s in all with 4 KiB pages, 3.9 s with huge pages; the timed
// loop the same (0.59 s and 0.60 s). The kernel may compact memory to find huge pages, a
// stall of up to about 1.7 s seen once in 24 set-ups: it lands in the untimed set-up too.
// The STREAM calibration uses the same arrays, so that a point's fraction of the triad
// bandwidth compares like with like.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace parsweep {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

template <class T>
using LargeArray = std::unique_ptr<T[], FreeDeleter>;

// Uninitialised storage for `bytes` (at least one page): page-aligned, and from one huge page
// (2 MiB) up aligned to and rounded up to whole huge pages, marked for transparent huge pages
// (madvise MADV_HUGEPAGE; a no-op where the system has them off). Uninitialised on purpose:
// the kernel first-touches it with the threads that will use it. Throws std::runtime_error
// naming `what` and the size when the memory cannot be had.
void* allocate_large_bytes(std::size_t bytes, const char* what);

template <class T>
LargeArray<T> allocate_large(std::size_t count, const char* what) {
    // A count whose byte size does not fit a size_t asks for more than any allocation can be.
    const std::size_t bytes = count <= SIZE_MAX / sizeof(T) ? count * sizeof(T) : SIZE_MAX;
    return LargeArray<T>(static_cast<T*>(allocate_large_bytes(bytes, what)));
}

}  // namespace parsweep
