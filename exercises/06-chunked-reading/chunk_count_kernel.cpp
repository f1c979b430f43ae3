/*
 * Lesson 06 — the chunk_count kernel: everything but the function you write
 * (starter/chunk_count.cpp).
 *
 * Counts chosen words, and all words, in a text read in chunks of `chunk_bytes` (one item
 * each). A process's share of chunks is counted by its OpenMP threads, which take chunks one
 * at a time (schedule(dynamic)): each thread preads its chunk — with the byte before it and
 * enough bytes after it to finish a word cut by its end — into its own buffer and calls
 * lesson06::count_chunk on it. The counts are added up, so the order in which chunks finish
 * does not matter; that order is recorded anyway (out_of_order: chunks that finished before
 * the chunk in front of them) for the lesson's check to show. The merged counts are verified
 * against parsweep's one-pass serial count of the whole file (kernels/wordcount.hpp).
 */
#include <fcntl.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "chunk_count.hpp"
#include "kernel.hpp"
#include "wordcount.hpp"

namespace lesson06 {

void Counts::add(std::string_view word, const std::vector<std::string>& words) {
    ++total_words;
    for (std::size_t i = 0; i < words.size(); ++i)
        if (word == words[i]) ++per_word[i];
}

Counts& Counts::operator+=(const Counts& other) {
    for (std::size_t i = 0; i < per_word.size() && i < other.per_word.size(); ++i)
        per_word[i] += other.per_word[i];
    total_words += other.total_words;
    return *this;
}

}  // namespace lesson06

