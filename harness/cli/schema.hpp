// `parsweep schema`: the JSON Schema of a sweep config, for editors. The harness's own keys are
// a fixed template (schema_template.cpp); each kernel's params and grid come from its
// parameter declarations (Kernel::params()), so configs/schema.json, which is this output,
// describes exactly the kernels the binary has. Kernels for testing parsweep itself (hidden)
// are left out, as `parsweep list` leaves them out.
#pragma once

#include <nlohmann/json.hpp>

namespace parsweep {

// The template: the whole schema with an empty kernel enum and no per-kernel rules.
const char* schema_template();

// The schema, in the key order of the template (ordered_json).
nlohmann::ordered_json config_schema();

// Prints config_schema() indented by 2 with a final newline; returns the exit status 0.
int cmd_schema();

}  // namespace parsweep
