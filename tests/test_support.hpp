// Helpers shared by the test files: temporary directories, the workshop text (or a
// deterministic stand-in), and running the parsweep binary.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace parsweep::test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed when the object goes.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

// Writes `content` to `path` (binary), creating its folders, and returns the path.
fs::path write_file(const fs::path& path, const std::string& content);
std::string read_file(const fs::path& path);

// The workshop text: ../shared/data/shakespeare.txt when present, else a deterministic
// English-like text of about 1 MiB with the workshop's words in it (never a skip).
const fs::path& workshop_text();

// Deterministic text of `bytes` bytes: words of mixed case and punctuation, with dog, cat,
// boy, girl, Dog, CAT and long words among them, separated by every ASCII whitespace byte.
std::string generated_text(std::size_t bytes, unsigned seed = 1);

// Result of running a command.
struct Output {
    int status = -1;  // exit status, or 128 + signal
    std::string out;  // stdout
    std::string err;  // stderr
};
// Runs the parsweep binary with `args` (a shell-quoted string) in `cwd`, behind `prefix`
// (a command that runs it, e.g. "taskset -c 0" or "env SLURM_CPUS_PER_TASK=1").
Output run_parsweep(const std::string& args, const fs::path& cwd = fs::current_path(),
                    const std::string& prefix = "");

// Starts the parsweep binary with `args` in the background, stdout and stderr to `log`, and
// PARSWEEP_TEST_TAG=`tag` and `env` (NAME=value each) in its environment (its workers inherit
// them). Returns its pid.
pid_t start_parsweep(const std::vector<std::string>& args, const fs::path& log,
                     const std::string& tag, const std::vector<std::string>& env = {});
// Waits for `pid`: its exit status, or 128 + the signal that killed it.
int wait_for(pid_t pid);
// How many live processes (zombies included) carry PARSWEEP_TEST_TAG=`tag`.
int processes_tagged(const std::string& tag);
// The pids of the live processes that carry PARSWEEP_TEST_TAG=`tag` (zombies' read empty).
std::vector<pid_t> pids_tagged(const std::string& tag);
// Lines in a file (0 when it does not exist).
std::size_t count_lines(const fs::path& path);
// Waits until `path` has at least `lines` lines (a run's checkpoint growing), up to 60 s.
bool wait_for_lines(const fs::path& path, std::size_t lines);

// Time limits for a test whose hung worker or rank must time out once the others have done
// their share: the shortest first, so that the test is quick on an idle machine.
inline const std::vector<double> kHangLimits_s = {5, 30, 120};

// Runs `attempt` with each time limit of `limits_s` in turn until it returns true, and returns
// the limit of the last attempt. On a loaded machine (a CI runner, a load average of 10 on 2
// cores) starting the processes alone can outlast a short limit; an attempt whose timeout
// caught start-up instead of the hang proves nothing either way, and says so by returning
// false, so that only start-up taking longer than the longest limit can fail the test.
double with_growing_time_limit(const std::vector<double>& limits_s,
                               const std::function<bool(double)>& attempt);

}  // namespace parsweep::test
