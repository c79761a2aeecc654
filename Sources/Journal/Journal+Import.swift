import GRDB
public import LeadModel

/// What journaling a batch of import rows did.
public struct ImportBatchResult: Sendable, Hashable {
    /// Rows journaled now (as new rows or merged into a lead's pending row).
    public var imported = 0
    /// Of those, rows merged into a pending row of the same lead.
    public var merged = 0
    /// Rows whose op id was journaled before (a rerun): nothing journaled for them.
    public var alreadyImported = 0
    /// Of the rows journaled now, those whose lead is not in the cache: no base was recorded,
    /// so the replay cannot tell whether someone changed those fields meanwhile.
    public var withoutBase = 0

    public init() {}

    /// Adds another batch's counts (for an import's summary).
    public static func + (lhs: ImportBatchResult, rhs: ImportBatchResult) -> ImportBatchResult {
        var sum = lhs
        sum.imported += rhs.imported
        sum.merged += rhs.merged
        sum.alreadyImported += rhs.alreadyImported
        sum.withoutBase += rhs.withoutBase
        return sum
    }
}

extension Journal {
    /// Journals a batch of import rows in one transaction, each through the same path as a push
    /// (merged into the lead's pending row when `coalesce`), and idempotently by op id: a row
    /// whose op id was journaled before, even one merged into another row, journals nothing.
    ///
    /// Each row's base is taken from the cache as the user sees the lead (the cached copy with
    /// the unsent updates applied), as `push` takes it from the loaded lead; a lead that is not
    /// cached gets no base. A row of an exported file brings its own base (``ImportBase``). Nothing is read from Intercom. The transaction commits whole or not
    /// at all, so a crash never leaves half of a row or half of a batch.
    ///
    /// - Parameters:
    ///   - rows: The batch, in file order.
    ///   - apiVersion: The `Intercom-Version` the rows were validated under.
    ///   - coalesce: Merge into the lead's latest row while it is still `pending`.
    public func appendImport(
        _ rows: [ImportedUpdate], apiVersion: String?, coalesce: Bool = true, now: Double = Journal.now()
    ) throws(JournalError) -> ImportBatchResult {
        guard !rows.isEmpty else { return ImportBatchResult() }
        return try write { db -> ImportBatchResult in
            var result = ImportBatchResult()
            var inserted = 0
            let appID = try boundAppID(db)
            let sql = try ImportStatements(db)
            // Op ids of one file share a prefix (`import:<hash>:`) and sort in row order. Only
            // a batch whose file already has an op id at or after the batch's own lowest one
            // (a rerun) needs each row's op id looked up; one range probe per batch tells.
            // Rows of this run's earlier batches sort before it, so they never trigger it.
            var lowest: [Substring: String] = [:]
            for row in rows {
                for id in [row.opID] + row.aliases {
                    let prefix = Journal.opIDPrefix(id)
                    // By bytes, as SQLite compares text.
                    if let known = lowest[prefix], !id.utf8.lexicographicallyPrecedes(known.utf8) { continue }
                    lowest[prefix] = id
                }
            }
            var rerun = false
            for (prefix, low) in lowest where try sql.anyOpID(withPrefix: prefix, from: low) {
                rerun = true
                break
            }
            for row in rows {
                if rerun, try sql.journaled(row) {
                    result.alreadyImported += 1
                    continue
                }
                let lead = row.update.lead
                let key = Journal.leadKey(for: lead)
                // A row with only a `tags` cell (or a selection's tags alone) journals no update.
                if !row.update.changes.isEmpty {
                    // The base, as push takes it: the cached lead with its unsent updates applied.
                    var base = FieldChanges()
                    var baseUpdatedAt: Int64?
                    // A row of an exported file whose lead may have changed since the export: it is
                    // journaled as a row of its own, so that its re-read is never skipped.
                    var ownRow = false
                    if let exported = row.base {
                        // The exported values; a column added by hand takes the cached one.
                        let view = try Journal.cachedView(db, of: lead)
                        for field in row.update.changes.keys {
                            if let value = exported.values[field] {
                                if value != .null { base[field] = value }
                            } else if let value = view?.value(of: field) {
                                base[field] = value
                            }
                        }
                        baseUpdatedAt = try Journal.cacheConfirms(exported, lead: lead, db) ? exported.updatedAt : NewUpdate.baseNotFromCache
                        ownRow = baseUpdatedAt == NewUpdate.baseNotFromCache
                    } else if let viewed = row.viewed {
                        base = viewed.values
                        baseUpdatedAt = viewed.updatedAt
                    } else if try sql.isCached(lead), let view = try Journal.cachedView(db, of: lead) {
                        for field in row.update.changes.keys {
                            if let value = view.value(of: field) { base[field] = value }
                        }
                        baseUpdatedAt = view.updatedAt
                    } else {
                        result.withoutBase += 1
                    }
                    if coalesce, !ownRow, try sql.latestIsPending(leadKey: key) {
                        // Merged into the lead's pending row: its op id is recorded apart.
                        let new = NewUpdate(update: row.update, base: base, baseUpdatedAt: baseUpdatedAt, apiVersion: apiVersion)
                        let appended = try Journal.appendRow(db, new, opID: row.opID, appID: appID, coalesce: true, now: now)
                        try sql.recordMerged(opID: row.opID, into: appended.entry.seq, now: now)
                        if appended.merged { result.merged += 1 }
                    } else {
                        inserted += 1
                        try sql.insert(
                            opID: row.opID, leadKey: key, lead: lead, fields: Journal.encode(row.update.changes), base: Journal.encode(base),
                            baseUpdatedAt: baseUpdatedAt, now: now, apiVersion: apiVersion, appID: appID)
                    }
                }
                if let tags = row.tags, !tags.isEmpty {
                    // The row's `tags` cell: a tags row of its own after the update, as a push makes.
                    let new = NewUpdate(
                        update: LeadUpdate(unchecked: lead, changes: tags.fields), base: try Journal.tagBase(db, of: lead, names: tags.names),
                        baseUpdatedAt: nil, apiVersion: apiVersion, kind: .tags)
                    // A row of tags alone keeps the row's own op id, so a rerun finds it.
                    let opID = row.update.changes.isEmpty ? row.opID : row.opID + ":tags"
                    let appended = try Journal.appendRow(db, new, opID: opID, appID: appID, coalesce: coalesce, now: now)
                    if appended.merged { try sql.recordMerged(opID: opID, into: appended.entry.seq, now: now) }
                }
                result.imported += 1
            }
            if inserted > 0 { try Journal.countInserted(db, inserted) }
            return result
        }
    }

