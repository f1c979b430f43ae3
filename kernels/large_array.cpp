#include "large_array.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace parsweep {

void* allocate_large_bytes(std::size_t bytes, const char* what) {
    constexpr std::size_t kPage = 4096;
    constexpr std::size_t kHugePage = std::size_t{2} << 20;
    const std::size_t align = bytes >= kHugePage ? kHugePage : kPage;
    const bool representable = bytes <= std::numeric_limits<std::size_t>::max() - kHugePage;
    const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + align - 1) / align * align;
    void* p = representable ? std::aligned_alloc(align, rounded) : nullptr;
    if (!p)
        throw std::runtime_error(
            fmt::format("{}: cannot allocate an array of {} bytes", what, bytes));
#ifdef MADV_HUGEPAGE
    if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);  // advice: failure is harmless
#endif
    return p;
}

}  // namespace parsweep
