# PARSWEEP_GIT_COMMIT: the commit parsweep is built from, for `parsweep --version` and the
# context of every run (sweep.json). From git in a checkout; in a release tarball (git
# archive, scripts/make-release.sh), from cmake/git-commit.txt, which git archive fills in
# (export-subst in .gitattributes); "unknown" otherwise. A tarball unpacked inside some other
# git repository must not take that repository's commit, hence the .git test.
set(PARSWEEP_GIT_COMMIT "")
if(EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE PARSWEEP_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
elseif(EXISTS ${CMAKE_SOURCE_DIR}/cmake/git-commit.txt)
  file(STRINGS ${CMAKE_SOURCE_DIR}/cmake/git-commit.txt _commit LIMIT_COUNT 1)
  if(_commit MATCHES "^[0-9a-f]+$")  # not the unfilled $Format:…$ of a checkout's copy
    string(SUBSTRING "${_commit}" 0 12 PARSWEEP_GIT_COMMIT)
  endif()
endif()
if(NOT PARSWEEP_GIT_COMMIT)
  set(PARSWEEP_GIT_COMMIT "unknown")
endif()
