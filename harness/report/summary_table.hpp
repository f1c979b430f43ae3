// The summary table of a run's points — one field list, rendered by the console reporter
// (aligned text, verdicts coloured on a terminal) and the Markdown reporter (--export-markdown).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "measure/results.hpp"

namespace parsweep {

struct SummaryColumn {
    std::string header;
    bool right = true;          // numbers are aligned right, text left
    std::size_t min_width = 0;  // the console's narrowest width for it
    const char* gap = " ";      // the console's space before it (two between groups)
    bool verdict = false;       // the verified column: coloured by the point's verdict
    std::function<std::string(const PointResult&)> cell;
};

// point, P, T, median, ±95%, speedup, effic., roof (only when some point has a roofline
// fraction, i.e. the run recorded a calibration), verified ("yes", or "NO: " and the start of
// the error). A failed point has "-" for its times. The times are of each point's time
// metric, the one its speedup compares (PointResult::timed()), and the median's header says which:
// "median wall", "median compute", or "median time" when the points differ, the compute
// times then marked '*' and explained by summary_note().
std::vector<SummaryColumn> summary_columns(const std::vector<PointResult>& points);

// The line under the table that explains its '*' marks; "" when there are none.
std::string summary_note(const std::vector<PointResult>& points);

// The width of `text` on a terminal: its UTF-8 code points ("±95%" and "µs" are 4 and 2).
std::size_t display_width(const std::string& text);

// A speedup or efficiency with two decimals, "-" when there is none.
std::string ratio_text(const std::optional<double>& v);

// "84% triad" / "0.4% dgemm": the point's rate as a share of the machine's limit; "" without.
std::string roof_text(const Derived& d);

}  // namespace parsweep
