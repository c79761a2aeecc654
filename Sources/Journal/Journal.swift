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
import GRDB
import LeadModel
import Synchronization

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
    private let boundApp = Mutex<String?>(nil)

    /// Opens (creating if needed) the journal at `path`.
    ///
    /// - Throws: `JournalError` with kind `.cannotOpen`, `.notAJournal` or
    ///   `.newerVersion`; in the last two cases the file is left untouched.
    public init(path: String) throws(JournalError) {
        self.path = path
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
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in try Journal.migrate(db) }
        } catch {
            throw JournalError(.cannotOpen, "cannot open the journal \(path): \(Journal.describe(error))")
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
        do {
            return try queue.inDatabase { db in try Journal.transaction(db, "BEGIN DEFERRED", body) }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "reading the journal \(path) failed: \(Journal.describe(error))")
        }
    }

    /// Runs one statement's read: a single SELECT is its own snapshot, so no transaction
    /// is opened around it.
    func readOne<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try queue.inDatabase(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "reading the journal \(path) failed: \(Journal.describe(error))")
        }
    }

    /// Runs `body` in an immediate transaction (as `DatabaseQueue.write` does), committed
    /// before it returns: with `synchronous=FULL`, durable when the call returns.
    func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try queue.writeWithoutTransaction { db in try Journal.transaction(db, "BEGIN IMMEDIATE", body) }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "writing the journal \(path) failed: \(Journal.describe(error))")
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

// MARK: - Lead cache

extension Journal {
    /// Stores a freshly fetched lead, replacing any older copy.
    public func cache(_ contact: Contact, fetchedAt: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.upsertLead(db, contact, fetchedAt: fetchedAt) }
    }

    static func upsertLead(_ db: Database, _ contact: Contact, fetchedAt: Double) throws {
        try db.cachedStatement(sql: """
                INSERT INTO leads (id, user_id, email, name, snapshot, updated_at, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email,
                    name = excluded.name, snapshot = excluded.snapshot, updated_at = excluded.updated_at,
                    fetched_at = excluded.fetched_at
                """).execute(arguments: [contact.id, contact.userID, contact.email, contact.name, contact.json, contact.updatedAt, fetchedAt]
        )
    }

    /// When the cached copy of a lead was fetched (Unix seconds), without reading the snapshot.
    public func fetchedAt(of lead: LeadReference) throws(JournalError) -> Double? {
        try read { db in
            if let id = lead.id {
                return try Double.fetchOne(db.cachedStatement(sql: "SELECT fetched_at FROM leads WHERE id = ?"), arguments: [id])
            }
            return try Double.fetchOne(db.cachedStatement(sql: "SELECT max(fetched_at) FROM leads WHERE user_id = ?"), arguments: [lead.userID])
        }
    }

    /// The cached copy of a lead, by `id` or `user_id`.
    public func cachedLead(id: String? = nil, userID: String? = nil) throws(JournalError) -> CachedLead? {
        try read { db -> CachedLead? in
            let row: Row?
            if let id {
                row = try Row.fetchOne(db.cachedStatement(sql: "SELECT snapshot, fetched_at FROM leads WHERE id = ?"), arguments: [id])
            } else if let userID {
                row = try Row.fetchOne(db.cachedStatement(sql: "SELECT snapshot, fetched_at FROM leads WHERE user_id = ? ORDER BY fetched_at DESC LIMIT 1"), arguments: [userID])
            } else {
                row = nil
            }
            guard let row else { return nil }
            let snapshot: String = row["snapshot"]
            let contact = try Contact(json: snapshot)
            return CachedLead(contact: contact, fetchedAt: row["fetched_at"])
        }
    }

    /// The lead as the user sees it: the cached snapshot with the user's own
    /// unsent updates (pending, sending, failed, conflict) applied in order.
    public func userView(of cached: CachedLead) throws(JournalError) -> Contact {
        let key = Journal.leadKey(for: cached.contact.reference)
        let changes = try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT fields FROM updates WHERE lead_key = ? AND state IN ('pending', 'sending') ORDER BY seq"), arguments: [key]
            ).map { row -> FieldChanges in try Journal.decodeChanges(row["fields"]) }
        }
        return changes.reduce(cached.contact) { $0.applying($1) }
    }
}

// MARK: - Outbox

