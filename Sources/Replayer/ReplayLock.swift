import Foundation

#if canImport(Glibc)
    import Glibc
    /// `close(2)`, named apart from the types' own `close()`.
    private let closeDescriptor = Glibc.close
#elseif canImport(Darwin)
    import Darwin
    /// `close(2)`, named apart from the types' own `close()`.
    private let closeDescriptor = Darwin.close
#endif

/// The one-replayer-per-journal lock: `flock` on `JOURNAL.lock`.
///
/// The kernel releases it when the holder exits, so a killed process cannot
/// leave it stuck. Each instance opens its own descriptor, so two replayers in
/// one process exclude each other too.
public final class ReplayLock: @unchecked Sendable {
    private let fd: Int32
    public let path: String

    /// Takes the lock, or returns nil when another replayer holds it.
    public init?(journalPath: String) {
        path = journalPath + ".lock"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        fchmod(descriptor, 0o600)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(descriptor)
            return nil
        }
        fd = descriptor
    }

    deinit {
        flock(fd, LOCK_UN)
        closeDescriptor(fd)
    }
}
