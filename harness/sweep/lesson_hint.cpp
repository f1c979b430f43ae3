#include "sweep/lesson_hint.hpp"

#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "kernel.hpp"
#include "util/json_input.hpp"

namespace parsweep {

namespace fs = std::filesystem;

std::optional<std::string> lesson_hint(const std::string& config, const std::string& executable) {
    json doc;
    try {
        doc = read_json_file(config, JsonKind::config);
    } catch (const std::exception&) {
        return std::nullopt;  // its syntax error is reported already
    }
    if (!doc.is_object() || !doc.contains("name") || !doc["name"].is_string()) return std::nullopt;
    static const std::regex lesson_name("lesson([0-9]{2})(-.*)?");
    std::smatch m;
    const std::string name = doc["name"].get<std::string>();
    if (!std::regex_match(name, m, lesson_name)) return std::nullopt;
    const std::string number = m[1];
    std::string missing;
    if (doc.contains("runs") && doc["runs"].is_array())
        for (const auto& run : doc["runs"])
            if (run.is_object() && run.contains("kernel") && run["kernel"].is_string() &&
                !find_kernel(run["kernel"].get<std::string>())) {
                missing = run["kernel"].get<std::string>();
                break;
            }
    if (missing.empty()) return std::nullopt;
    // The lesson's binary beside this one, as the user can type it from here.
    // (A lesson's binary is in exercises/ already: another lesson's config given to it.)
    fs::path exercises = fs::path(executable).parent_path();
    if (exercises.filename() != "exercises") exercises /= "exercises";
    fs::path binary = exercises / ("parsweep-lesson" + number + "-starter");
    const fs::path relative = binary.lexically_relative(fs::current_path());
    if (!relative.empty() && *relative.begin() != "..") binary = relative;
    return fmt::format(
        "{} is lesson {}'s config: its kernel \"{}\" is built with the lesson; run make exercise "
        "N={} (or {} run {})",
        config, number, missing, number, binary.string(), config);
}

}  // namespace parsweep
