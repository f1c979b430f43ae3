/*
 * Lesson 09 — schedule_rows: a loop over rows whose OpenMP schedule is chosen at run time.
 *
 * YOUR TASK: the loop below always uses schedule(static) — one block of rows per thread —
 * whatever schedule the point asks for. The rows cost more and more (row i costs i + 1
 * units), so the thread with the last block works while the other waits. Fix the TODO, then
 * run `make exercise N=09` until the check says correct, and compare the schedules.
 * (Rows, timing and verification are in ../triangle_kernel.cpp; the contract is in
 * ../schedule_rows.hpp.)
 */
#include <omp.h>

#include <cstdint>

#include "../schedule_rows.hpp"

namespace lesson09 {

void schedule_rows(const Schedule& schedule, std::uint64_t begin, std::uint64_t end,
                   const Row& row) {
    // TODO(schedule): hand the rows out as `schedule` says: schedule.kind is "static",
    // "dynamic" or "guided", schedule.chunk the rows per chunk (0: the kind's default).
    // Either give OpenMP the schedule at run time — omp_set_schedule(omp_sched_…, chunk) —
    // and put schedule(runtime) on the loop, or write one loop per kind.
    (void)schedule;
#pragma omp parallel for schedule(static)
    for (std::uint64_t i = begin; i < end; ++i) row(i);
}

}  // namespace lesson09