extension Journal {
    /// The key that orders a lead's updates: its `id`, else `user_id:…`.
    public static func leadKey(for lead: LeadReference) -> String {
        if let id = lead.id { return id }
        return "user_id:" + (lead.userID ?? "")
    }

    /// What `append` did.
    public struct AppendResult: Sendable {
        /// The row now holding the update.
        public var entry: JournalEntry
        /// True when the update was merged into an earlier pending row.
        public var merged: Bool
    }

    /// Journals an update, durably, before returning.
    ///
    /// With `coalesce`, an update to a lead whose latest row is still `pending`
    /// merges into it (later value wins per field; the earliest base is kept).
    public func append(_ new: NewUpdate, coalesce: Bool = true, now: Double = Journal.now()) throws(JournalError) -> AppendResult {
        try write { db -> AppendResult in
            try Journal.appendRow(db, new, opID: Journal.newOpID(), appID: try boundAppID(db), coalesce: coalesce, now: now)
        }
    }

    /// The one path an update takes into the outbox, inside the caller's transaction: merged
    /// into the lead's latest row when that row is still `pending` (and `coalesce`), else a new
    /// row with this op id. A push and every row of an import come through here.
    static func appendRow(_ db: Database, _ new: NewUpdate, opID: String, appID: String?, coalesce: Bool, now: Double) throws -> AppendResult {
        let lead = new.update.lead
        let key = Journal.leadKey(for: lead)
        if coalesce,
            let latest = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE lead_key = ? ORDER BY seq DESC LIMIT 1"), arguments: [key]),
            (latest["state"] as String) == UpdateState.pending.rawValue
        {
            let existing = try Journal.entry(from: latest)
            let fields = existing.changes.merging(new.update.changes)
            var base = existing.base
            for (field, value) in new.base where existing.base[field] == nil && existing.changes[field] == nil {
                base[field] = value
            }
            try db.cachedStatement(sql: """
                    UPDATE updates SET fields = ?, base = ?, merged_count = merged_count + 1, updated_at = ?,
                        lead_user_id = coalesce(lead_user_id, ?), lead_email = coalesce(?, lead_email),
                        api_version = coalesce(?, api_version)
                    WHERE seq = ? AND state = 'pending'
                    """).execute(arguments: [Journal.encode(fields), Journal.encode(base), now, lead.userID, lead.email, new.apiVersion, existing.seq]
            )
            let merged = try Journal.fetchEntry(db, seq: existing.seq)!
            return AppendResult(entry: merged, merged: true)
        }
        // The row is not read back: every column is known here. (Reading it back, by
        // column name, was a quarter of an offline push's instructions.)
        let changes = Journal.encode(new.update.changes)
        let base = Journal.encode(new.base)
        try db.cachedStatement(sql: """
                INSERT INTO updates (op_id, lead_key, lead_id, lead_user_id, lead_email, fields, base,
                    base_updated_at, state, attempts, next_attempt_at, created_at, updated_at, api_version, app_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?, ?)
                """).execute(arguments: [
                opID, key, lead.id, lead.userID, lead.email, changes, base, new.baseUpdatedAt, now, now, new.apiVersion, appID,
            ]
        )
        let entry = JournalEntry(
            seq: db.lastInsertedRowID, opID: opID, lead: LeadReference(id: lead.id, userID: lead.userID, email: lead.email),
            changes: try Journal.decodeChanges(changes), base: try Journal.decodeChanges(base),
            baseUpdatedAt: new.baseUpdatedAt, state: .pending, attempts: 0, nextAttemptAt: 0,
            lastStatus: nil, lastErrorCode: nil, lastError: nil, theirs: nil,
            mergedCount: 1,  // the column's default
            createdAt: now, updatedAt: now, sentAt: nil, apiVersion: new.apiVersion, appID: appID)
        return AppendResult(entry: entry, merged: false)
    }

    /// The app the journal is bound to, inside a transaction: from memory once it is known.
    func boundAppID(_ db: Database) throws -> String? {
        if let known = boundApp.withLock({ $0 }) { return known }
        let app = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'app_id'"))
        if let app { boundApp.withLock { $0 = app } }
        return app
    }

    /// The app (`app.id_code`) this journal is bound to, or nil before it first talked to one.
    public func appID() throws(JournalError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'app_id'") }
    }

