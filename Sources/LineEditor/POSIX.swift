#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small wrappers over the system calls the line editor uses, retrying on EINTR.
enum POSIX {
    /// Writes all of `bytes`, retrying after EINTR and short writes. Returns `errno` on failure, else 0.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return 0
        }
    }

    @discardableResult
    static func writeAll(_ fd: Int32, _ text: String) -> Int32 {
        writeAll(fd, Array(text.utf8))
    }

    /// A pipe whose ends are close-on-exec and non-blocking.
    static func makePipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return (fds[0], fds[1])
    }

    /// Reads and discards whatever a non-blocking pipe holds.
    static func drain(_ fd: Int32) {
        var scratch = [UInt8](repeating: 0, count: 64)
        while true {
            let count = scratch.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            return
        }
    }

    /// Which of the watched descriptors became ready.
    struct Readiness {
        var input = false
        var wakes: [Bool] = []
    }

    /// Blocks until `input` or one of `wakes` is readable (or hung up).
    ///
    /// Returns nil when a signal interrupted the wait; negative wake descriptors are ignored.
    static func waitReadable(_ input: Int32, wakes: [Int32]) -> Readiness? {
        var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0)]
        for wake in wakes {
            fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
        }
        let result = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), -1) }
        if result < 0 {
            return errno == EINTR ? nil : Readiness(input: true, wakes: Array(repeating: false, count: wakes.count))
        }
        let ready = Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL)
        return Readiness(
            input: fds[0].revents & ready != 0,
            wakes: fds.dropFirst().map { $0.revents & ready != 0 }
        )
    }

    /// Whether `fd` has input ready right now (without waiting).
    static func hasPendingInput(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLIN) != 0
    }

    /// The `errno` text, as `strerror` gives it.
    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
