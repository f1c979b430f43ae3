// parsweep-mpi-worker: one MPI rank of a point run by the mpi launcher (mpi_launcher.hpp).
//
//   parsweep-mpi-worker TASK_JSON   a rank, started by mpirun or srun; TASK_JSON is the
//                                   point's Task over all its items (protocol.hpp)
//   parsweep-mpi-worker --version   the MPI library's version (MPI_Get_library_version)
//
// Built only when CMake finds MPI, so that parsweep itself never links it. The ranks run the
// spawn workers' code (worker.hpp) on their share; only the start, the timing and the way the
// records reach the parent differ:
//
//   set up (share_of(items, size, rank), prepare, OpenMP team)
//   gather readiness on rank 0 → rank 0 says Ready (or which rank could not set up)
//   MPI_Barrier → t0 = MPI_Wtime() → the share in timed batches → MPI_Barrier → t1
//   compute_s = the longest t1 − t0 over the ranks (MPI_Reduce)
//   gather every rank's record on rank 0 → rank 0 sends the MpiReport
//
// Only the main thread calls MPI (MPI_THREAD_FUNNELED): the kernels' OpenMP threads never do.
#include <mpi.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "launch/executor.hpp"
#include "launch/protocol.hpp"
#include "launch/worker.hpp"
#include "measure/clock.hpp"
#include "util/files.hpp"

namespace parsweep {
namespace {

// One message to the parent: a single write of a whole line, which mpirun / srun forward. On
// stdout from rank 0, on stderr from the others (protocol.hpp says why).
void emit(const json& message, int rank = 0) {
    write_all(rank == 0 ? STDOUT_FILENO : STDERR_FILENO,
              std::string(kMpiLinePrefix) + message.dump() + "\n");
}

// Every rank's `mine`, on rank 0 in rank order; empty on the other ranks.
std::vector<std::string> gather(const std::string& mine, int rank, int size) {
    int length = static_cast<int>(mine.size());
    std::vector<int> lengths(rank == 0 ? size : 0), offsets(rank == 0 ? size : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank == 0) {
        for (int r = 1; r < size; ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
        all.resize(static_cast<std::size_t>(offsets[size - 1] + lengths[size - 1]));
    }
    MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (int r = 0; rank == 0 && r < size; ++r)
        out.push_back(
            all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
    return out;
}

// This rank's share of the point's task (`task_text`), set up: the same split of the items as
// the spawn launcher's. Returns "" or why it could not be set up.
std::string set_up(const char* task_text, int rank, int size, Task& task, Prepared& prepared) {
    try {
        task = json::parse(task_text).get<Task>();
        const auto [begin, end] = share_of(task.end - task.begin, size, rank);
        task.end = task.begin + end;
        task.begin += begin;
        task.worker = rank;
        task.processes = size;  // the ranks that split the items, as the share does
        prepared = prepare_share(task);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

// Gathers every rank's readiness (its Ready, or `error`) on rank 0, which sends the parent
// Ready when every rank is set up, else the first rank's error. Returns whether the ranks go
// on; `ready_sent` is when rank 0 sent Ready (MPI_Wtime).
bool all_ready(const Ready& ready, const std::string& error, int rank, int size,
               double& ready_sent) {
    const auto readiness =
        gather(error.empty() ? json(ready).dump() : json{{"error", error}}.dump(), rank, size);
    int go = 1;
    if (rank == 0) {
        for (int r = 0; r < size && go; ++r) {
            const json m = json::parse(readiness[static_cast<std::size_t>(r)]);
            if (is_error(m)) {
                emit({{"error", fmt::format("rank {}: {}", r, m["error"].get<std::string>())}});
                go = 0;
            }
        }
        if (go) {
            emit(json(ready));
            ready_sent = MPI_Wtime();
        }
    }
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return go != 0;
}

// Completes this rank's record once its share is done: where it ran and what the OS charged
// it and the programs it ran and reaped (getrusage; a command kernel's), as wait4 charges a
// spawned worker.
void complete_record(RankReport& mine, int rank, const std::string& host) {
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
    mine.rank = rank;
    mine.host = host;
    const char* node = std::getenv("SLURMD_NODENAME");
    mine.node = node && *node ? node : mine.host;
    mine.user_s = seconds(self.ru_utime) + seconds(children.ru_utime);
    mine.sys_s = seconds(self.ru_stime) + seconds(children.ru_stime);
    mine.ctx_voluntary = self.ru_nvcsw + children.ru_nvcsw;
    mine.ctx_involuntary = self.ru_nivcsw + children.ru_nivcsw;
    mine.max_rss_kb = std::max(self.ru_maxrss, children.ru_maxrss);
}

int rank_main(const char* task_text, double started) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char host[MPI_MAX_PROCESSOR_NAME] = {};
    int host_length = 0;
    MPI_Get_processor_name(host, &host_length);

    Task task;
    Prepared prepared;
    const std::string error = set_up(task_text, rank, size, task, prepared);
    const Ready ready = ready_now(started);
    double ready_sent = 0;
    if (!all_ready(ready, error, rank, size, ready_sent)) return 1;

    // The timed region: from leaving one barrier to leaving the next, so compute_s is the
    // slowest rank's share, load imbalance included.
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    const double released = monotonic_s();
    RankReport mine;
    try {
        mine.report = run_share(*prepared.kernel, task, *prepared.run);
    } catch (const std::exception& e) {
        mine.error = std::string("kernel failed: ") + e.what();
    }
    // Before the closing barrier, so that a timeout can name the ranks that never got here.
    emit({{"done", rank}}, rank);
    MPI_Barrier(MPI_COMM_WORLD);
    // Without the rank's untimed stage() and check() calls, as the spawn launcher does.
    const double span = MPI_Wtime() - t0 - (mine.error.empty() ? mine.report.untimed_s : 0.0);
    double compute_s = 0;
    MPI_Reduce(&span, &compute_s, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

    complete_record(mine, rank, std::string(host, static_cast<std::size_t>(host_length)));
    mine.released = released;
    mine.ready = ready;
    const auto records = gather(json(mine).dump(), rank, size);
    if (rank == 0) {
        MpiReport report;
        report.release_s = t0 - ready_sent;
        report.compute_s = compute_s;
        for (const auto& r : records) report.ranks.push_back(json::parse(r).get<RankReport>());
        emit(json(report));
    }
    return 0;
}

}  // namespace
}  // namespace parsweep

int main(int argc, char** argv) {
    const double started = parsweep::monotonic_s();
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        // Allowed before MPI_Init: no launcher needed.
        char version[MPI_MAX_LIBRARY_VERSION_STRING];
        int length = 0;
        MPI_Get_library_version(version, &length);
        std::string text(version, static_cast<std::size_t>(length));
        while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
        std::printf("%s\n", text.c_str());
        return 0;
    }
    if (argc != 2) {
        std::fprintf(stderr,
                     "usage: %s TASK_JSON | --version\n(started by parsweep's mpi launcher through "
                     "mpirun or srun, not by hand)\n",
                     argv[0]);
        return 2;
    }
    // Die with mpirun (or srun's step daemon): a rank must never outlive its sweep.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    const int status = parsweep::rank_main(argv[1], started);
    MPI_Finalize();
    return status;
}
