import Foundation
import GRDB
import LeadModel

/// The cache of leads as `load` read them.
extension Journal {
    /// Stores a freshly fetched lead, replacing any older copy.
    public func cache(_ contact: Contact, fetchedAt: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.upsertLead(db, contact, fetchedAt: fetchedAt) }
    }

    static func upsertLead(_ db: Database, _ contact: Contact, fetchedAt: Double) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO leads (id, user_id, email, name, snapshot, updated_at, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email,
                    name = excluded.name, snapshot = excluded.snapshot, updated_at = excluded.updated_at,
                    fetched_at = excluded.fetched_at
                """
        ).execute(arguments: [contact.id, contact.userID, contact.email, contact.name, contact.json, contact.updatedAt, fetchedAt]
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
                row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT snapshot, fetched_at FROM leads WHERE user_id = ? ORDER BY fetched_at DESC LIMIT 1"), arguments: [userID])
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
        try read { db in try Journal.applyingUnsent(db, to: cached.contact) }
    }
}
