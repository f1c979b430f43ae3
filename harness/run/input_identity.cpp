#include "run/input_identity.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <set>

// Header-only: the hash is compiled in, so parsweep loads no libxxhash at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>

#include "kernel.hpp"

namespace parsweep {

namespace {

// "2026-12-07T15:37:02.123456789Z": the mtime a reader can compare with `ls --full-time`.
std::string utc_ns(std::int64_t ns) {
    const std::time_t s = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:09}Z", buf, ns % 1000000000);
}

// The XXH3-64 hash of the file open on `fd`, streamed in 1 MiB reads; "" and `error` set
// when a read fails.
std::string hash_of(int fd, std::string& error) {
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                   &XXH3_freeState);
    XXH3_64bits_reset(state.get());
    std::vector<char> buf(1 << 20);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            error = std::string("cannot read it: ") + std::strerror(errno);
            return "";
        }
        XXH3_64bits_update(state.get(), buf.data(), static_cast<std::size_t>(n));
    }
    return fmt::format("xxh3-64:{:016x}", XXH3_64bits_digest(state.get()));
}

void fill_from_stat(InputIdentity& id, const struct stat& st) {
    id.size_bytes = static_cast<std::uint64_t>(st.st_size);
    id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    id.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    id.inode = static_cast<std::uint64_t>(st.st_ino);
    id.device = static_cast<std::uint64_t>(st.st_dev);
}

}  // namespace

json InputIdentity::to_json() const {
    if (!error.empty()) return {{"path", path}, {"error", error}};
    json j = {{"path", path},         {"size_bytes", size_bytes}, {"mtime", utc_ns(mtime_ns)},
              {"mtime_ns", mtime_ns}, {"ctime_ns", ctime_ns},     {"inode", inode},
              {"device", device}};
    if (!hash.empty()) j["hash"] = hash;
    return j;
}

InputIdentity InputIdentity::from_json(const json& j) {
    InputIdentity id;
    id.path = j.at("path").get<std::string>();
    if (j.contains("error")) {
        id.error = j.at("error").get<std::string>();
        return id;
    }
    id.size_bytes = j.at("size_bytes").get<std::uint64_t>();
    id.mtime_ns = j.at("mtime_ns").get<std::int64_t>();
    id.ctime_ns = j.value("ctime_ns", std::int64_t{0});
    id.inode = j.at("inode").get<std::uint64_t>();
    id.device = j.at("device").get<std::uint64_t>();
    id.hash = j.value("hash", "");
    return id;
}

std::vector<std::string> input_files(const Point& point) {
    std::vector<std::string> files;
    for (const ParamSpec& spec : point.kernel->params())
        if (spec.type == ParamType::File && point.params.contains(spec.name) &&
            point.params[spec.name].is_string() && !point.params[spec.name].empty())
            files.push_back(point.params[spec.name].get<std::string>());
    return files;
}

InputIdentity identify_input(const std::string& path, bool hash) {
    InputIdentity id;
    id.path = path;
    struct stat st {};
    if (!hash) {
        if (::stat(path.c_str(), &st) != 0)
            id.error = std::string("cannot stat it: ") + std::strerror(errno);
        else
            fill_from_stat(id, st);
        return id;
    }
    // The hash and the stat of one open file: what was hashed is what the stat describes.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        id.error = std::string("cannot open it: ") + std::strerror(errno);
        return id;
    }
    if (::fstat(fd, &st) != 0) {
        id.error = std::string("cannot stat it: ") + std::strerror(errno);
    } else {
        fill_from_stat(id, st);
        id.hash = hash_of(fd, id.error);
    }
    ::close(fd);
    return id;
}