    /// Whether the cache vouches for an export's values as fresh as a push's base: a copy of
    /// the lead fetched after the export, with the `updated_at` the export wrote. Otherwise
    /// the lead may have changed since the export, and the replay must re-read it however
    /// fresh the cached copy is (``NewUpdate/baseNotFromCache``).
    static func cacheConfirms(_ exported: ImportBase, lead: LeadReference, _ db: Database) throws -> Bool {
        guard let updatedAt = exported.updatedAt, let id = lead.id,
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT updated_at, fetched_at FROM leads WHERE id = ?"), arguments: [id])
        else { return false }
        let cachedUpdatedAt: Int64? = row["updated_at"]
        let fetchedAt: Double = row["fetched_at"]
        return cachedUpdatedAt == updatedAt && fetchedAt > exported.exportedAt
    }

    /// `import:<hash>:` of `import:<hash>:<row>`: an op id up to its last colon (the whole id
    /// when it has none).
    static func opIDPrefix(_ opID: String) -> Substring {
        guard let colon = opID.utf8.lastIndex(of: UInt8(ascii: ":")) else { return opID[...] }
        return opID[...colon]
    }

    /// The op ids of the `rows` journaled before (under their op id or an alias): what a dry
    /// run reports as "already imported" without writing.
    public func journaledOpIDs(_ rows: [ImportedUpdate]) throws(JournalError) -> Set<String> {
        try read { db in
            let sql = try ImportStatements(db)
            var found: Set<String> = []
            for row in rows where try sql.journaled(row) { found.insert(row.opID) }
            return found
        }
    }

    /// The op ids among `opIDs` that were journaled before.
    public func journaledOpIDs(_ opIDs: [String]) throws(JournalError) -> Set<String> {
        try read { db in
            let sql = try ImportStatements(db)
            var found: Set<String> = []
            for opID in opIDs where try sql.opIDJournaled(opID) { found.insert(opID) }
            return found
        }
    }

    /// The lead as the user sees it, inside a transaction: the cached snapshot with its unsent
    /// (`pending`, `sending`) updates applied; nil when the lead is not cached.
    static func cachedView(_ db: Database, of lead: LeadReference) throws -> Contact? {
        let row: Row?
        if let id = lead.id {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT snapshot FROM leads WHERE id = ?"), arguments: [id])
        } else if let userID = lead.userID {
            row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT snapshot FROM leads WHERE user_id = ? ORDER BY fetched_at DESC LIMIT 1"),
                arguments: [userID])
        } else {
            row = nil
        }
        guard let row else { return nil }
        let snapshot: String = row["snapshot"]
        return try Journal.applyingUnsent(db, to: try Contact(json: snapshot))
    }
}

/// The statements of an import's inner loop, run through SQLite's C API on GRDB's cached
/// statements: binding a row's values and stepping costs a few hundred instructions this way,
/// against thousands through `StatementArguments` and a row cursor. Used inside one
/// transaction of ``Journal/appendImport(_:apiVersion:coalesce:now:)``.
struct ImportStatements {
    private let db: Database
    private let opIDInUpdates: SQLiteStatementHandle
    private let opIDApplied: SQLiteStatementHandle
    private let prefixInUpdates: SQLiteStatementHandle
    private let prefixApplied: SQLiteStatementHandle
    private let prefixPruned: SQLiteStatementHandle
    /// Whether any import row was pruned (`pruned_imports`): only then is it looked in.
    private let anyPruned: Bool
    private let cachedByID: SQLiteStatementHandle
    private let cachedByUserID: SQLiteStatementHandle
    private let latestState: SQLiteStatementHandle
    private let insertRow: SQLiteStatementHandle
    private let recordOp: SQLiteStatementHandle

