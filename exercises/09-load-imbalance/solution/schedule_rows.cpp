/*
 * Lesson 09 — schedule_rows: a loop over rows whose OpenMP schedule is chosen at run time.
 *
 * The solution: the schedule goes to OpenMP's run-time schedule (omp_set_schedule), which
 * schedule(runtime) on the loop reads. One loop serves every kind and chunk. (One loop per
 * kind, each with its own schedule(kind, chunk) clause, works too.)
 */
#include <omp.h>

#include <cstdint>
#include <string>

#include "../schedule_rows.hpp"

namespace lesson09 {

namespace {
omp_sched_t kind_of(const std::string& kind) {
    if (kind == "dynamic") return omp_sched_dynamic;
    if (kind == "guided") return omp_sched_guided;
    return omp_sched_static;
}
}  // namespace

void schedule_rows(const Schedule& schedule, std::uint64_t begin, std::uint64_t end,
                   const Row& row) {
    // A chunk below 1 asks for the kind's default: one block per thread for static, 1 for
    // dynamic and guided.
    omp_set_schedule(kind_of(schedule.kind), schedule.chunk);
#pragma omp parallel for schedule(runtime)
    for (std::uint64_t i = begin; i < end; ++i) row(i);
}

}  // namespace lesson09