std::string identity_change(const InputIdentity& then, const InputIdentity& now) {
    if (!now.error.empty()) return now.error;
    if (!then.error.empty())
        return fmt::format("it could not be identified when the run started ({})", then.error);
    if (then.size_bytes != now.size_bytes)
        return fmt::format("size {} → {} bytes", then.size_bytes, now.size_bytes);
    // Both read whole: the content decides (a copy, or a touched file, is the same input).
    if (!then.hash.empty() && !now.hash.empty())
        return then.hash == now.hash ? ""
                                     : fmt::format("content hash {} → {}", then.hash, now.hash);
    if (then.inode != now.inode) return fmt::format("inode {} → {}", then.inode, now.inode);
    if (then.device != now.device) return fmt::format("device {} → {}", then.device, now.device);
    if (then.mtime_ns != now.mtime_ns)
        return fmt::format("mtime {} → {}", utc_ns(then.mtime_ns), utc_ns(now.mtime_ns));
    // Every write sets the ctime, and no one can set it back (as `touch -d` does the mtime).
    if (then.ctime_ns != 0 && then.ctime_ns != now.ctime_ns)
        return fmt::format("ctime {} → {}: written to, or its permissions or links changed",
                           utc_ns(then.ctime_ns), utc_ns(now.ctime_ns));
    return "";
}

std::optional<RunInputs> RunInputs::from_json(const json& inputs) {
    if (!inputs.is_array()) return std::nullopt;
    RunInputs r;
    try {
        for (const json& j : inputs) {
            InputIdentity id = InputIdentity::from_json(j);
            r.by_path_[id.path] = std::move(id);
        }
    } catch (const json::exception&) {
        return std::nullopt;
    }
    return r;
}

json RunInputs::to_json() const {
    json list = json::array();
    for (const auto& [path, id] : by_path_) list.push_back(id.to_json());
    return list;
}

void RunInputs::add_missing(const std::vector<const Point*>& points) {
    for (const Point* p : points)
        for (const std::string& f : input_files(*p))
            if (!by_path_.count(f)) by_path_[f] = identify_input(f);
}

std::string RunInputs::point_problem(const Point& point) const {
    for (const std::string& f : input_files(point)) {
        const auto it = by_path_.find(f);
        if (it == by_path_.end()) continue;  // not recorded: nothing to compare with
        const std::string change = identity_change(it->second, identify_input(f, false));
        if (!change.empty())
            return fmt::format("input changed since the run started: {} ({})", f, change);
    }
    return "";
}

std::vector<InputChange> RunInputs::identify_again() const {
    std::vector<InputChange> out;
    for (const auto& [path, then] : by_path_) {
        InputIdentity now = identify_input(path, !then.hash.empty());
        std::string change = identity_change(then, now);
        out.push_back({then, std::move(now), std::move(change)});
    }
    return out;
}

std::string check_resumed_inputs(json& context, bool allow_changed) {
    const auto recorded = RunInputs::from_json(context.value("inputs", json()));
    if (!recorded) return "";  // a run of a parsweep that did not record its inputs
    std::string why;
    RunInputs now;
    json changed = json::array();
    for (const InputChange& c : recorded->identify_again()) {
        now.by_path_[c.now.path] = c.now;
        if (c.change.empty()) continue;
        why += fmt::format("{}input {} changed since the run started ({})", why.empty() ? "" : "; ",
                           c.before.path, c.change);
        changed.push_back(
            {{"path", c.before.path}, {"change", c.change}, {"before", c.before.to_json()}});
    }
    if (!why.empty() && !allow_changed)
        return why +
               "; restore it, start a new run, or go on with it as it is now with "
               "--allow-changed-inputs";
    // The points from here on are checked against the files as they are now.
    context["inputs"] = now.to_json();
    if (!changed.empty() && context.contains("resumed") && context["resumed"].is_array() &&
        !context["resumed"].empty())
        context["resumed"].back()["changed_inputs"] = changed;
    return "";
}

RunInputs record_run_inputs(json& context, const std::vector<const Point*>& points) {
    RunInputs inputs = RunInputs::from_json(context.value("inputs", json())).value_or(RunInputs());
    inputs.add_missing(points);
    if (!inputs.empty()) context["inputs"] = inputs.to_json();
    return inputs;
}

}  // namespace parsweep
