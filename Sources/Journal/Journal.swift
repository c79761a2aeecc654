import Foundation
import GRDB
import LeadModel
import Synchronization

#if canImport(Glibc)
    import Glibc
    /// `close(2)`, named apart from the types' own `close()`.
    private let closeDescriptor = Glibc.close
#elseif canImport(Darwin)
    import Darwin
    /// `close(2)`, named apart from the types' own `close()`.
    private let closeDescriptor = Darwin.close
#endif

/// The journal: one SQLite file holding the cache of loaded leads and the outbox of updates.
///
/// WAL mode with `synchronous=FULL`, created 0600. Every write is one transaction,
/// durable when the call returns. Safe to share across tasks and processes.
/// Statements are prepared once per connection (`cachedStatement`): preparing
/// (parsing plus GRDB's authorizer) cost more than running them on every push
/// and every replayed update.
public final class Journal: Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// The app (`app.id_code`) the journal is bound to, once read. A binding never
    /// changes (``bind(toApp:)`` only adds one), so `append` reads it only until it is set.
    let boundApp = Mutex<String?>(nil)
    /// Failures a test or the simulator makes happen on purpose; nil in leadsh itself.
    let faults: StorageFaults?

    /// Opens (creating if needed) the journal at `path`.
    ///
    /// - Parameter faults: makes chosen writes fail as a full disk, an I/O error or a busy
    ///   lock would (the simulator's storage faults); nil for a real journal.
    /// - Throws: `JournalError` with kind `.cannotOpen`, `.notAJournal` or
    ///   `.newerVersion`; in the last two cases the file is left untouched.
    public init(path: String, faults: StorageFaults? = nil) throws(JournalError) {
        self.path = path
        self.faults = faults
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        if !exists {
            // Only a new journal can lack its folder.
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                if !fm.fileExists(atPath: directory) {
                    try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                }
            } catch {
                throw JournalError(.cannotOpen, "cannot create the journal's folder \(directory): \(error.localizedDescription)")
            }
        }
        if exists {
            try Journal.checkExisting(path: path)
        } else {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd < 0 && errno != EEXIST {
                throw JournalError(.cannotOpen, "cannot create the journal \(path): \(String(cString: strerror(errno)))")
            }
            if fd >= 0 {
                fchmod(fd, 0o600)
                closeDescriptor(fd)
            }
        }

        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Before WAL, which writes a new file's first page: a new journal gives back the pages
            // pruning frees (`PRAGMA incremental_vacuum`); an older one takes it at its first VACUUM.
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Statement journals in memory: inside an import's transaction every INSERT keeps
            // the pages it changes so that it alone can be undone (a UNIQUE or CHECK failure),
            // and in a temporary file that was about 20 writes per row.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in try Journal.migrate(db) }
        } catch {
            let cause = Journal.cause(of: error, path: path)
            let words = cause == .diskFull ? "disk full (\(Journal.describe(error)))" : Journal.describe(error)
            throw JournalError(.cannotOpen, "cannot open the journal \(path): \(words)", cause: cause)
        }
    }

    /// Refuses a file that is not a leadsh journal, or is from a newer leadsh, without writing to it.
    private static func checkExisting(path: String) throws(JournalError) {
        guard access(path, R_OK | W_OK) == 0 else {
            throw JournalError(.cannotOpen, "cannot open the journal \(path): \(String(cString: strerror(errno)))")
        }
        if (Journal.fileSize(path) ?? 0) == 0 { return }
        // Read the header directly so no SQLite connection touches a foreign file.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw JournalError(.cannotOpen, "cannot read the journal \(path)")
        }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let magic = Array("SQLite format 3\0".utf8)
        guard header.count == 100, Array(header[0..<16]) == magic else {
            throw JournalError(
                .notAJournal,
                "\(path) is not a leadsh journal (not an SQLite database); it was left untouched. Pass --journal with another path"
            )
        }
        // With no -wal (nor -journal) file beside it, the header holds the newest
        // application_id (offset 68) and user_version (offset 60): a leadsh journal this
        // build reads is accepted without a second connection. leadsh removes the -wal
        // when it closes the journal, so this is the usual start.
        if (Journal.fileSize(path + "-wal") ?? 0) == 0, Journal.fileSize(path + "-journal") == nil {
            let applicationID = Int32(bitPattern: header[68..<72].reduce(0) { $0 << 8 | UInt32($1) })
            let userVersion = Int(Int32(bitPattern: header[60..<64].reduce(0) { $0 << 8 | UInt32($1) }))
            if applicationID == Journal.applicationID && userVersion <= schemaVersion { return }
        }
        // Otherwise read the identifying pragmas through a read-only connection: in WAL
        // mode the newest values may still be in the -wal file, not the header.
        var configuration = Configuration()
        configuration.readonly = true
        let pragmas: (applicationID: Int32, userVersion: Int, objects: Int)?
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            pragmas = try queue.read { db in
                (
                    Int32(truncatingIfNeeded: try Int.fetchOne(db, sql: "PRAGMA application_id") ?? 0),
                    try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                )
            }
        } catch {
            throw JournalError(.notAJournal, "\(path) cannot be read as a leadsh journal (\(describe(error))); it was left untouched")
        }
        guard let pragmas else { return }
        if pragmas.applicationID != Journal.applicationID {
            if pragmas.applicationID == 0 && pragmas.userVersion == 0 && pragmas.objects == 0 { return }
            throw JournalError(
                .notAJournal,
                "\(path) is an SQLite database but not a leadsh journal; it was left untouched. Pass --journal with another path"
            )
        }
        if pragmas.userVersion > schemaVersion {
            throw JournalError(
                .newerVersion,
                "\(path) was written by a newer leadsh (journal version \(pragmas.userVersion); this leadsh reads up to \(schemaVersion)); it was left untouched. Upgrade leadsh"
            )
        }
    }

    /// Whether the file system holding `path` has no free block left.
    static func hasNoRoom(besides path: String) -> Bool {
        var info = statvfs()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(directory, &info) == 0 else { return false }
        return info.f_bavail == 0
    }

    /// The size of the file at `path`, or nil when there is none.
    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// SQLite's message with the statement and its arguments (long arguments cut), so a
    /// report of a failed write says what was being written.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        var text = error.message ?? "\(error.resultCode)"
        if let sql = error.sql {
            text += " (while executing `\(sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))`"
            if let arguments = error.arguments, !arguments.isEmpty {
                let shown = arguments.description
                text += " with arguments " + (shown.count > 200 ? String(shown.prefix(199)) + "…" : shown)
            }
            text += ")"
        }
        return text
    }

    /// Runs `body` in a deferred transaction, so its statements see one snapshot.
    ///
    /// Not `DatabaseQueue.read`: its read-only mode toggles `PRAGMA query_only` around
    /// every read, which made GRDB re-examine statements and cost about half the CPU of
    /// an offline push. Nor `Database.inTransaction`: it prepares `BEGIN` and `COMMIT`
    /// anew each time; these are prepared once per connection (see ``transaction(_:_:)``).
    func read<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        try storageCall("reading") { try queue.inDatabase { db in try Journal.transaction(db, "BEGIN DEFERRED", body) } }
    }

    /// Runs one statement's read: a single SELECT is its own snapshot, so no transaction
    /// is opened around it.
    func readOne<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        try storageCall("reading") { try queue.inDatabase(body) }
    }

    /// Runs `body` in an immediate transaction (as `DatabaseQueue.write` does), committed
    /// before it returns: with `synchronous=FULL`, durable when the call returns.
    func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        try storageCall("writing") {
            try queue.writeWithoutTransaction { db in
                try Journal.transaction(db, "BEGIN IMMEDIATE") { db in
                    guard let faults else { return try body(db) }
                    // An injected fault fails a transaction that changed something, before its
                    // COMMIT, as a full disk fails SQLite's: the rollback and every caller's error
                    // path run. A transaction that changed nothing writes nothing, and passes.
                    let before = db.totalChangesCount
                    let result = try body(db)
                    if db.totalChangesCount != before { try faults.check() }
                    return result
                }
            }
        }
    }

    /// Runs `call`, passing a `JournalError` on and naming any other failure as `.storage`:
    /// "`doing` the journal PATH failed: SQLite's message".
    private func storageCall<T>(_ doing: String, _ call: () throws -> T) throws(JournalError) -> T {
        do {
            return try call()
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "\(doing) the journal \(path) failed: \(Journal.describe(error))", cause: Journal.cause(of: error, path: path))
        }
    }

    /// What SQLite's result code says of a failure worth naming. SQLite reports a file system
    /// too full to grow the `-shm` or `-wal` file as an I/O error: one on a file system with no
    /// room left is called what it is.
    static func cause(of error: any Error, path: String) -> JournalError.Cause? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return .diskFull
        case .SQLITE_IOERR: return Journal.hasNoRoom(besides: path) ? .diskFull : .ioError
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy
        default: return nil
        }
    }

    /// `begin`, then `body`, then `COMMIT`; `ROLLBACK` when `body` or the commit throws.
    ///
    /// The transaction statements are cached like every other statement: `inTransaction`
    /// parsed `BEGIN IMMEDIATE TRANSACTION` and `COMMIT TRANSACTION` on every call, which
    /// cost more instructions per push than binding and running the INSERT.
    /// GRDB still sees the transaction begin and end (it reads a statement's transaction
    /// effect when it runs, cached or not).
    static func transaction<T>(_ db: Database, _ begin: String, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: begin).execute()
        do {
            let result = try body(db)
            try db.cachedStatement(sql: "COMMIT").execute()
            return result
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            throw error
        }
    }

    /// The current Unix time in seconds.
    public static func now() -> Double { Date().timeIntervalSince1970 }

    /// Closes the file. Further calls fail.
    public func close() {
        try? queue.close()
    }
}
