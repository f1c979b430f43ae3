// Lesson 09: the function you write — a loop over rows whose OpenMP schedule is chosen at run
// time — and the schedule it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace lesson09 {

// How the rows of a loop are handed out to the threads, as in `schedule(kind, chunk)`.
struct Schedule {
    std::string kind;  // "static", "dynamic" or "guided"
    // Rows per chunk (for guided: the smallest chunk). 0 asks for the kind's default:
    // static splits the rows into one block per thread, dynamic and guided use 1.
    int chunk = 0;
};

// The work of one row; safe to call from any thread, for rows in any order.
using Row = std::function<void(std::uint64_t)>;

// YOUR function (starter/schedule_rows.cpp): calls row(i) exactly once for every i in
// [begin, end), with the OpenMP threads of this process (a team of omp_get_max_threads()),
// handing the rows out to the threads as `#pragma omp for schedule(kind, chunk)` over that
// range does. The kernel records which thread ran each row and checks the pattern.
void schedule_rows(const Schedule& schedule, std::uint64_t begin, std::uint64_t end,
                   const Row& row);

}  // namespace lesson09
