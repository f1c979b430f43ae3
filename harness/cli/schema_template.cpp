// The fixed part of configs/schema.json: everything but the kernels, which schema.cpp adds
// from their parameter declarations ($defs.run.properties.kernel.enum and $defs.run.allOf,
// empty here). Edit it here when the harness's own config keys change, then regenerate the
// file with `parsweep schema > configs/schema.json` (tests/unit_schema_test.py compares).
#include "cli/schema.hpp"

namespace parsweep {

const char* schema_template() {
    return R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://parsweep.invalid/configs/schema.json",
  "title": "parsweep sweep config",
  "description": "A grid of (worker processes × threads × kernel parameters) over verified kernels. See README.md, 'Config format'. parsweep validate CONFIG checks everything this schema checks, and more (files, memory).",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "runs"
  ],
  "properties": {
    "$schema": {
      "type": "string"
    },
    "name": {
      "type": "string",
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
      "description": "names the results directory"
    },
    "description": {
      "type": "string"
    },
    "repetitions": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100000,
      "description": "recorded repetitions per point"
    },
    "warmup": {
      "type": "integer",
      "minimum": 0,
      "maximum": 1000,
      "description": "unrecorded repetitions before them"
    },
    "timeout_s": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 604800,
      "description": "a repetition taking longer fails"
    },
    "oversubscribe": {
      "type": "number",
      "minimum": 1,
      "maximum": 64,
      "description": "\"auto\" counts go up to this × the usable cores"
    },
    "baseline": {
      "type": "object",
      "additionalProperties": false,
      "description": "the point speedups are measured against",
      "properties": {
        "processes": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1024
        },
        "threads": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1024
        },
        "nodes": {
          "description": "launcher mpi under Slurm: the nodes the ranks spread over (points with more nodes than processes are left out; the baseline runs on 1 node); default: every node of the allocation, at most one per rank",
          "oneOf": [
            {
              "const": "auto",
              "description": "1, 2, 4, … up to the allocation's nodes"
            },
            {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "integer",
                "minimum": 1,
                "maximum": 4096
              }
            }
          ]
        }
      }
    },
    "env": {
      "type": "object",
      "description": "extra environment of the worker processes (OMP_PROC_BIND, OMP_WAIT_POLICY, …); thread counts come from the threads axis",
      "propertyNames": {
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "not": {
          "enum": [
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "BLIS_NUM_THREADS",
            "GOTO_NUM_THREADS"
          ]
        }
      },
      "additionalProperties": {
        "type": [
          "string",
          "number",
          "boolean"
        ]
      }
    },
    "grid": {
      "type": "object",
      "description": "axes for every run: processes, threads, pinning (bind, places, cpu_set), blas and kernel parameters (applied to the runs whose kernel has them)",
      "properties": {
        "processes": {
          "description": "worker processes",
          "oneOf": [
            {
              "const": "auto",
              "description": "1, 2, 4, … up to the usable cores (× oversubscribe)"
            },
            {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "integer",
                "minimum": 1,
                "maximum": 1024
              }
            }
          ]
        },
        "threads": {
          "description": "OpenMP/BLAS threads per process",
          "oneOf": [
            {
              "const": "auto",
              "description": "1, 2, 4, … up to the usable cores (× oversubscribe)"
            },
            {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "integer",
                "minimum": 1,
                "maximum": 1024
              }
            }
          ]
        },
        "nodes": {
          "description": "launcher mpi under Slurm: the nodes the ranks spread over (points with more nodes than processes are left out; the baseline runs on 1 node); default: every node of the allocation, at most one per rank",
          "oneOf": [
            {
              "const": "auto",
              "description": "1, 2, 4, … up to the allocation's nodes"
            },
            {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "integer",
                "minimum": 1,
                "maximum": 4096
              }
            }
          ]
        },
        "bind": {
          "type": "array",
          "minItems": 1,
          "items": {
            "$ref": "#/$defs/pinning/bind"
          }
        },
        "places": {
          "type": "array",
          "minItems": 1,
          "items": {
            "$ref": "#/$defs/pinning/places"
          }
        },
        "cpu_set": {
          "type": "array",
          "minItems": 1,
          "items": {
            "$ref": "#/$defs/pinning/cpu_set"
          }
        },
        "blas": {
          "type": "array",
          "minItems": 1,
          "items": {
            "$ref": "#/$defs/blas"
          }
        }
      },
      "additionalProperties": {
        "type": "array",
        "minItems": 1
      }
    },
    "params": {
      "type": "object",
      "description": "fixed kernel parameters for every run whose kernel has them"
    },
    "runs": {
      "type": "array",
      "minItems": 1,
      "items": {
        "$ref": "#/$defs/run"
      }
    },
    "time_metric": {
      "enum": [
        "wall_s",
        "compute_s"
      ],
      "description": "the time speedup and efficiency compare: wall_s (the whole parallel operation) or compute_s (the kernel alone)"
    },
    "launcher": {
      "enum": [
        "spawn",
        "mpi"
      ],
      "description": "how the processes start: spawn (fresh processes on this node, the default) or mpi (MPI ranks through mpirun, or srun inside a Slurm allocation; needs a build with Open MPI)"
    },
    "mpi_plugin": {
      "type": "string",
      "pattern": "^[A-Za-z0-9_]{1,32}$",
      "description": "launcher mpi under Slurm: srun's MPI plugin (--mpi=…), one of `srun --mpi=list`; default: SLURM_MPI_TYPE, else the cluster's MpiDefault unless none, else pmix, else pmi2"
    },
    "scaling": {
      "enum": [
        "strong",
        "weak"
      ],
      "description": "how the work grows with P·T: strong (the default: the same work at every P·T; speedup = baseline time ÷ time) or weak (the kernel's work-size parameter — square n, pi samples, invert count — is the work per worker and is multiplied by P·T; speedup is the scaled speedup (P·T ÷ baseline P·T) × baseline time ÷ time)"
    }
  },
  "$defs": {
    "run": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "kernel"
      ],
      "properties": {
        "kernel": {
          "enum": []
        },
        "description": {
          "$ref": "#/properties/description"
        },
        "params": {
          "type": "object"
        },
        "grid": {
          "type": "object"
        },
        "repetitions": {
          "$ref": "#/properties/repetitions"
        },
        "warmup": {
          "$ref": "#/properties/warmup"
        },
        "timeout_s": {
          "$ref": "#/properties/timeout_s"
        },
        "baseline": {
          "$ref": "#/properties/baseline"
        },
        "env": {
          "$ref": "#/properties/env"
        },
        "time_metric": {
          "$ref": "#/properties/time_metric"
        },
        "launcher": {
          "$ref": "#/properties/launcher"
        },
        "mpi_plugin": {
          "$ref": "#/properties/mpi_plugin"
        },
        "scaling": {
          "$ref": "#/properties/scaling"
        }
      },
      "allOf": []
    },
    "pinning": {
      "bind": {
        "enum": [
          "false",
          "true",
          "close",
          "spread",
          "primary"
        ],
        "description": "OMP_PROC_BIND of the workers' threads (pinning)"
      },
      "places": {
        "enum": [
          "threads",
          "cores",
          "sockets",
          "ll_caches",
          "numa_domains"
        ],
        "description": "OMP_PLACES of the workers' threads (pinning)"
      },
      "cpu_set": {
        "enum": [
          "none",
          "compact",
          "scatter"
        ],
        "description": "CPUs each worker process may use: none, compact (consecutive), scatter (spread out)"
      }
    },
    "blas": {
      "description": "the BLAS the workers load (kernels that use the BLAS: invert, dgemm): a name, or a library file (a path with '/')",
      "anyOf": [
        {
          "enum": [
            "default",
            "openblas-pthread",
            "openblas-openmp",
            "openblas-serial",
            "blis",
            "blis-openmp",
            "blis-pthread"
          ]
        },
        {
          "type": "string",
          "pattern": "/"
        }
      ]
    }
  }
})json";
}

}  // namespace parsweep
