// Which OpenMP runtime this build runs on, and how its idle threads wait: what sweep.json's
// context.openmp and `parsweep info` record.
//
// Why it matters: the same kernel at the same P × T behaves differently on GCC's libgomp and
// LLVM's libomp, mostly through how a thread waits at the end of a parallel region. libgomp
// spins up to GOMP_SPINCOUNT iterations (300,000 by default, 30 billion with
// OMP_WAIT_POLICY=active, none with passive) before it sleeps; libomp spins for KMP_BLOCKTIME
// (200 ms by default, 0 with passive). Spinning threads hold CPUs that oversubscribed
// processes need: the lesson on oversubscription is about exactly that.
//
// The workers are built with the same compiler and flags as parsweep, so they run this
// runtime too; a point's "env" (config) changes the variables for its workers only.
#pragma once

#include <nlohmann/json.hpp>

namespace parsweep {

// {"version": "4.5", "spec_date": 201511, "runtime": "/usr/lib/…/libgomp.so.1.0.0",
//  "runtime_name": "libgomp" | "libomp" | "libiomp5" | "unknown", "runtime_version": "…",
//  "wait_policy": {"OMP_WAIT_POLICY": …, "GOMP_SPINCOUNT": …, "KMP_BLOCKTIME": … (null when
//  unset), "effect": "…"}, "max_threads": …, "num_procs": …}
nlohmann::json openmp_info();

}  // namespace parsweep
