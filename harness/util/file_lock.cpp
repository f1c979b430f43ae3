#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "util/files.hpp"

namespace parsweep {

namespace {

// The pid of the process holding a flock on the file open as `fd`: the kernel's word for it
// (/proc/locks), else what the holder wrote into the file, else 0.
pid_t holder_pid(int fd) {
    struct stat st {};
    if (fstat(fd, &st) == 0) {
        std::ifstream locks("/proc/locks");
        std::string line;
        // "1: FLOCK  ADVISORY  WRITE 4711 08:01:1234 0 EOF": pid, then major:minor:inode.
        while (std::getline(locks, line)) {
            std::istringstream in(line);
            std::string ordinal, kind, mode, access, id;
            long pid = 0;
            if (!(in >> ordinal >> kind >> mode >> access >> pid >> id) || kind != "FLOCK")
                continue;
            unsigned maj = 0, min = 0;
            unsigned long ino = 0;
            if (std::sscanf(id.c_str(), "%x:%x:%lu", &maj, &min, &ino) == 3 && ino == st.st_ino &&
                maj == major(st.st_dev) && min == minor(st.st_dev))
                return static_cast<pid_t>(pid);
        }
    }
    char buf[32] = {};
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    return static_cast<pid_t>(std::strtol(buf, nullptr, 10));
}

}  // namespace

std::optional<FileLock> FileLock::try_lock(const std::filesystem::path& path, pid_t* holder) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) throw_file_error("cannot lock", path, errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err == EWOULDBLOCK) {
            if (holder) *holder = holder_pid(fd);
            close(fd);
            return std::nullopt;
        }
        if (err == ENOLCK || err == EOPNOTSUPP || err == EINVAL) return FileLock(fd, false);
        close(fd);
        throw_file_error("cannot lock", path, err);
    }
    // Who holds it, for the message another process gives when it finds it taken.
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // A pid that cannot be written (full disk) only makes the other's message vaguer.
    }
    return FileLock(fd, true);
}

FileLock::~FileLock() {
    if (fd_ >= 0) close(fd_);
}

}  // namespace parsweep
