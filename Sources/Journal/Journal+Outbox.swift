import Foundation
import GRDB
import LeadModel

/// The outbox: appending updates (merged into a lead's pending row) and reading rows.
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
        /// Rows waiting to be sent (`pending`, `sending`) once this one was journaled: read in
        /// the same transaction by ``Journal/append(_:coalesce:now:)`` (0 from other paths).
        public var unsent = 0
    }

    /// Journals an update, durably, before returning.
    ///
    /// With `coalesce`, an update to a lead whose latest row is still `pending`
    /// merges into it (later value wins per field; the earliest base is kept).
    public func append(_ new: NewUpdate, coalesce: Bool = true, now: Double = Journal.now()) throws(JournalError) -> AppendResult {
        try write { db -> AppendResult in
            var result = try Journal.appendRow(db, new, opID: Journal.newOpID(), appID: try boundAppID(db), coalesce: coalesce, now: now)
            // The prompt's "N pending", inside the same transaction: a second read after the
            // commit cost more than the INSERT.
            let count = SQLiteStatementHandle(try db.cachedStatement(sql: Journal.unsentCountSQL), db: db)
            result.unsent = Int(try count.firstInteger() ?? 0)
            return result
        }
    }

    /// Journals several rows in one transaction (a push's update and its tags), in order.
    public func append(_ rows: [NewUpdate], coalesce: Bool = true, now: Double = Journal.now()) throws(JournalError) -> [AppendResult] {
        try write { db -> [AppendResult] in
            let appID = try boundAppID(db)
            var results: [AppendResult] = []
            for new in rows {
                results.append(try Journal.appendRow(db, new, opID: Journal.newOpID(), appID: appID, coalesce: coalesce, now: now))
            }
            let count = SQLiteStatementHandle(try db.cachedStatement(sql: Journal.unsentCountSQL), db: db)
            if !results.isEmpty { results[results.count - 1].unsent = Int(try count.firstInteger() ?? 0) }
            return results
        }
    }

    /// The one path an update takes into the outbox, inside the caller's transaction: merged
    /// into the lead's latest row when that row is still `pending` and of the same kind (and
    /// `coalesce`), else a new row with this op id. A push and every row of an import come
    /// through here. Notes and merges never merge: each is sent as it was made.
    static func appendRow(_ db: Database, _ new: NewUpdate, opID: String, appID: String?, coalesce: Bool, now: Double) throws -> AppendResult {
        let lead = new.update.lead
        let key = Journal.leadKey(for: lead)
        if coalesce, new.kind == .update || new.kind == .tags,
            let latest = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE lead_key = ? ORDER BY seq DESC LIMIT 1"), arguments: [key]),
            (latest["state"] as String) == UpdateState.pending.rawValue, (latest["kind"] as String) == new.kind.rawValue
        {
            let existing = try Journal.entry(from: latest)
            let fields = existing.changes.merging(new.update.changes)
            var base = existing.base
            for (field, value) in new.base where existing.base[field] == nil && existing.changes[field] == nil {
                base[field] = value
            }
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET fields = ?, base = ?, merged_count = merged_count + 1, updated_at = ?,
                        lead_user_id = coalesce(lead_user_id, ?), lead_email = coalesce(?, lead_email),
                        api_version = coalesce(?, api_version)
                    WHERE seq = ? AND state = 'pending'
                    """
            ).execute(arguments: [Journal.encode(fields), Journal.encode(base), now, lead.userID, lead.email, new.apiVersion, existing.seq]
            )
            let merged = try Journal.fetchEntry(db, seq: existing.seq)!
            return AppendResult(entry: merged, merged: true)
        }
        // The row is not read back: every column is known here. (Reading it back, by
        // column name, was a quarter of an offline push's instructions.)
        let changes = Journal.encode(new.update.changes)
        let base = Journal.encode(new.base)
        try db.cachedStatement(
            sql: """
                INSERT INTO updates (op_id, lead_key, lead_id, lead_user_id, lead_email, fields, base,
                    base_updated_at, state, attempts, next_attempt_at, created_at, updated_at, api_version, app_id, kind)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            opID, key, lead.id, lead.userID, lead.email, changes, base, new.baseUpdatedAt, now, now, new.apiVersion, appID,
            new.kind.rawValue,
        ]
        )
        try countInserted(db, 1)
        let entry = JournalEntry(
            seq: db.lastInsertedRowID, opID: opID, lead: LeadReference(id: lead.id, userID: lead.userID, email: lead.email),
            changes: new.update.changes, base: new.base,
            baseUpdatedAt: new.baseUpdatedAt, state: .pending, attempts: 0, nextAttemptAt: 0,
            lastStatus: nil, lastErrorCode: nil, lastError: nil, theirs: nil,
            mergedCount: 1,  // the column's default
            createdAt: now, updatedAt: now, sentAt: nil, apiVersion: new.apiVersion, appID: appID, kind: new.kind)
        return AppendResult(entry: entry, merged: false)
    }

    /// Adds `rows` new `pending` rows to `update_counts`. Every INSERT INTO updates calls it
    /// in its transaction (schema 7 has no INSERT trigger; see the migration).
    static func countInserted(_ db: Database, _ rows: Int) throws {
        let statement = SQLiteStatementHandle(
            try db.cachedStatement(sql: "INSERT INTO update_counts (state, n) VALUES ('pending', ?) ON CONFLICT (state) DO UPDATE SET n = n + excluded.n"),
            db: db)
        try statement.run { s in try s.bind(1, Int64(rows)) }
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
            let filter = all ? "" : "AND state <> 'sent' AND state <> 'dropped'"
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE seq > ? \(filter) ORDER BY seq LIMIT ?"),
                arguments: [afterSeq, limit]
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
            try Int.fetchOne(db.cachedStatement(sql: Journal.unsentCountSQL)) ?? 0
        }
    }

    /// The running counts of `pending` and `sending` rows, read as two key look-ups: `state IN
    /// (...)` or `OR` made SQLite build a temporary table per read (34,000 instructions a push).
    static let unsentCountSQL = """
        SELECT coalesce((SELECT n FROM update_counts WHERE state = 'pending'), 0)
             + coalesce((SELECT n FROM update_counts WHERE state = 'sending'), 0)
        """

    /// Each lead's first unsent row (its head), found one lead at a time through
    /// `updates_unsent_by_lead`: the cost grows with the number of leads that have
    /// unsent rows, not with the number of rows.
    static let leadHeads = """
        WITH RECURSIVE leads(k) AS (
            SELECT (SELECT min(lead_key) FROM updates INDEXED BY updates_unsent_by_lead
                    WHERE state = 'pending' OR state = 'sending')
            UNION ALL
            SELECT (SELECT min(lead_key) FROM updates INDEXED BY updates_unsent_by_lead
                    WHERE (state = 'pending' OR state = 'sending') AND lead_key > leads.k)
            FROM leads WHERE leads.k IS NOT NULL
        )
        SELECT \(Journal.entryColumns(of: "u")) FROM leads JOIN updates AS u ON u.seq = (
            SELECT min(seq) FROM updates INDEXED BY updates_unsent_by_lead
            WHERE (state = 'pending' OR state = 'sending') AND lead_key = leads.k)
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
}
