// The conversation between the parent and a worker process, one JSON object per line.
//
//   parent → worker (fd 3):  Task                 worker → parent (fd 4):  Ready | Error
//   parent → worker (fd 3):  "go"                 worker → parent (fd 4):  Report | Error
//
// Workers write nothing else on fd 4; their stdout and stderr are captured by the parent
// and attached to a failure. Times are CLOCK_MONOTONIC seconds, comparable across the
// processes of one node.
#pragma once

#include <cstdint>
#include <string>

#include "kernel.hpp"

namespace parsweep {

inline constexpr int kTaskFd = 3;    // worker reads the task and "go" here
inline constexpr int kReportFd = 4;  // worker writes Ready and Report here
// The parent's pid, in the worker's environment: a worker whose parent is gone exits.
inline constexpr const char* kParentPidVar = "PARSWEEP_PARENT_PID";
// The number of worker processes of the point (P), in every worker's environment: a kernel
// that must share the machine with its sibling workers (e.g. choose its BLAS threads so that
// P × threads fits the usable cores) reads it in prepare(). Its own share is in the Task.
inline constexpr const char* kProcessesVar = "PARSWEEP_PROCESSES";

// CLOCK_MONOTONIC in seconds.
double monotonic_s();

// What one worker must do: its share [begin, end) of a point's items.
struct Task {
    std::string kernel;
    json params;
    std::uint64_t begin = 0, end = 0;
    int worker = 0;
    int threads = 1;  // what the worker's environment asked for, to check it took effect
};

// The worker is set up (kernel prepared, OpenMP team started) and waits for "go".
struct Ready {
    double time = 0;
    int omp_threads = 0;
    int blas_threads = 0;
    std::vector<int> cpus;  // the CPUs its OpenMP threads were on (pinning.hpp cpus_in_use)
};

// The worker's share is done.
struct Report {
    double start = 0;   // first timed batch began
    double end = 0;     // last timed batch ended
    double busy_s = 0;  // time inside timed batches
    Verdict verdict;
    json partial;
};

json to_json(const Task& t);
Task task_from_json(const json& j);
json to_json(const Ready& r);
Ready ready_from_json(const json& j);
json to_json(const Report& r);
Report report_from_json(const json& j);

// A message is a Ready/Report, or {"error": "..."} when the worker could not go on.
inline bool is_error(const json& message) {
    return message.contains("error");
}

}  // namespace parsweep
