#!/usr/bin/env python3
"""What parsweep ships beside the binary: the shell completions, the Spack recipe, the
Apptainer definition and the release tarball, checked against the sources they describe.

- The completions offer every subcommand and option `parsweep --help` lists (bash: by running
  the completion function; zsh: its syntax, with zsh -n), and *.json files for configs.
- packaging/spack/package.py compiles, and every CMake option it sets exists in CMakeLists.txt.
- The release tarball (scripts/make-release.sh) records its commit, and its tree configures
  without .git, GoogleTest or Google Benchmark, naming that commit.

Environment: PARSWEEP_SOURCE_DIR, PARSWEEP_BINARY.
"""
import os
import py_compile
import re
import shutil
import subprocess
import tarfile
import tempfile
import unittest

SOURCE = os.environ["PARSWEEP_SOURCE_DIR"]
BINARY = os.environ["PARSWEEP_BINARY"]
BASH_COMPLETION = os.path.join(SOURCE, "packaging", "completions", "parsweep.bash")
ZSH_COMPLETION = os.path.join(SOURCE, "packaging", "completions", "_parsweep")


def parsweep_help(*args):
    return subprocess.run([BINARY, *args, "--help"], capture_output=True, text=True,
                          check=True).stdout


def subcommands():
    """The subcommands in `parsweep --help` (CLI11: an indented name, then its description)."""
    text = re.split(r"(?i)^subcommands:$", parsweep_help(), flags=re.M)[1]
    return re.findall(r"^  (\w+)\s", text, re.M)


def options(sub):
    """The long and short options `parsweep SUB --help` lists."""
    text = re.split(r"(?i)^options:$", parsweep_help(sub), flags=re.M)[1]
    names = set()
    for first_column in re.findall(r"^\s+(-\S+)", text, re.M):  # "-q,--quiet", "--out"
        names.update(first_column.split(","))
    return names - {"-h"}


def complete(words, cwd):
    """What the bash completion offers for the command line `words` (the last is the word
    under the cursor)."""
    script = (f'source "{BASH_COMPLETION}"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_parsweep; printf "%s\\n" "${COMPREPLY[@]}"')
    out = subprocess.run(["bash", "-c", script, "bash", *words], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


class Completions(unittest.TestCase):
    def test_bash_offers_every_subcommand(self):
        subs = subcommands()
        self.assertIn("run", subs)
        self.assertIn("plot", subs)
        self.assertTrue(set(subs) <= complete(["parsweep", ""], SOURCE), subs)
        self.assertEqual(complete(["parsweep", "pl"], SOURCE), {"plot"})

    def test_bash_offers_every_option(self):
        for sub in subcommands():
            with self.subTest(sub=sub):
                offered = complete(["parsweep", sub, "-"], SOURCE)
                self.assertTrue(options(sub) <= offered, (sub, options(sub) - offered))

    def test_bash_configs_are_json_files(self):
        with tempfile.TemporaryDirectory() as d:
            for f in ("a.json", "b.txt"):
                open(os.path.join(d, f), "w").close()
            os.mkdir(os.path.join(d, "sub"))
            self.assertEqual(complete(["parsweep", "run", ""], d), {"a.json", "sub"})
            self.assertEqual(complete(["parsweep", "run", "--out", ""], d), {"sub"})

    def test_zsh_names_everything_and_parses(self):
        with open(ZSH_COMPLETION, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith("#compdef parsweep"))
        for sub in subcommands():
            self.assertIn(f"'{sub}:", text)
            for opt in options(sub):
                self.assertIn(opt, text, (sub, opt))
        zsh = shutil.which("zsh")
        self.assertIsNotNone(zsh, "no zsh: run scripts/install-deps.sh (zsh)")
        subprocess.run([zsh, "-n", ZSH_COMPLETION], check=True)


class SpackRecipe(unittest.TestCase):
    def test_compiles_and_sets_only_real_options(self):
        recipe = os.path.join(SOURCE, "packaging", "spack", "package.py")
        with tempfile.TemporaryDirectory() as d:
            py_compile.compile(recipe, cfile=os.path.join(d, "package.pyc"), doraise=True)
        with open(recipe, encoding="utf-8") as f:
            text = f.read()
        body = text.split("def cmake_args")[1]
        names = re.findall(r'define(?:_from_variant)?\(\s*"(\w+)"', body)
        self.assertTrue({"PARSWEEP_MPI", "PARSWEEP_TESTS", "PARSWEEP_BENCH",
                         "PARSWEEP_EXERCISES"} <= set(names), names)
        with open(os.path.join(SOURCE, "CMakeLists.txt"), encoding="utf-8") as f:
            cmake = f.read()
        for name in names:
            self.assertRegex(cmake, rf"option\({name}\s", name)
        for variant in re.findall(r'define_from_variant\(\s*"\w+",\s*"(\w+)"', body):
            self.assertIn(f'variant("{variant}"', text)

    def test_apptainer_definition(self):
        with open(os.path.join(SOURCE, "packaging", "apptainer.def"), encoding="utf-8") as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^Bootstrap: docker$")
        self.assertRegex(text, r"(?m)^From: debian:12$")
        for section in ("%files", "%post", "%runscript", "%test"):
            self.assertRegex(text, rf"(?m)^{section}$")
        self.assertIn("cmake --install", text)
        self.assertIn('parsweep "$@"', text)
        self.assertIn("parsweep --version && parsweep list", text)


class ReleaseTarball(unittest.TestCase):
    def test_tarball_names_its_commit_without_git(self):
        if not os.path.exists(os.path.join(SOURCE, ".git")):
            # This tree is itself a release tarball: the binary names the recorded commit.
            with open(os.path.join(SOURCE, "cmake", "git-commit.txt"), encoding="utf-8") as f:
                commit = f.read().strip()
            self.assertRegex(commit, r"^[0-9a-f]{40}$")
            version = subprocess.run([BINARY, "--version"], capture_output=True, text=True,
                                     check=True).stdout
            self.assertIn(f"({commit[:12]})", version)
            return
        head = subprocess.run(["git", "-C", SOURCE, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([os.path.join(SOURCE, "scripts", "make-release.sh"), "--out", d],
                                 capture_output=True, text=True, check=True).stdout
            tarballs = [f for f in os.listdir(d) if re.fullmatch(r"parsweep-\d+\.\d+\.\d+\.tar\.gz", f)]
            self.assertEqual(len(tarballs), 1, out)
            with tarfile.open(os.path.join(d, tarballs[0])) as t:
                t.extractall(d)
            tree = os.path.join(d, tarballs[0][: -len(".tar.gz")])
            self.assertFalse(os.path.exists(os.path.join(tree, ".git")))
            with open(os.path.join(tree, "cmake", "git-commit.txt"), encoding="utf-8") as f:
                self.assertEqual(f.read().strip(), head)
            # Configures with the tests and benchmarks off, and without their packages.
            build = os.path.join(d, "build")
            p = subprocess.run(["cmake", "-S", tree, "-B", build, "-DPARSWEEP_TESTS=OFF",
                                "-DPARSWEEP_BENCH=OFF", "-DPARSWEEP_EXERCISES=OFF",
                                "-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON",
                                "-DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON"],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(os.path.join(build, "generated", "build_info.hpp"), encoding="utf-8") as f:
                self.assertIn(f'#define PARSWEEP_GIT_COMMIT "{head[:12]}"', f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