    init(_ db: Database) throws {
        self.db = db
        func prepare(_ sql: String) throws -> SQLiteStatementHandle {
            SQLiteStatementHandle(try db.cachedStatement(sql: sql), db: db)
        }
        opIDInUpdates = try prepare("SELECT 1 FROM updates WHERE op_id = ?")
        opIDApplied = try prepare("SELECT 1 FROM applied_ops WHERE op_id = ?")
        prefixInUpdates = try prepare("SELECT 1 FROM updates WHERE op_id >= ? AND op_id < ? LIMIT 1")
        prefixApplied = try prepare("SELECT 1 FROM applied_ops WHERE op_id >= ? AND op_id < ? LIMIT 1")
        prefixPruned = try prepare("SELECT 1 FROM pruned_imports WHERE prefix = ? LIMIT 1")
        anyPruned = try prepare("SELECT 1 FROM pruned_imports LIMIT 1").exists()
        cachedByID = try prepare("SELECT 1 FROM leads WHERE id = ?")
        cachedByUserID = try prepare("SELECT 1 FROM leads WHERE user_id = ? LIMIT 1")
        latestState = try prepare("SELECT state = 'pending' AND kind = 'update' FROM updates WHERE lead_key = ? ORDER BY seq DESC LIMIT 1")
        insertRow = try prepare(
            """
            INSERT INTO updates (op_id, lead_key, lead_id, lead_user_id, lead_email, fields, base,
                base_updated_at, state, attempts, next_attempt_at, created_at, updated_at, api_version, app_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?, ?)
            """)
        recordOp = try prepare("INSERT INTO applied_ops (op_id, seq, applied_at) VALUES (?, ?, ?)")
    }

    /// Whether an import row was journaled, under its op id or one of its aliases.
    func journaled(_ row: ImportedUpdate) throws -> Bool {
        if try opIDJournaled(row.opID) { return true }
        for alias in row.aliases where try opIDJournaled(alias) { return true }
        return false
    }

    /// Whether an op id was journaled: as a row's own, merged into another row, or in a row
    /// since pruned.
    func opIDJournaled(_ opID: String) throws -> Bool {
        try opIDInUpdates.exists(opID) || opIDApplied.exists(opID) || (anyPruned && Journal.wasPruned(db, opID: opID))
    }

    /// Whether an op id starting with `prefix`, and not sorting before `low`, was journaled.
    func anyOpID(withPrefix prefix: Substring, from low: String) throws -> Bool {
        // A prefix ending in a byte that cannot be raised: answer yes, so each row is looked up.
        guard let last = prefix.utf8.last, last < 0x7F else { return true }
        // The op ids below `prefix` with its last byte raised by one are those starting with it.
        var upper = Array(prefix.utf8)
        upper[upper.count - 1] += 1
        let high = String(decoding: upper, as: UTF8.self)
        // A file some of whose rows were pruned: a rerun, each row looked up.
        return try prefixInUpdates.exists(low, high) || prefixApplied.exists(low, high) || (anyPruned && prefixPruned.exists(String(prefix)))
    }

    /// Whether the lead is in the cache (so its view gives a base).
    func isCached(_ lead: LeadReference) throws -> Bool {
        if let id = lead.id { return try cachedByID.exists(id) }
        if let userID = lead.userID { return try cachedByUserID.exists(userID) }
        return false
    }

    /// Whether the lead's latest row is a `pending` update (so an update merges into it).
    func latestIsPending(leadKey: String) throws -> Bool {
        try latestState.firstInteger(leadKey) == 1
    }

    func insert(
        opID: String, leadKey: String, lead: LeadReference, fields: String, base: String, baseUpdatedAt: Int64?, now: Double,
        apiVersion: String?, appID: String?
    ) throws {
        try insertRow.run { s in
            try s.bind(1, opID)
            try s.bind(2, leadKey)
            try s.bind(3, lead.id)
            try s.bind(4, lead.userID)
            try s.bind(5, lead.email)
            try s.bind(6, fields)
            try s.bind(7, base)
            try s.bind(8, baseUpdatedAt)
            try s.bind(9, now)
            try s.bind(10, now)
            try s.bind(11, apiVersion)
            try s.bind(12, appID)
        }
    }

    func recordMerged(opID: String, into seq: Int64, now: Double) throws {
        try recordOp.run { s in
            try s.bind(1, opID)
            try s.bind(2, seq)
            try s.bind(3, now)
        }
    }
}
