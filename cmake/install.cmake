# cmake --install BUILD --prefix P (make install PREFIX=P):
#
#   P/bin/parsweep
#   P/libexec/parsweep/parsweep-worker, parsweep-mpi-worker (when built)
#   P/share/parsweep/plots       plot_run.py, compare_runs.py, parsweep_plots/ (parsweep plot)
#   P/share/parsweep/configs     the sweeps, lessons/ and schema.json
#   P/share/parsweep/exercises   the workshop lessons: READMEs, checks, starter and solution code
#   P/share/parsweep/examples    the workshop's Python programs and their command-kernel configs
#   P/share/bash-completion/completions/parsweep, P/share/zsh/site-functions/_parsweep
#
# parsweep finds the others relative to its own real path (harness/util/install_paths.hpp), so the
# prefix can be moved; from a build tree it uses the workers beside it and the source tree.
include(GNUInstallDirs)

# The installed layout as paths relative to the bin directory, compiled into install_paths.cpp,
# with the source tree as the build tree's fallback.
file(RELATIVE_PATH PARSWEEP_BIN_TO_LIBEXEC ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_FULL_LIBEXECDIR}/parsweep)
file(RELATIVE_PATH PARSWEEP_BIN_TO_DATA ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_FULL_DATADIR}/parsweep)
set_source_files_properties(harness/util/install_paths.cpp PROPERTIES COMPILE_DEFINITIONS
  "PARSWEEP_BIN_TO_LIBEXEC=\"${PARSWEEP_BIN_TO_LIBEXEC}\";PARSWEEP_BIN_TO_DATA=\"${PARSWEEP_BIN_TO_DATA}\";PARSWEEP_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")

install(TARGETS parsweep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS parsweep-worker RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/parsweep)
if(TARGET parsweep-mpi-worker)
  install(TARGETS parsweep-mpi-worker RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/parsweep)
endif()

set(_share ${CMAKE_INSTALL_DATADIR}/parsweep)
install(PROGRAMS plots/plot_run.py plots/compare_runs.py DESTINATION ${_share}/plots)
install(DIRECTORY plots/parsweep_plots DESTINATION ${_share}/plots
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(DIRECTORY configs/ DESTINATION ${_share}/configs FILES_MATCHING PATTERN "*.json")
# What a learner reads, edits and checks; the CMake files that build the lesson binaries stay
# in the source tree (the lessons are built there: make exercise N=02).
install(DIRECTORY exercises/ DESTINATION ${_share}/exercises USE_SOURCE_PERMISSIONS
        FILES_MATCHING PATTERN "*.md" PATTERN "*.py" PATTERN "*.cpp" PATTERN "*.hpp"
                       PATTERN "*.sh" PATTERN "*.sbatch" PATTERN "*.json"
                       PATTERN "__pycache__" EXCLUDE)
install(DIRECTORY examples/ DESTINATION ${_share}/examples USE_SOURCE_PERMISSIONS
        FILES_MATCHING PATTERN "*.md" PATTERN "*.py" PATTERN "*.json"
                       PATTERN "__pycache__" EXCLUDE)

install(FILES packaging/completions/parsweep.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME parsweep)
install(FILES packaging/completions/_parsweep DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
