#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes to stdout and stderr with `write(2)`, so a closed pipe is an ordinary outcome
/// rather than Foundation's fatal error.
///
/// When stdout's reader has gone (`leadsh script | head`), leadsh stops as a program killed
/// by SIGPIPE would, quietly and with status 141; when stdout fails otherwise (a full disk)
/// it says so on stderr and exits 1. Whatever it already pushed is in the journal. A closed
/// stderr is ignored: there is nowhere left to say anything.
enum StandardStreams {
    static func out(_ text: String) {
        guard !write(text, to: STDOUT_FILENO) else { return }
        if errno == EPIPE { _exit(128 + SIGPIPE) }
        // Another failure (a full disk, say): say so, since the results are lost.
        err("leadsh: cannot write to standard output: \(String(cString: strerror(errno))); stopping (what was pushed is in the journal)\n")
        _exit(1)
    }

    static func err(_ text: String) {
        _ = write(text, to: STDERR_FILENO)
    }

    /// Writes all of `text`; false when the reader is gone or the descriptor fails.
    private static func write(_ text: String, to fd: Int32) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            offset += written
        }
        return true
    }

    #if canImport(Glibc)
        private static let systemWrite = Glibc.write
    #else
        private static let systemWrite = Darwin.write
    #endif
}
