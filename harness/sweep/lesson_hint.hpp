// A workshop lesson's config given to a parsweep that lacks the lesson's kernel: lesson
// kernels (sum_cubes, chunk_count, …) are built only into the lesson's own binaries
// (exercises/CMakeLists.txt: build/exercises/parsweep-lessonNN-{starter,solution}), so the
// main binary reports them as unknown. This says which lesson it is and how to run it.
#pragma once

#include <optional>
#include <string>

namespace parsweep {

// When the config at `config` is lesson NN's — its "name" is "lessonNN-…", as every
// configs/lessons/NN-*.json's is — and one of its runs names a kernel this binary does not
// have: "CONFIG is lesson NN's config: its kernel "k" is built with the lesson; run make
// exercise N=NN (or DIR/exercises/parsweep-lessonNN-starter run CONFIG)", with DIR the
// directory of `executable` (this parsweep). nullopt otherwise, or when it cannot be read.
std::optional<std::string> lesson_hint(const std::string& config, const std::string& executable);

}  // namespace parsweep
