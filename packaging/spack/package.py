# Spack recipe for parsweep. Copy it into a repository of your own
# (spack repo create myrepo; mkdir myrepo/packages/parsweep; cp package.py there;
# spack repo add myrepo), put the release tarball (make dist) where `url` points or use
# `spack install parsweep@0.1.0 ^openblas` with a mirror, then:
#
#   spack install parsweep +mpi blas=openblas-openmp
#   spack load parsweep && parsweep run $(spack location -i parsweep)/share/parsweep/configs/smoke.json
#
# parsweep's CMake finds OpenBLAS and LAPACKE with pkg-config (openblas.pc, lapacke.pc) and
# loads them at run time (kernels/blas.cpp), so the blas and lapack providers must be OpenBLAS:
# its build includes LAPACKE. threads=openmp or threads=pthreads is the user's choice.
from spack.package import *


class Parsweep(CMakePackage):
    """OpenMP benchmarking and teaching suite: sweeps worker processes x OpenMP/BLAS threads
    over verified compute kernels and records where the time went."""

    homepage = "https://github.com/parsweep/parsweep"
    url = "https://github.com/parsweep/parsweep/releases/download/v0.1.0/parsweep-0.1.0.tar.gz"

    # sha256 of each release tarball (make dist; sha256sum dist/parsweep-<version>.tar.gz).
    version("0.1.0", sha256="0000000000000000000000000000000000000000000000000000000000000000")

    variant("mpi", default=False, description="Build parsweep-mpi-worker: the MPI launcher's ranks")
    variant("native", default=False, description="Optimise for the build machine's CPU")
    variant("tests", default=False, description="Build the GoogleTest suite")

    depends_on("cxx", type="build")
    depends_on("cmake@3.20:", type="build")
    depends_on("pkgconfig", type="build")

    # OpenMP comes with the compiler (GCC's libgomp, LLVM's libomp).
    conflicts("%apple-clang", msg="parsweep needs OpenMP, which apple-clang lacks")

    depends_on("blas")
    depends_on("lapack")
    requires("^openblas", msg="parsweep's CMake looks for openblas.pc and lapacke.pc")
    # The BLAS provider's threading: what a point with "blas": "default" runs. Other builds
    # and libraries are a sweep's `blas` axis, given by path (README "Config format", `blas`).
    variant("blas", default="openblas-pthreads",
            values=("openblas-pthreads", "openblas-openmp", "openblas-serial"), multi=False,
            description="The BLAS parsweep is built against, and its threading")
    depends_on("openblas threads=pthreads", when="blas=openblas-pthreads")
    depends_on("openblas threads=openmp", when="blas=openblas-openmp")
    depends_on("openblas threads=none", when="blas=openblas-serial")
    depends_on("nlohmann-json@3.10:")
    depends_on("cli11")
    depends_on("fmt")
    depends_on("hwloc")
    depends_on("xxhash")  # header only: the content hash of a run's input files
    depends_on("mpi", when="+mpi")

    # plots/: parsweep plot and parsweep compare.
    depends_on("python@3.8:", type="run")
    depends_on("py-matplotlib", type="run")

    depends_on("googletest", type=("build", "test"), when="+tests")
    depends_on("py-jsonschema", type="test", when="+tests")

    def cmake_args(self):
        return [
            self.define_from_variant("PARSWEEP_MPI", "mpi"),
            self.define_from_variant("PARSWEEP_NATIVE", "native"),
            self.define_from_variant("PARSWEEP_TESTS", "tests"),
            self.define("PARSWEEP_BENCH", False),
            self.define("PARSWEEP_EXERCISES", False),
        ]

    @run_after("install")
    @on_package_attributes(run_tests=True)
    def check_install(self):
        parsweep = Executable(self.prefix.bin.parsweep)
        parsweep("--version")
        parsweep("list")