namespace {

using parsweep::json;
using u64 = std::uint64_t;
namespace wc = parsweep::wordcount;

// Bytes read past a chunk's end at once; more follow only while a word runs on.
constexpr std::size_t kTail = 256;

struct Params {
    std::string file;
    u64 chunk_bytes = 0;
    std::vector<std::string> words;
};

Params parse(const json& p) {
    Params out{p.at("file").get<std::string>(),
               parsweep::count_param(p, "chunk_count", "chunk_bytes"),
               p.at("words").get<std::vector<std::string>>()};
    if (out.chunk_bytes == 0) throw std::invalid_argument("chunk_count: chunk_bytes must be >= 1");
    return out;
}

std::runtime_error sys_error(const char* what, const std::string& path) {
    return std::runtime_error(
        fmt::format("chunk_count: cannot {} '{}': {}", what, path, std::strerror(errno)));
}

using wc::file_size;

// The one-pass serial count of the whole file, computed once per file version and word list.
wc::WordCounts reference(const Params& p) {
    struct stat st {};
    if (::stat(p.file.c_str(), &st) != 0) throw sys_error("stat", p.file);
    std::string key =
        fmt::format("{}|{}|{}.{}|", p.file, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    for (const auto& w : p.words) key += std::to_string(w.size()) + ":" + w;
    static std::mutex mutex;
    static std::map<std::string, wc::WordCounts> cache;
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    std::ifstream in(p.file, std::ios::binary);
    std::ostringstream text;
    if (!(in && text << in.rdbuf())) throw sys_error("read", p.file);
    return cache[key] =
               wc::count_words_reference(text.str(), p.words, wc::Tokenizer::Whitespace, false);
}

class ChunkCountRun final : public parsweep::KernelRun {
  public:
    ChunkCountRun(Params p, u64 begin, u64 end)
        : p_(std::move(p)), begin_(begin), finished_(end - begin), counts_(p_.words.size()) {
        size_ = file_size(p_.file);
        fd_ = ::open(p_.file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw sys_error("open", p_.file);
        // One buffer per thread, big enough for a chunk and its edges: no allocation while timed.
        buffers_.resize(static_cast<std::size_t>(omp_get_max_threads()));
        for (auto& b : buffers_) b.reserve(std::min(p_.chunk_bytes, size_) + 1 + 2 * kTail);
    }
    ~ChunkCountRun() override { ::close(fd_); }
    ChunkCountRun(const ChunkCountRun&) = delete;
    ChunkCountRun& operator=(const ChunkCountRun&) = delete;

    void run(u64 b, u64 e) override {
        lesson06::Counts counts(p_.words.size());
        u64 chunks = 0, bytes = 0;
        std::string error;
#pragma omp parallel
        {
            lesson06::Counts local(p_.words.size());
            std::string& buf = buffers_.at(static_cast<std::size_t>(omp_get_thread_num()));
#pragma omp for schedule(dynamic) reduction(+ : chunks, bytes)
            for (u64 c = b; c < e; ++c) {
                try {
                    const auto [first, last] = read_chunk(c, buf);
                    local += lesson06::count_chunk(buf, first, last, p_.words);
                    finished_[c - begin_] = next_++;  // the order chunks finish in
                    ++chunks;
                    bytes += last - first;
                } catch (const std::exception& ex) {
#pragma omp critical(lesson06_error)
                    error = ex.what();
                }
            }
#pragma omp critical(lesson06_merge)
            counts += local;
        }
        if (!error.empty()) throw std::runtime_error(error);
        counts_ += counts;
        batches_[{b, e}] = {chunks, bytes};
    }

    parsweep::Verdict check(u64 b, u64 e) override {
        const u64 want = std::min(e * p_.chunk_bytes, size_) - std::min(b * p_.chunk_bytes, size_);
        const auto it = batches_.find({b, e});
        if (it == batches_.end() || it->second.first != e - b || it->second.second != want)
            return parsweep::Verdict::fail(
                fmt::format("chunk_count: chunks [{}, {}) of {} were not all read", b, e, p_.file));
        return parsweep::Verdict::pass();
    }

    json partial() const override {
        json counts = json::object();
        for (std::size_t i = 0; i < p_.words.size(); ++i) counts[p_.words[i]] = counts_.per_word[i];
        u64 chunks = 0, bytes = 0, out_of_order = 0;
        for (const auto& [range, cb] : batches_) chunks += cb.first, bytes += cb.second;
        for (std::size_t i = 1; i < finished_.size(); ++i)
            out_of_order += finished_[i] < finished_[i - 1];
        return {{"counts", counts},
                {"total_words", counts_.total_words},
                {"chunks", chunks},
                {"bytes", bytes},
                {"out_of_order", out_of_order}};
    }

  private:
    // Appends up to `bytes` bytes of the file at `offset` to `buf`; returns how many (fewer
    // only at the end of the file).
    std::size_t append(std::string& buf, u64 offset, std::size_t bytes) const {
        const std::size_t old = buf.size();
        buf.resize(old + bytes);
        std::size_t got = 0;
        while (got < bytes) {
            const ssize_t r =
                ::pread(fd_, buf.data() + old + got, bytes - got, static_cast<off_t>(offset + got));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) throw sys_error("read", p_.file);
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        buf.resize(old + got);
        return got;
    }

    // Reads chunk c into `buf` as count_chunk wants it (chunk_count.hpp): the byte before the
    // chunk, the chunk, and bytes after it up to the end of a word cut by its end. Returns
    // where the chunk lies in `buf`: [first, last).
    std::pair<std::size_t, std::size_t> read_chunk(u64 c, std::string& buf) const {
        const u64 start = c * p_.chunk_bytes, stop = std::min(start + p_.chunk_bytes, size_);
        const u64 from = start > 0 ? start - 1 : 0;
        const auto first = static_cast<std::size_t>(start - from);
        const auto last = static_cast<std::size_t>(stop - from);
        buf.clear();
        if (append(buf, from, last + kTail) < last)
            throw std::runtime_error("chunk_count: short read of " + p_.file + " (file changed?)");
        std::size_t seen = last;  // bytes of buf looked at for the word's end
        while (std::none_of(buf.begin() + static_cast<std::ptrdiff_t>(seen), buf.end(),
                            lesson06::is_space)) {
            seen = buf.size();
            if (append(buf, from + seen, kTail) == 0) break;  // the end of the file ends the word
        }
        return {first, last};
    }

    Params p_;
    u64 begin_;
    int fd_ = -1;
    u64 size_ = 0;
    std::vector<std::string> buffers_;  // one per thread
    std::vector<u64> finished_;         // finished_[c - begin_]: when chunk c finished (0, 1, …)
    std::atomic<u64> next_{0};
    lesson06::Counts counts_;
    std::map<std::pair<u64, u64>, std::pair<u64, u64>> batches_;  // [b, e) -> chunks, bytes
};

class ChunkCountKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "chunk_count"; }
    std::string_view summary() const override {
        return "lesson 06: count words in a text read in chunks by OpenMP threads — words cut by "
               "a chunk boundary must count once";
    }
    const std::vector<parsweep::ParamSpec>& params() const override {
        static const std::vector<parsweep::ParamSpec> specs = {
            {"file",
             parsweep::ParamType::File,
             "data/t8.shakespeare.txt",
             "the text to count words in",
             std::nullopt,
             std::nullopt,
             {}},
            {"chunk_bytes",
             parsweep::ParamType::Integer,
             262144,
             "bytes per chunk: one pread, one call of count_chunk, one item",
             1.0,
             static_cast<double>(1 << 30),
             {}},
            {"words",
             parsweep::ParamType::StringList,
             json::array({"dog", "cat", "boy", "girl"}),
             "the words to count (exact match, no whitespace)",
             std::nullopt,
             std::nullopt,
             {}},
        };
        return specs;
    }
    std::vector<parsweep::ParamError> validate(const json& p) const override {
        std::vector<parsweep::ParamError> errors;
        for (auto& problem : wc::word_list_problems(p.at("words").get<std::vector<std::string>>(),
                                                    wc::Tokenizer::Whitespace, false))
            errors.push_back({"words", std::move(problem)});
        return errors;
    }
    u64 items(const json& p) const override {
        const Params cp = parse(p);
        return wc::chunk_count(file_size(cp.file), cp.chunk_bytes);
    }
    u64 memory_bytes(const json& p, u64 share, int threads) const override {
        const Params cp = parse(p);
        u64 chunk = cp.chunk_bytes;
        try {
            chunk = std::min(chunk, file_size(cp.file));
        } catch (const std::exception&) {  // unknown size: a full chunk per thread
        }
        return static_cast<u64>(std::max(threads, 1)) * (chunk + 4 * kTail) + 8 * share + 65536;
    }
    parsweep::Work work(const json& p) const override {
        const Params cp = parse(p);
        const u64 size = file_size(cp.file);
        return {0, static_cast<double>(size),
                static_cast<double>(wc::chunk_count(size, cp.chunk_bytes)), "chunk"};
    }
    std::unique_ptr<parsweep::KernelRun> prepare(const json& p,
                                                 const parsweep::Share& share) const override {
        return std::make_unique<ChunkCountRun>(parse(p), share.begin, share.end);
    }
    json merge(const json& p, const std::vector<json>& partials) const override {
        json counts = json::object();
        for (const auto& w : parse(p).words) counts[w] = u64{0};
        json out = {{"total_words", 0}, {"chunks", 0}, {"bytes", 0}, {"out_of_order", 0}};
        for (const json& part : partials) {
            for (auto& [w, n] : counts.items())
                n = n.get<u64>() + part.at("counts").at(w).get<u64>();
            for (auto& [field, n] : out.items()) n = n.get<u64>() + part.at(field).get<u64>();
        }
        out["counts"] = counts;
        return out;
    }
    parsweep::Verdict verify(const json& p, const json& result) const override {
        const Params cp = parse(p);
        wc::WordCounts want;
        u64 size = 0;
        try {
            want = reference(cp);
            size = file_size(cp.file);
        } catch (const std::exception& e) {
            return parsweep::Verdict::fail(std::string("chunk_count: no reference count: ") +
                                           e.what());
        }
        std::vector<std::string> problems;
        const auto total = result.at("total_words").get<u64>();
        if (total != want.total_words)
            problems.push_back(fmt::format(
                "total_words {}, expected {} ({} {})", total, want.total_words,
                total > want.total_words ? total - want.total_words : want.total_words - total,
                total > want.total_words ? "too many" : "too few"));
        for (std::size_t i = 0; i < cp.words.size(); ++i) {
            const auto got = result.at("counts").at(cp.words[i]).get<u64>();
            if (got != want.per_target[i])
                problems.push_back(
                    fmt::format("\"{}\" {}, expected {}", cp.words[i], got, want.per_target[i]));
        }
        std::string msg;  // "counts differ" only when the words are counted wrong
        for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
        if (!msg.empty())
            msg = fmt::format("counts differ (chunk_bytes {}): {}", cp.chunk_bytes, msg);
        const auto chunks = result.at("chunks").get<u64>(), bytes = result.at("bytes").get<u64>();
        if (chunks != wc::chunk_count(size, cp.chunk_bytes) || bytes != size)
            msg += fmt::format("{}{} chunks / {} bytes of {} were read, expected {} / {}",
                               msg.empty() ? "" : "; ", chunks, bytes, cp.file,
                               wc::chunk_count(size, cp.chunk_bytes), size);
        if (msg.empty()) return parsweep::Verdict::pass();
        return parsweep::Verdict::fail(msg);
    }
};

const ChunkCountKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
