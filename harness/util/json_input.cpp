#include "util/json_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "util/units.hpp"

namespace parsweep {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A config is written by hand: the largest shipped one is a few KiB, so 16 MiB is far beyond
// any real one and bounds what a mistaken file (a data file given as the config) costs.
constexpr std::uint64_t kMaxConfigBytes = 16ull << 20;
// A sweep.json holds every repetition of every point: about 13 KiB a point with 5 repetitions,
// so 256 MiB is some 20,000 points, more than the largest job arrays measure. A merge holds
// about 12 times its input in memory (two 5 MB parts: 130 MB), so one file at the limit
// costs some 3 GiB, what a login node can spare; PARSWEEP_MAX_JSON_BYTES raises it for a
// larger run (a merged run can outgrow the limit its parts kept).
constexpr std::uint64_t kMaxRunRecordBytes = 256ull << 20;

std::string file_type_name(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

[[noreturn]] void refuse(const fs::path& file, std::string problem) {
    throw JsonInputError(JsonInputError::Kind::file, file.string(), std::move(problem));
}

// Refuses `st` unless it is a regular file of at most `max_bytes`.
void check_stat(const fs::path& file, const struct stat& st, std::uint64_t max_bytes) {
    if (!S_ISREG(st.st_mode))
        refuse(file, fmt::format("is {}, not a regular file", file_type_name(st.st_mode)));
    if (std::uint64_t(st.st_size) > max_bytes)
        refuse(file, fmt::format("is {}, more than the {} it may be ({}={} raises the limit)",
                                 format_bytes(double(st.st_size)), format_bytes(double(max_bytes)),
                                 kMaxJsonBytesVar, std::uint64_t(st.st_size)));
}

// The DOM that nlohmann's own parser builds, with the strict rules checked as it grows. Keys
// are checked for duplicates in the object being filled (a map lookup it does anyway), so the
// checks cost little beside the parse itself.
class StrictBuilder final : public nlohmann::json_sax<json> {
    static constexpr std::size_t kShownDepth = 8;  // the path an error names, at most

  public:
    StrictBuilder(json& root, const std::string& origin) : root_(root), origin_(origin) {}

    bool null() override { return place(json(nullptr)); }
    bool boolean(bool v) override { return place(json(v)); }
    bool number_integer(number_integer_t v) override { return place(json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return place(json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return place(json(v)); }
    bool binary(binary_t& v) override { return place(json::binary(std::move(v))); }
    bool string(string_t& v) override {
        if (v.find('\0') != string_t::npos)
            fail(true, "NUL character (\\u0000) in a string: " + shown(v));
        return place(json(std::move(v)));
    }
    bool start_object(std::size_t) override { return open(json::value_t::object); }
    bool start_array(std::size_t) override { return open(json::value_t::array); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        Frame& f = stack_.back();
        if (k.find('\0') != string_t::npos)
            fail(false, "NUL character (\\u0000) in the key " + shown(k));
        auto [it, fresh] = f.value->get_ref<json::object_t&>().try_emplace(k);
        if (!fresh) fail(false, "duplicate key " + shown(k));
        f.key = &it->first;
        element_ = &it->second;
        return true;
    }
    bool parse_error(std::size_t position, const std::string& token,
                     const nlohmann::detail::exception& ex) override {
        error_position_ = position;
        error_token_ = token;
        error_ = ex.what();
        error_id_ = ex.id;
        return false;
    }

    std::size_t error_position_ = 0;
    std::string error_token_, error_;
    int error_id_ = 0;

  private:
    struct Frame {
        json* value;
        const std::string* key = nullptr;  // an object's last key
    };

    static std::string shown(const std::string& s) {
        std::string d = json(s).dump(-1, ' ', false, json::error_handler_t::replace);
        return d.size() > 64 ? d.substr(0, 60) + "…\"" : d;
    }

    bool place(json&& v) {
        if (stack_.empty()) {
            root_ = std::move(v);
            last_ = &root_;
        } else if (Frame& f = stack_.back(); f.value->is_array()) {
            auto& a = f.value->get_ref<json::array_t&>();
            a.push_back(std::move(v));
            last_ = &a.back();
        } else {
            *element_ = std::move(v);
            last_ = element_;
        }
        return true;
    }
    bool open(json::value_t type) {
        if (stack_.size() >= std::size_t(kMaxJsonDepth))
            fail(true, fmt::format("lists and objects nest more than {} deep (the path is cut "
                                   "after {} levels)",
                                   kMaxJsonDepth, kShownDepth));
        place(json(type));
        stack_.push_back({last_});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return true;
    }

    // Throws the error at the value being read (`pending`: not placed yet) or at the object
    // being filled.
    [[noreturn]] void fail(bool pending, std::string problem) const {
        std::vector<JsonPathStep> path;
        for (std::size_t i = 0; i < stack_.size(); ++i) {
            const Frame& f = stack_[i];
            const bool last = i + 1 == stack_.size();
            if (f.value->is_object()) {
                if (!last || pending) path.emplace_back(*f.key);
            } else if (!last || pending) {
                path.emplace_back(f.value->size() - (last ? 0 : 1));
            }
        }
        if (path.size() > kShownDepth) path.resize(kShownDepth);
        throw JsonInputError(JsonInputError::Kind::structure, origin_, std::move(problem), 0, 0,
                             std::move(path));
    }

    json& root_;
    const std::string& origin_;
    std::vector<Frame> stack_;
    json* element_ = nullptr;  // the value of an object's last key
    json* last_ = nullptr;     // the value placed last
};

// The syntax error `b` met, at the line and column a person can find.
[[noreturn]] void syntax_error(const StrictBuilder& b, std::string_view text,
                               const std::string& origin) {
    std::size_t byte = b.error_position_ > 0 ? b.error_position_ - 1 : 0;
    if (b.error_id_ == 406) {  // number overflow ("1e999"): reported after the literal
        const std::size_t at = text.rfind(b.error_token_, b.error_position_);
        byte = at == std::string_view::npos ? 0 : at;
    }
    byte = std::min(byte, text.size());
    const std::size_t line = 1 + std::count(text.begin(), text.begin() + byte, '\n');
    const std::size_t bol = byte == 0 ? std::string_view::npos : text.rfind('\n', byte - 1);
    const std::size_t col = byte - (bol == std::string_view::npos ? 0 : bol + 1) + 1;
    std::string what = b.error_;
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw JsonInputError(JsonInputError::Kind::syntax, origin, what, line, col);
}

std::string json_pointer_text(const std::vector<JsonPathStep>& path) {
    json::json_pointer p;
    for (const auto& step : path) std::visit([&](const auto& s) { p /= s; }, step);
    return p.to_string();
}

std::string what_text(JsonInputError::Kind kind, const std::string& file,
                      const std::string& problem, std::size_t line, std::size_t column,
                      const std::vector<JsonPathStep>& path) {
    switch (kind) {
        case JsonInputError::Kind::syntax:
            return fmt::format("{}:{}:{}: invalid JSON: {}", file, line, column, problem);
        case JsonInputError::Kind::structure:
            if (path.empty()) return fmt::format("{}: at the top level: {}", file, problem);
            return fmt::format("{}: {}: {}", file, json_pointer_text(path), problem);
        default:
            return fmt::format("{}: {}", file, problem);
    }
}

}  // namespace

JsonInputError::JsonInputError(Kind kind, std::string file, std::string problem, std::size_t line,
                               std::size_t column, std::vector<JsonPathStep> path)
    : std::runtime_error(what_text(kind, file, problem, line, column, path)),
      kind_(kind),
      file_(std::move(file)),
      problem_(std::move(problem)),
      line_(line),
      column_(column),
      path_(std::move(path)) {}

std::string JsonInputError::pointer() const {
    return json_pointer_text(path_);
}

std::uint64_t max_json_bytes(JsonKind kind) {
    const char* given = std::getenv(kMaxJsonBytesVar);
    if (!given || !*given) return kind == JsonKind::config ? kMaxConfigBytes : kMaxRunRecordBytes;
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(given, &end, 10);
    int shift = 0;
    switch (*end) {
        case 'k':
        case 'K':
            shift = 10;
            ++end;
            break;
        case 'm':
        case 'M':
            shift = 20;
            ++end;
            break;
        case 'g':
        case 'G':
            shift = 30;
            ++end;
            break;
        default:
            break;
    }
    if (!std::isdigit(static_cast<unsigned char>(given[0])) || errno || *end ||
        n > (~0ull >> shift))
        throw std::invalid_argument(
            fmt::format("{}={}: must be a size in bytes (e.g. 268435456, 256M or 1G)",
                        kMaxJsonBytesVar, given));
    return std::uint64_t(n) << shift;
}

std::string read_json_text(const fs::path& file, std::uint64_t max_bytes) {
    // The type is checked before opening, so that a FIFO blocks nothing and a device is never
    // opened; again on the open file, in case it was replaced in between.
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
        refuse(file, std::string("cannot read: ") + std::strerror(errno));
    check_stat(file, st, max_bytes);
    const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) refuse(file, std::string("cannot read: ") + std::strerror(errno));
    std::string text;
    try {
        if (::fstat(fd, &st) != 0)
            refuse(file, std::string("cannot read: ") + std::strerror(errno));
        check_stat(file, st, max_bytes);
        text.resize(std::size_t(st.st_size));
        std::size_t have = 0;
        for (;;) {  // until EOF: the file may have grown since fstat, but not past the limit
            if (have == text.size())
                text.resize(std::min<std::uint64_t>(have + 65536, max_bytes + 1));
            if (have == text.size()) break;
            const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) refuse(file, std::string("cannot read: ") + std::strerror(errno));
            if (n == 0) break;
            have += std::size_t(n);
        }
        text.resize(have);
        if (have > max_bytes)
            refuse(file, fmt::format("grew past the {} it may be while it was read ({} raises "
                                     "the limit)",
                                     format_bytes(double(max_bytes)), kMaxJsonBytesVar));
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return text;
}

json parse_json_strict(std::string_view text, const std::string& origin) {
    json doc;
    StrictBuilder builder(doc, origin);
    if (!json::sax_parse(text.begin(), text.end(), &builder)) syntax_error(builder, text, origin);
    return doc;
}

json read_json_file(const fs::path& file, JsonKind kind) {
    std::uint64_t max_bytes = 0;
    try {
        max_bytes = max_json_bytes(kind);
    } catch (const std::invalid_argument& e) {
        refuse(file, e.what());
    }
    return parse_json_strict(read_json_text(file, max_bytes), file.string());
}

}  // namespace parsweep
