// The pieces of the invert kernel that tests and other code use on their own: the seeded
// matrix generator, the in-place LAPACK inversion, and the residual test that judges it.
//
// Storage is column-major throughout (element (i, j) of an n×n matrix at a[i + j·n]), the
// native layout of LAPACK: LAPACKE's row-major entry points would transpose into a
// temporary copy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel.hpp"

namespace parsweep::invert {

// LAPACK's test-ratio threshold (THRESH = 30 in LAPACK's dtest.in): a normwise residual
// ratio below it means the inverse is as accurate as backward-stable inversion promises.
inline constexpr double kResidualThreshold = 30.0;

// Fills a (n×n, column-major) with matrix k of a sweep seeded `seed`: entries uniform in
// [-1, 1), drawn in storage order from xoshiro256** seeded (through splitmix64) from
// (seed, k) only — never from which process or thread generates it.
void generate_matrix(double* a, std::size_t n, std::uint64_t seed, std::uint64_t k);
// Fills x (n entries) with the check vector of matrix k: uniform in [-1, 1), from a stream
// distinct from the matrix's.
void generate_vector(double* x, std::size_t n, std::uint64_t seed, std::uint64_t k);

// LAPACK info codes of one inversion: 0 = success; i > 0 = U(i,i) is exactly zero (the
// matrix is singular); i < 0 = argument −i was illegal.
struct LuInfo {
    int getrf = 0;
    int getri = 0;  // the inversion step: dgetri, or dtrtri for method trtri; 0 when not run
};

// invert_in_place_gje's widths. Pivot columns are eliminated kGjeBase at a time by dgetrf (a
// sixth of the DGEMM rate on a tall narrow column, so kept narrow; 32 and 64 measured alike at
// n = 3000). The matrix is cut into blocks of kGjeBlock columns whose updates are the GEMMs
// (inner dimension kGjeBlock): 256, 384 and 512 measured within 3% of each other at n = 3000
// and 5000 on 1 and 2 threads, 384 never more than 1% behind the best.
inline constexpr int kGjeBase = 64;
inline constexpr int kGjeBlock = 384;

// Optimal dgetri workspace for order n, in doubles (LAPACK's workspace query; n·64 with the
// reference block size).
std::size_t getri_workspace(int n);

// Inverts a (n×n, column-major) in place: dgetrf (LU with partial pivoting) then dgetri.
// ipiv has n entries, work has lwork >= getri_workspace(n) doubles.
LuInfo invert_in_place(double* a, int n, int* ipiv, double* work, std::size_t lwork);

// The same inverse by dgetrf, dtrtri on U, one dtrsm against L and the column interchanges
// (whole-matrix BLAS-3 calls). `l` is n×n scratch (receives L).
LuInfo invert_in_place_trtri(double* a, int n, int* ipiv, double* l);

// The same inverse by Gauss-Jordan elimination with partial pivoting, by blocks of kGjeBlock
// columns with a lookahead: the 2n³ flops almost all in GEMMs of inner dimension kGjeBlock,
// run by an OpenMP team of `threads` threads that each call the BLAS single-threaded (the
// BLAS's own thread count is set to 1 for the call and restored after it). Orders up to
// kGjeBlock are one block, eliminated by one thread. ipiv has n entries (the row
// interchanges, 1-based), work has gje_workspace(n, threads) doubles.
std::size_t gje_workspace(int n, int threads);
LuInfo invert_in_place_gje(double* a, int n, int* ipiv, double* work, int threads);

// The normwise residual ratio of a computed inverse, for a vector x:
//   ‖A·(A⁻¹x) − x‖∞ / (‖A‖∞ · ‖A⁻¹‖∞ · ‖x‖∞ · n · ε)
// computed with two dgemv (O(n²)). y, r and row_sums are n-entry scratch vectors. Returns
// +inf when the denominator is zero or not finite, NaN when the inverse holds NaNs.
double residual_ratio(const double* a, const double* a_inv, const double* x, int n, double* y,
                      double* r, double* row_sums);

// The verdict on matrix k: info codes must be 0 and the ratio finite and below
// kResidualThreshold. Messages name the matrix ("matrix 3 is singular at U(5,5)").
Verdict judge_inverse(std::uint64_t k, const LuInfo& info, double ratio);

}  // namespace parsweep::invert
