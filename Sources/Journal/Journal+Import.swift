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
    /// cached gets no base. Nothing is read from Intercom. The transaction commits whole or not
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
            let seen = try db.cachedStatement(sql: "SELECT 1 FROM applied_ops WHERE op_id = ?")
            let record = try db.cachedStatement(sql: "INSERT INTO applied_ops (op_id, seq, applied_at) VALUES (?, ?, ?)")
            for row in rows {
                if try Bool.fetchOne(seen, arguments: [row.opID]) != nil {
                    result.alreadyImported += 1
                    continue
                }
                let view = try Journal.cachedView(db, of: row.update.lead)
                var base = FieldChanges()
                if let view {
                    for key in row.update.changes.keys {
                        if let value = view.value(of: key) { base[key] = value }
                    }
                } else {
                    result.withoutBase += 1
                }
                let new = NewUpdate(update: row.update, base: base, baseUpdatedAt: view?.updatedAt, apiVersion: apiVersion)
                let appended = try Journal.appendRow(db, new, opID: row.opID, appID: try boundAppID(db), coalesce: coalesce, now: now)
                try record.execute(arguments: [row.opID, appended.entry.seq, now])
                result.imported += 1
                if appended.merged { result.merged += 1 }
            }
            return result
        }
    }

    /// The op ids among `opIDs` that were journaled before: what a dry run reports as
    /// "already imported" without writing.
    public func journaledOpIDs(_ opIDs: [String]) throws(JournalError) -> Set<String> {
        try read { db in
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM applied_ops WHERE op_id = ?")
            var found: Set<String> = []
            for opID in opIDs {
                if try Bool.fetchOne(statement, arguments: [opID]) != nil { found.insert(opID) }
            }
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
        let contact = try Contact(json: snapshot)
        let unsent = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT fields FROM updates WHERE lead_key = ? AND state IN ('pending', 'sending') ORDER BY seq"),
            arguments: [Journal.leadKey(for: contact.reference)])
        return try unsent.reduce(contact) { view, row in view.applying(try Journal.decodeChanges(row["fields"])) }
    }
}
