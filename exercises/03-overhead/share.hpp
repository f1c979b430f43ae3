// Lesson 03: the function you write. Splits n items over `parts` workers (the OpenMP threads
// of one process) by hand, like schedule(static): part `index` (0 ≤ index < parts) gets the
// items [begin, end). The parts must cover [0, n) exactly once, in order, each part
// contiguous: part 0 starts at 0, part i+1 starts where part i ends, and the last ends at n.
#pragma once

#include <cstdint>

namespace lesson03 {

struct Range {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

Range share(std::uint64_t n, int parts, int index);

}  // namespace lesson03
