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

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
