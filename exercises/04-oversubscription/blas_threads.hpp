// Lesson 04: the function you write. `processes` worker processes run at the same time on a
// machine whose jobs may keep `usable_cores` cores busy (parsweep info: affinity mask, cgroup
// quota, SLURM_CPUS_PER_TASK); each worker inverts matrices with a threaded BLAS. Returns
// how many BLAS threads each worker should use: at least 1.
#pragma once

namespace lesson04 {

int blas_threads_per_worker(int processes, int usable_cores);

}  // namespace lesson04
