/// Why the journal could not be used. Each case says what to do.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The file could not be opened or created.
        case cannotOpen
        /// The file is not a leadsh journal (another database, or not SQLite).
        case notAJournal
        /// The journal was written by a newer leadsh.
        case newerVersion
        /// A read or write failed.
        case storage
        /// No such sequence number, or the row is not in a state for the operation.
        case noSuchEntry
        case invalidState
    }

    /// What the storage said, when a read or write failed for a reason worth naming.
    public enum Cause: Sendable, Hashable {
        /// The file system is full (`SQLITE_FULL`).
        case diskFull
        /// The disk failed a read or write (`SQLITE_IOERR`).
        case ioError
        /// Another connection held the lock past the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`).
        case busy
    }

    public let kind: Kind
    public let message: String
    /// Why storage failed, for `.storage` errors SQLite named.
    public let cause: Cause?

    public init(_ kind: Kind, _ message: String, cause: Cause? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause
    }

    /// The cause in a few words: `disk full`, `I/O error`, `busy`.
    public var causeWords: String? {
        switch cause {
        case .diskFull: return "disk full"
        case .ioError: return "I/O error"
        case .busy: return "busy"
        case nil: return nil
        }
    }

    public var description: String { message }
}
