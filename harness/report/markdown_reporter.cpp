// --export-markdown FILE: the summary table (summary_table.hpp) as a Markdown table, for a
// README, an issue or a report. Written atomically at the end of the run (an interrupted run
// too, with the points it finished).
#include <fmt/format.h>

#include "report/reporter.hpp"
#include "report/summary_table.hpp"
#include "util/files.hpp"

namespace parsweep {

namespace {

// A cell's text inside a Markdown table: a '|' would end the cell, a newline the row.
std::string markdown_cell(std::string text) {
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
    }
    return out;
}

class MarkdownReporter : public Reporter {
  public:
    explicit MarkdownReporter(std::filesystem::path file) : file_(std::move(file)) {}

    void run_finished(const RunInfo&, const std::vector<PointResult>& done) override {
        write_atomic(file_, markdown_table(done));
    }

  private:
    std::filesystem::path file_;
};

}  // namespace

std::string markdown_table(const std::vector<PointResult>& points) {
    const auto cols = summary_columns(points);
    std::string head = "|", rule = "|";
    for (const auto& c : cols) {
        head += " " + markdown_cell(c.header) + " |";
        rule += c.right ? " ---: |" : " :--- |";
    }
    std::string out = head + "\n" + rule + "\n";
    for (const auto& p : points) {
        out += "|";
        for (const auto& c : cols) out += " " + markdown_cell(c.cell(p)) + " |";
        out += "\n";
    }
    // A '*' in a Markdown cell is plain text, but a line starting with one is a list item.
    if (const std::string note = summary_note(points); !note.empty()) out += "\n\\" + note + "\n";
    return out;
}

std::unique_ptr<Reporter> make_markdown_reporter(const std::filesystem::path& file) {
    return std::make_unique<MarkdownReporter>(file);
}

}  // namespace parsweep
