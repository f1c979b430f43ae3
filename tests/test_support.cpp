#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

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

Output run_parsweep(const std::string& args, const fs::path& cwd) {
    TempDir tmp;
    fs::path err_path = tmp / "stderr";
    std::string cmd = "cd '" + cwd.string() + "' && '" + std::string(PARSWEEP_BINARY) + "' " +
                      args + " 2>'" + err_path.string() + "' </dev/null";
    Output o;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    o.out = slurp(p);
    int st = pclose(p);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o.err = read_file(err_path);
    return o;
}

}  // namespace parsweep::test
