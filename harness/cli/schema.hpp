// `parsweep schema`: the JSON Schema of a sweep config, for editors. The harness's own keys are
// a fixed template (schema_template.json: edit it when the harness's own config keys change,
// then regenerate the file with `parsweep schema > configs/schema.json`; unit_schema_test
// compares); each kernel's params and grid come from its
// parameter declarations (Kernel::params()), so configs/schema.json, which is this output,
// describes exactly the kernels the binary has. Kernels for testing parsweep itself (hidden)
// are left out, as `parsweep list` leaves them out.
#pragma once

#include <nlohmann/json.hpp>

namespace parsweep {

// The template: the whole schema with an empty kernel enum ($defs.run.properties.kernel.enum)
// and no per-kernel rules ($defs.run.allOf), which config_schema() adds.
const char* schema_template();

// The schema, in the key order of the template (ordered_json).
nlohmann::ordered_json config_schema();

// Prints config_schema() indented by 2 with a final newline; returns the exit status 0.
int cmd_schema();

}  // namespace parsweep
