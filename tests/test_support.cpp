#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace parsweep::test {

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "parsweep-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path write_file(const fs::path& path, const std::string& content) {
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    std::ofstream f(path, std::ios::binary);
    f << content;
    if (!f) throw std::runtime_error("cannot write " + path.string());
    return path;
}

std::string read_file(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string generated_text(std::size_t bytes, unsigned seed) {
    static const char* words[] = {"the",    "dog",
                                  "cat",    "boy",
                                  "girl",   "Dog",
                                  "CAT",    "Girl",
                                  "dogs",   "catalogue",
                                  "boyish", "and",
                                  "of",     "to",
                                  "a",      "thee",
                                  "thou",   "dog,",
                                  "(cat)",  "girl's",
                                  "ALAS",   "honorificabilitudinitatibus",
                                  "x",      "boy."};
    static const char* seps[] = {" ", " ", " ", "\n", "\t", "  ", "\r\n", "\v", "\f", "\n\n"};
    std::mt19937 rng(seed);
    std::string out;
    out.reserve(bytes + 64);
    while (out.size() < bytes) {
        out += words[rng() % std::size(words)];
        out += seps[rng() % std::size(seps)];
    }
    out.resize(bytes);
    return out;
}

const fs::path& workshop_text() {
    static const fs::path path = [] {
        fs::path shared = PARSWEEP_SHAKESPEARE;
        if (fs::is_regular_file(shared)) return shared;
        fs::path gen = fs::temp_directory_path() / "parsweep-test-generated-text.txt";
        write_file(gen, generated_text(1 << 20));
        return gen;
    }();
    return path;
}

namespace {
std::string slurp(FILE* f) {
    std::string s;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    return s;
}
}  // namespace

Output run_parsweep(const std::string& args, const fs::path& cwd, const std::string& prefix) {
    TempDir tmp;
    fs::path err_path = tmp / "stderr";
    std::string cmd = "cd '" + cwd.string() + "' && " + prefix + " '" +
                      std::string(PARSWEEP_BINARY) + "' " + args + " 2>'" + err_path.string() +
                      "' </dev/null";
    Output o;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    o.out = slurp(p);
    int st = pclose(p);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o.err = read_file(err_path);
    return o;
}

pid_t start_parsweep(const std::vector<std::string>& args, const fs::path& log,
                     const std::string& tag, const std::vector<std::string>& env) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        setenv("PARSWEEP_TEST_TAG", tag.c_str(), 1);
        for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
        FILE* f = freopen(log.c_str(), "w", stdout);
        if (!f || dup2(fileno(stdout), 2) < 0) _exit(127);
        std::vector<char*> argv{const_cast<char*>(PARSWEEP_BINARY)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(PARSWEEP_BINARY, argv.data());
        _exit(127);
    }
    return pid;
}

int wait_for(pid_t pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::vector<pid_t> pids_tagged(const std::string& tag) {
    // A zombie's environ reads empty, but a zombie only lasts while its parent lives: once
    // the parsweep parent is gone, init reaps whatever it left.
    const std::string needle = "PARSWEEP_TEST_TAG=" + tag + '\0';
    std::vector<pid_t> pids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        std::ifstream env(e.path() / "environ", std::ios::binary);
        std::string all((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
        if (all.find(needle) == std::string::npos) continue;
        try {
            pids.push_back(static_cast<pid_t>(std::stol(e.path().filename().string())));
        } catch (const std::exception&) {
            // /proc/self and other names that are not a pid
        }
    }
    return pids;
}

int processes_tagged(const std::string& tag) {
    return static_cast<int>(pids_tagged(tag).size());
}

std::size_t count_lines(const fs::path& path) {
    std::ifstream f(path);
    std::size_t n = 0;
    std::string line;
    while (std::getline(f, line)) ++n;
    return n;
}

bool wait_for_lines(const fs::path& path, std::size_t lines) {
    for (int i = 0; i < 6000; ++i) {
        if (count_lines(path) >= lines) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

double with_growing_time_limit(const std::vector<double>& limits_s,
                               const std::function<bool(double)>& attempt) {
    for (const double limit : limits_s)
        if (attempt(limit) || limit == limits_s.back()) return limit;
    return 0;  // no limits given
}

}  // namespace parsweep::test
