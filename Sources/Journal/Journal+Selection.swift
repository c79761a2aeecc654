import GRDB
import LeadModel

/// What `find` matches offline and what a selection (`load found`) edits: the cached leads as
/// the user sees them.
extension Journal {
    /// The cached leads, as the user sees them (unsent updates applied), that `matches`
    /// accepts, at most `limit`, by name, each as `transform` makes it. One read transaction;
    /// the snapshots are decoded one at a time, so memory holds only what `transform` keeps.
    public func cachedViews<T>(
        matching matches: (Contact) -> Bool, limit: Int? = nil, _ transform: (Contact) -> T
    ) throws(JournalError) -> [T] {
        try read { db in
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id FROM leads INDEXED BY leads_listing ORDER BY name COLLATE NOCASE, email, id"))
            var found: [T] = []
            while found.count < (limit ?? .max), let row = try rows.next() {
                let id: String = row["id"]
                guard let view = try Journal.cachedView(db, of: LeadReference(id: id)), matches(view) else { continue }
                found.append(transform(view))
            }
            return found
        }
    }

    /// The leads of `ids` as the user sees them, in the order given; a lead no longer cached
    /// is left out.
    public func cachedViews(ids: some Collection<String>) throws(JournalError) -> [Contact] {
        try read { db in
            var views: [Contact] = []
            views.reserveCapacity(ids.count)
            for id in ids {
                if let view = try Journal.cachedView(db, of: LeadReference(id: id)) { views.append(view) }
            }
            return views
        }
    }
}

extension Journal {
    /// The highest sequence number the outbox has used (0 for none).
    public func latestSeq() throws(JournalError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM updates") ?? 0 }
    }
}
