import GRDB
import LeadModel

/// What `find` matches offline and what a selection (`load found`) edits: the cached leads as
/// the user sees them.
extension Journal {
    /// The cached leads, as the user sees them (unsent updates applied), that `matches`
    /// accepts, at most `limit`, by name, each as `transform` makes it. One read transaction;
    /// the snapshots are decoded one at a time, so memory holds only what `transform` keeps.
    /// With a projection, a lead with nothing unsent is decoded only as far as it names
    /// (`matches` and `transform` must read no other field); a lead with unsent rows is
    /// decoded whole, for its rows to apply to.
    public func cachedViews<T>(
        matching matches: (Contact) -> Bool, reading projection: JSONProjection = .all, limit: Int? = nil,
        _ transform: (Contact) -> T
    ) throws(JournalError) -> [T] {
        try read { db in
            let unsent = try Journal.leadsWithUnsentRows(db)
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT id, snapshot FROM leads INDEXED BY leads_listing ORDER BY name COLLATE NOCASE, email, id"))
            var found: [T] = []
            while found.count < (limit ?? .max), let row = try rows.next() {
                let view = try Journal.view(id: row[0], snapshot: row[1], unsent: unsent, projection: projection, db)
                guard matches(view) else { continue }
                found.append(transform(view))
            }
            return found
        }
    }

    /// The leads of `ids` as the user sees them, in the order given; a lead no longer cached
    /// is left out. With a projection, as ``cachedViews(matching:reading:limit:_:)``.
    public func cachedViews(ids: some Collection<String>, reading projection: JSONProjection = .all) throws(JournalError) -> [Contact] {
        try read { db in
            let unsent = try Journal.leadsWithUnsentRows(db)
            let statement = try db.cachedStatement(sql: "SELECT snapshot FROM leads WHERE id = ?")
            var views: [Contact] = []
            views.reserveCapacity(ids.count)
            for id in ids {
                guard let snapshot = try String.fetchOne(statement, arguments: [id]) else { continue }
                views.append(try Journal.view(id: id, snapshot: snapshot, unsent: unsent, projection: projection, db))
            }
            return views
        }
    }

    /// The keys (``Journal/leadKey(for:)``) of the leads with rows not yet sent.
    static func leadsWithUnsentRows(_ db: Database) throws -> Set<String> {
        try Set(String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT lead_key FROM updates WHERE state = 'pending' OR state = 'sending'")))
    }

    /// A cached lead as the user sees it: its snapshot, decoded as far as `projection` names
    /// when nothing of it is unsent, else whole with its unsent rows applied.
    static func view(id: String, snapshot: String, unsent: Set<String>, projection: JSONProjection, _ db: Database) throws -> Contact {
        if unsent.contains(id) { return try Journal.applyingUnsent(db, to: try Contact(json: snapshot)) }
        return try Contact(json: snapshot, keeping: projection)
    }
}

extension Journal {
    /// The highest sequence number the outbox has used (0 for none).
    public func latestSeq() throws(JournalError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM updates") ?? 0 }
    }
}