    /// Binds the journal to `app` when it is not bound yet; answers the other app when the
    /// journal, or one of its unsent updates, belongs to another one (then nothing changes).
    public func bind(toApp app: String) throws(JournalError) -> String? {
        try write { db -> String? in
            if let bound = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'app_id'") {
                return bound == app ? nil : bound
            }
            // Not bound yet: rows can name an app only if the binding was lost; honour them.
            if let other = try String.fetchOne(
                db, sql: "SELECT app_id FROM updates WHERE app_id IS NOT NULL AND app_id <> ? AND state NOT IN ('sent', 'dropped') LIMIT 1",
                arguments: [app])
            {
                return other
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('app_id', ?)", arguments: [app])
            return nil
        }
    }

    /// The app a journal file is bound to, read without migrating or locking it; nil when
    /// the file is missing, not a journal, or not bound yet.
    public static func peekAppID(path: String) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        defer { try? queue.close() }
        return try? queue.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'app_id'")
        }
    }

    /// Unsent updates of a journal file, read without migrating it; nil when it cannot be read.
    public static func peekUnsentCount(path: String) -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        defer { try? queue.close() }
        return try? queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM updates WHERE state IN ('pending', 'sending')")
        }
    }

    /// One row by sequence number.
    public func entry(seq: Int64) throws(JournalError) -> JournalEntry? {
        try read { db in
            try Journal.fetchEntry(db, seq: seq)
        }
    }

    /// Rows in sequence order: by default those not yet sent (nor dropped); `all` adds them.
    public func entries(all: Bool = false, afterSeq: Int64 = 0, limit: Int = 1000) throws(JournalError) -> [JournalEntry] {
        try read { db in
            let filter = all ? "" : "AND state NOT IN ('sent', 'dropped')"
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE seq > ? \(filter) ORDER BY seq LIMIT ?"), arguments: [afterSeq, limit]
            ).map(Journal.entry(from:))
        }
    }

    /// Calls `body` with every matching row in sequence order, a page at a time, so memory stays flat.
    public func forEachEntry(all: Bool = false, pageSize: Int = 500, _ body: (JournalEntry) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let page = try entries(all: all, afterSeq: after, limit: pageSize)
            for entry in page { try body(entry) }
            guard let last = page.last, page.count == pageSize else { return }
            after = last.seq
        }
    }

    /// How many rows are in each state.
    public func counts() throws(JournalError) -> JournalCounts {
        try read { db in
            var counts = JournalCounts()
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, n FROM update_counts")) {
                if let state = UpdateState(rawValue: row["state"]) { counts.byState[state] = row["n"] }
            }
            return counts
        }
    }

    /// How many rows wait to be sent (`pending` or `sending`), from the running counts.
    public func unsentCount() throws(JournalError) -> Int {
        try readOne { db in
            try Int.fetchOne(db.cachedStatement(
                sql: "SELECT coalesce(sum(n), 0) FROM update_counts WHERE state IN ('pending', 'sending')")) ?? 0
        }
    }

    /// Each lead's first unsent row (its head), found one lead at a time through
    /// `updates_unsent_by_lead`: the cost grows with the number of leads that have
    /// unsent rows, not with the number of rows.
    static let leadHeads = """
        WITH RECURSIVE leads(k) AS (
            SELECT (SELECT min(lead_key) FROM updates INDEXED BY updates_unsent_by_lead
                    WHERE state IN ('pending', 'sending'))
            UNION ALL
            SELECT (SELECT min(lead_key) FROM updates INDEXED BY updates_unsent_by_lead
                    WHERE state IN ('pending', 'sending') AND lead_key > leads.k)
            FROM leads WHERE leads.k IS NOT NULL
        )
        SELECT \(Journal.entryColumns(of: "u")) FROM leads JOIN updates AS u ON u.seq = (
            SELECT min(seq) FROM updates INDEXED BY updates_unsent_by_lead
            WHERE state IN ('pending', 'sending') AND lead_key = leads.k)
        WHERE leads.k IS NOT NULL
        """

    /// The earliest time a row may be sent: the earliest `next_attempt_at` of a pending
    /// row that is its lead's next, or nil when none is pending. Rows queued behind an
    /// earlier update of their lead do not count; they wait for it.
    public func nextAttemptTime() throws(JournalError) -> Double? {
        try read { db in
            try Double.fetchOne(
                db.cachedStatement(sql: "SELECT min(next_attempt_at) FROM (\(Journal.leadHeads)) WHERE state = 'pending'"))
        }
    }

    /// Claims the next row that may be sent now: the oldest pending row of a lead
    /// with no earlier unsent row, marked `sending` with one more attempt.
    ///
    /// A lead's rows go in `seq` order: a row waits while its lead has an earlier one
    /// pending or sending.
    func claimNext(now: Double = Journal.now()) throws(JournalError) -> JournalEntry? {
        try write { db in try Journal.claimOne(db, now: now) }
    }

    /// Records what happened to claimed rows and claims up to `limit` more, in one transaction.
    ///
    /// The replayer's group commit: one `fsync` covers every outcome that arrived
    /// while the previous one was written and every row it starts next, instead of
    /// one for each claim and one for each outcome. The records are applied first,
    /// so a lead whose row just went `sent` can have its next row claimed here.
    public func recordAndClaim(_ records: [ReplayRecord], claim limit: Int, now: Double = Journal.now()) throws(JournalError) -> [JournalEntry] {
        guard !records.isEmpty || limit > 0 else { return [] }
        return try write { db -> [JournalEntry] in
            for record in records { try Journal.apply(record, db, now: now) }
            var claimed: [JournalEntry] = []
            while claimed.count < limit, let entry = try Journal.claimOne(db, now: now) { claimed.append(entry) }
            return claimed
        }
    }

    /// Claims one row (see ``claimNext(now:)``).
    ///
    /// Looks first among the oldest pending rows (cheap when many leads wait), then
    /// among each lead's first unsent row (cheap when few leads hold many rows), so a
    /// claim never reads the rows already sent, and a replay of n rows stays linear.
    static func claimOne(_ db: Database, now: Double) throws -> JournalEntry? {
        let oldest = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT \(Journal.entryColumns(of: "u")) FROM (
                    SELECT seq FROM updates INDEXED BY updates_pending_by_seq
                    WHERE state = 'pending' ORDER BY seq LIMIT 64) AS c
                JOIN updates AS u ON u.seq = c.seq
                WHERE u.next_attempt_at <= ?
                  AND NOT EXISTS (
                    SELECT 1 FROM updates AS p INDEXED BY updates_unsent_by_lead
                    WHERE p.lead_key = u.lead_key AND p.state IN ('pending', 'sending') AND p.seq < u.seq)
                ORDER BY u.seq LIMIT 1
                """),
            arguments: [now])
        let found = try oldest ?? Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM (\(Journal.leadHeads)) WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT 1"),
            arguments: [now])
        guard let row = found else { return nil }
        var entry = try Journal.entry(from: row)
        try db.cachedStatement(sql: "UPDATE updates SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE seq = ?").execute(arguments: [now, entry.seq])
        entry.state = .sending
        entry.attempts += 1
        return entry
    }

    /// Writes one outcome of a claimed row.
    static func apply(_ record: ReplayRecord, _ db: Database, now: Double) throws {
        switch record {
        case .sent(let seq, let status, let lead):
            try db.cachedStatement(sql: """
                    UPDATE updates SET state = 'sent', last_status = ?, last_error_code = NULL, last_error = NULL,
                        sent_at = ?, updated_at = ? WHERE seq = ?
                    """).execute(arguments: [status, now, now, seq])
            if let lead { try Journal.upsertLead(db, lead, fetchedAt: now) }
        case .release(let seq, let countsAsAttempt, let notBefore, let status, let errorCode, let error):
            try db.cachedStatement(sql: """
                    UPDATE updates SET state = 'pending', attempts = max(0, attempts - ?), next_attempt_at = ?,
                        last_status = coalesce(?, last_status), last_error_code = ?, last_error = ?, updated_at = ?
                    WHERE seq = ? AND state = 'sending'
                    """).execute(arguments: [countsAsAttempt ? 0 : 1, notBefore, status, errorCode, error, now, seq])
        case .failed(let seq, let status, let errorCode, let error):
            try db.cachedStatement(sql: """
                    UPDATE updates SET state = 'failed', last_status = ?, last_error_code = ?, last_error = ?, updated_at = ?
                    WHERE seq = ?
                    """).execute(arguments: [status, errorCode, error, now, seq])
        case .conflict(let seq, let theirs):
            try db.cachedStatement(sql: """
                    UPDATE updates SET state = 'conflict', theirs = ?, last_error_code = 'conflict',
                        last_error = 'changed in Intercom since it was loaded', updated_at = ?
                    WHERE seq = ?
                    """).execute(arguments: [Journal.encode(theirs), now, seq])
        }
    }

    /// Marks a claimed row delivered, and caches the lead Intercom returned.
    func markSent(seq: Int64, status: Int, lead: Contact?, now: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.apply(.sent(seq: seq, status: status, lead: lead), db, now: now) }
    }

    /// Puts a claimed row back to `pending`.
    ///
    /// - Parameters:
    ///   - countsAsAttempt: false for outcomes that are not the update's fault
    ///     (unreachable, 429, 401/403): the claim's attempt is given back.
    ///   - notBefore: Unix seconds before which it will not be sent again.
    public func release(
        seq: Int64, countsAsAttempt: Bool, notBefore: Double = 0, status: Int? = nil, errorCode: String? = nil,
        error: String? = nil, now: Double = Journal.now()
    ) throws(JournalError) {
        try write { db in try Journal.apply(.release(seq: seq, countsAsAttempt: countsAsAttempt, notBefore: notBefore, status: status, errorCode: errorCode, error: error), db, now: now) }
    }

    /// Marks a claimed row failed for good, keeping Intercom's code and message.
    func markFailed(seq: Int64, status: Int?, errorCode: String?, error: String, now: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.apply(.failed(seq: seq, status: status, errorCode: errorCode, error: error), db, now: now) }
    }

    /// Marks a claimed row in conflict with the server's values of the contested fields.
    func markConflict(seq: Int64, theirs: FieldChanges, now: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.apply(.conflict(seq: seq, theirs: theirs), db, now: now) }
    }

    /// Settles a conflict in one transaction: the row gets the given fields and base and goes back to `pending`.
    public func requeueResolved(seq: Int64, changes: FieldChanges, base: FieldChanges, now: Double = Journal.now()) throws(JournalError) {
        try write { db in
            let entry = try Journal.requireEntry(db, seq: seq)
            guard entry.state == .conflict else {
                throw JournalError(.invalidState, "update #\(seq) is \(entry.state.rawValue), not in conflict")
            }
            try db.cachedStatement(sql: """
                    UPDATE updates SET fields = ?, base = ?, state = 'pending', attempts = 0, next_attempt_at = 0,
                        theirs = NULL, updated_at = ?
                    WHERE seq = ?
                    """).execute(arguments: [Journal.encode(changes), Journal.encode(base), now, seq])
        }
    }

    /// Requeues a failed, conflicting or dropped row: `pending`, attempts reset.
    @discardableResult
    public func retry(seq: Int64, now: Double = Journal.now()) throws(JournalError) -> JournalEntry {
        try write { db -> JournalEntry in
            let entry = try Journal.requireEntry(db, seq: seq)
            guard [.failed, .conflict, .dropped, .pending].contains(entry.state) else {
                throw JournalError(.invalidState, "update #\(seq) is \(entry.state.rawValue); only failed, conflict or dropped updates can be retried")
            }
            try db.cachedStatement(sql: """
                    UPDATE updates SET state = 'pending', attempts = 0, next_attempt_at = 0, theirs = NULL, updated_at = ?
                    WHERE seq = ?
                    """).execute(arguments: [now, seq])
            return try Journal.fetchEntry(db, seq: seq)!
        }
    }

    /// Abandons a row that is not being sent: state `dropped`, kept for the record.
    @discardableResult
    public func drop(seq: Int64, now: Double = Journal.now()) throws(JournalError) -> JournalEntry {
        try write { db -> JournalEntry in
            let entry = try Journal.requireEntry(db, seq: seq)
            guard [.failed, .conflict, .pending].contains(entry.state) else {
                throw JournalError(.invalidState, "update #\(seq) is \(entry.state.rawValue); only pending, failed or conflict updates can be dropped")
            }
            try db.cachedStatement(sql: "UPDATE updates SET state = 'dropped', updated_at = ? WHERE seq = ?").execute(arguments: [now, seq])
            return try Journal.fetchEntry(db, seq: seq)!
        }
    }

    /// Returns rows a crashed replayer left `sending` to `pending`. Call only while
    /// holding the replay lock, so no live replayer owns them.
    @discardableResult
    public func reconcileOrphans(now: Double = Journal.now()) throws(JournalError) -> Int {
        try write { db in
            try db.cachedStatement(sql: "UPDATE updates SET state = 'pending', updated_at = ? WHERE state = 'sending'").execute(arguments: [now])
            return db.changesCount
        }
    }
}

// MARK: - Encoding

extension Journal {
    static func encode(_ changes: FieldChanges) -> String {
        JSONText.serialize(.object(changes.jsonObject))
    }

    static func decodeChanges(_ text: String?) throws -> FieldChanges {
        guard let text, !text.isEmpty else { return FieldChanges() }
        guard case .object(let object) = try JSONText.parse(text) else {
            throw JournalError(.storage, "a journal row holds fields that are not a JSON object")
        }
        return FieldChanges(jsonObject: object)
    }

    static func fetchEntry(_ db: Database, seq: Int64) throws -> JournalEntry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE seq = ?"), arguments: [seq]).map(entry(from:))
    }

    static func requireEntry(_ db: Database, seq: Int64) throws -> JournalEntry {
        guard let entry = try fetchEntry(db, seq: seq) else {
            throw JournalError(.noSuchEntry, "no update #\(seq) in the journal (see `queue --all`)")
        }
        return entry
    }

    /// The columns of an outbox row, in the order ``entry(from:)`` reads them: every
    /// query that makes a ``JournalEntry`` selects exactly these.
    static let entryColumnNames = [
        "seq", "op_id", "lead_id", "lead_user_id", "lead_email", "fields", "base", "base_updated_at", "state",
        "attempts", "next_attempt_at", "last_status", "last_error_code", "last_error", "theirs", "merged_count",
        "created_at", "updated_at", "sent_at", "api_version", "app_id",
    ]
    static let entryColumns = entryColumns(of: nil)

    /// ``entryColumnNames`` as a select list, qualified by `table` when given.
    static func entryColumns(of table: String?) -> String {
        entryColumnNames.map { name in table.map { "\($0).\(name)" } ?? name }.joined(separator: ", ")
    }

    /// A row selected as ``entryColumns``, read by position: reading 21 columns by name
    /// cost a case-insensitive search of the column names (a `lowercased()` each) per column.
    static func entry(from row: Row) throws -> JournalEntry {
        JournalEntry(
            seq: row[0],
            opID: row[1],
            lead: LeadReference(id: row[2], userID: row[3], email: row[4]),
            changes: try decodeChanges(row[5]),
            base: try decodeChanges(row[6]),
            baseUpdatedAt: row[7],
            state: UpdateState(rawValue: row[8]) ?? .pending,
            attempts: row[9],
            nextAttemptAt: row[10],
            lastStatus: row[11],
            lastErrorCode: row[12],
            lastError: row[13],
            theirs: try (row[14] as String?).map { try decodeChanges($0) },
            mergedCount: row[15],
            createdAt: row[16],
            updatedAt: row[17],
            sentAt: row[18],
            apiVersion: row[19],
            appID: row[20]
        )
    }

    /// A fresh `op_id`: a random (version 4) UUID in lower case, as `UUID().uuidString.lowercased()`
    /// wrote it, without Foundation's string formatting and a second pass to lower the case.
    static func newOpID() -> String {
        var bytes = UUID().uuid
        return withUnsafeBytes(of: &bytes) { raw -> String in
            let hex = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for (i, byte) in raw.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                    out[o] = hex[Int(byte >> 4)]
                    out[o + 1] = hex[Int(byte & 0x0F)]
                    o += 2
                }
                return o
            }
        }
    }
}

/// What happened to a claimed row, as the replayer records it.
public enum ReplayRecord: Sendable {
    /// Delivered; `lead` is the lead Intercom returned, cached.
    case sent(seq: Int64, status: Int, lead: Contact?)
    /// Back to `pending`; see ``Journal/release(seq:countsAsAttempt:notBefore:status:errorCode:error:now:)``.
    case release(seq: Int64, countsAsAttempt: Bool, notBefore: Double, status: Int?, errorCode: String?, error: String?)
    /// Failed for good, with Intercom's code and message.
    case failed(seq: Int64, status: Int?, errorCode: String?, error: String)
    /// In conflict with the server's values of the contested fields.
    case conflict(seq: Int64, theirs: FieldChanges)
}
