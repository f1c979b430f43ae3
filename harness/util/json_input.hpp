// JSON that a user or a run directory hands parsweep (configs, sweep.json, the calibration
// cache), read strictly and within bounds, so that a hostile or broken file gets an answer
// naming it rather than a hang, a crash or gigabytes of memory:
//
// - only a regular file is opened: a FIFO, device, socket or directory is refused by its
//   type before anything is read (a FIFO named sweep.json would block a reader for ever);
// - a file larger than the limit of its kind is refused before it is read (json_limits);
// - objects and lists nest at most kMaxJsonDepth deep (deeper ones crash recursive code);
// - a key given twice in one object is an error naming the key and its JSON path (nlohmann
//   would keep the last silently: a second "runs" dropped the first list);
// - a NUL character (\u0000) in a key or string is an error naming its path (a path or an
//   environment value would be cut short at it).
//
// The JSON that the harness and its workers exchange (launch/protocol) is not read here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace parsweep {

// How deep objects and lists may nest. parsweep's own files nest about 8 deep.
inline constexpr int kMaxJsonDepth = 64;

// What a file is, for its size limit.
enum class JsonKind {
    config,      // a sweep config: 16 MiB (the largest shipped one is a few KiB)
    run_record,  // a run's sweep.json: 256 MiB (json_input.cpp says why)
};

// The environment variable that sets every kind's size limit, in bytes ("64M", "1G" too).
inline constexpr const char* kMaxJsonBytesVar = "PARSWEEP_MAX_JSON_BYTES";

// The line a command's --help footer gives the variable (after "Environment:").
inline constexpr const char* kMaxJsonBytesHelp =
    "  PARSWEEP_MAX_JSON_BYTES=N the largest config or sweep.json read, in bytes (or 64M, 1G); "
    "default 16M for a config, 256M for a sweep.json";

// The size limit of `kind`: PARSWEEP_MAX_JSON_BYTES when set, else the kind's default.
// Throws std::invalid_argument naming the variable when its value is not a size.
std::uint64_t max_json_bytes(JsonKind kind);

// One step of a JSON path: an object's key or a list's index.
using JsonPathStep = std::variant<std::string, std::size_t>;

// Why a JSON file was refused. what() names the file and then the place: "FILE:LINE:COL:
// invalid JSON: …" for a syntax error, "FILE: /runs/0/params: duplicate key "n"" for a strict
// rule, "FILE: is a FIFO, not a regular file" for the file itself.
class JsonInputError : public std::runtime_error {
  public:
    enum class Kind { file, syntax, structure };
    JsonInputError(Kind kind, std::string file, std::string problem, std::size_t line = 0,
                   std::size_t column = 0, std::vector<JsonPathStep> path = {});

    Kind kind() const { return kind_; }
    const std::string& file() const { return file_; }
    const std::string& problem() const { return problem_; }  // without file and place
    std::size_t line() const { return line_; }               // syntax errors: 1-based
    std::size_t column() const { return column_; }
    const std::vector<JsonPathStep>& path() const { return path_; }  // structure errors
    std::string pointer() const;  // path() as a JSON pointer: "/runs/0/params"

  private:
    Kind kind_;
    std::string file_, problem_;
    std::size_t line_, column_;
    std::vector<JsonPathStep> path_;
};

// The whole of `file`, refused (JsonInputError, Kind::file) when it is not a regular file,
// cannot be read, or is larger than `max_bytes`.
std::string read_json_text(const std::filesystem::path& file, std::uint64_t max_bytes);

// `text` parsed by the rules above; `origin` names it in errors (a file name).
nlohmann::json parse_json_strict(std::string_view text, const std::string& origin);

// read_json_text with the limit of `kind`, then parse_json_strict.
nlohmann::json read_json_file(const std::filesystem::path& file, JsonKind kind);

}  // namespace parsweep
