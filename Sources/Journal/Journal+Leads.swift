import GRDB
public import LeadModel

/// One cached lead as `leads` lists it: who it is, how old the copy is, and what waits for it.
public struct LeadSummary: Sendable, Hashable {
    public var id: String
    /// 1.x's `user_id`, 2.x's `external_id`.
    public var userID: String?
    public var name: String?
    public var email: String?
    /// Unix seconds when the cached copy was fetched.
    public var fetchedAt: Double
    /// The lead's updates not yet delivered: `pending`, `sending`, `failed` or `conflict`.
    public var unsent: Int

    public init(id: String, userID: String?, name: String?, email: String?, fetchedAt: Double, unsent: Int) {
        self.id = id
        self.userID = userID
        self.name = name
        self.email = email
        self.fetchedAt = fetchedAt
        self.unsent = unsent
    }
}

/// Cached values that complete the word after `load`.
public struct LeadCompletions: Sendable, Hashable {
    /// Ids starting with the prefix.
    public var ids: [String] = []
    /// Emails starting with the prefix (case-insensitive), without `email=`.
    public var emails: [String] = []
    /// Names starting with the prefix (case-insensitive).
    public var names: [String] = []
    /// The ids of the leads whose name starts with the prefix (case-insensitive), at most two:
    /// one means the name stands for that lead.
    public var idsByName: [String] = []
}

extension Journal {
    /// Stores several freshly fetched leads (a search's results) in one transaction.
    public func cache(_ contacts: [Contact], fetchedAt: Double = Journal.now()) throws(JournalError) {
        guard !contacts.isEmpty else { return }
        try write { db in
            for contact in contacts { try Journal.upsertLead(db, contact, fetchedAt: fetchedAt) }
        }
    }

    /// The cached leads whose name or email contains `filter` (ignoring case; nil or empty lists
    /// all), by name, at most `limit`.
    ///
    /// Reads one index that holds every listed column, never the snapshots, and counts each
    /// lead's unsent updates through an index of the unsent rows, so it stays fast with many
    /// leads and many sent updates.
    public func leads(filter: String? = nil, limit: Int = 10_000) throws(JournalError) -> [LeadSummary] {
        let needle = filter.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        return try read { db in
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT l.id, l.user_id, l.name, l.email, l.fetched_at,
                            (SELECT count(*) FROM updates AS u INDEXED BY updates_open_by_lead
                             WHERE u.lead_key IN (l.id, 'user_id:' || l.user_id)
                               AND u.state <> 'sent' AND u.state <> 'dropped') AS unsent
                        FROM leads AS l INDEXED BY leads_listing
                        ORDER BY l.name COLLATE NOCASE, l.email, l.id
                        """))
            var found: [LeadSummary] = []
            while found.count < limit, let row = try rows.next() {
                let name: String? = row["name"]
                let email: String? = row["email"]
                if let needle {
                    let matches = (name?.lowercased().contains(needle) ?? false) || (email?.lowercased().contains(needle) ?? false)
                    if !matches { continue }
                }
                found.append(
                    LeadSummary(
                        id: row["id"], userID: row["user_id"], name: name, email: email, fetchedAt: row["fetched_at"],
                        unsent: row["unsent"]))
            }
            return found
        }
    }

    /// The cached leads with this email, ignoring case, most recently fetched first: what
    /// `find email=` and `load email=` answer offline.
    public func cachedLeads(email: String) throws(JournalError) -> [CachedLead] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT snapshot, fetched_at FROM leads INDEXED BY leads_by_email
                        WHERE email = ? COLLATE NOCASE ORDER BY fetched_at DESC, id
                        """),
                arguments: [email]
            ).map { row in
                let snapshot: String = row["snapshot"]
                return CachedLead(contact: try Contact(json: snapshot), fetchedAt: row["fetched_at"])
            }
        }
    }

    /// Cached ids, emails and names that start with `prefix` (emails and names ignoring case),
    /// each sorted, at most `limit` of each: Tab's candidates after `load`.
    public func leadCompletions(prefix: String, limit: Int = 50) throws(JournalError) -> LeadCompletions {
        let pattern = Journal.likeEscaped(prefix) + "%"
        return try read { db in
            var completions = LeadCompletions()
            completions.ids = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM leads WHERE id >= ? AND id < ? ORDER BY id LIMIT ?"),
                arguments: [prefix, prefix + "\u{10FFFF}", limit])
            /// The distinct values of `column` matching the pattern, through the index that orders them.
            func matching(_ column: String, index: String) throws -> [String] {
                try String.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT DISTINCT \(column) FROM leads INDEXED BY \(index)
                            WHERE \(column) LIKE ? ESCAPE '\\' ORDER BY \(column) COLLATE NOCASE LIMIT ?
                            """),
                    arguments: [pattern, limit])
            }
            completions.emails = try matching("email", index: "leads_by_email")
            completions.names = try matching("name", index: "leads_listing")
            completions.idsByName = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM leads INDEXED BY leads_listing WHERE name LIKE ? ESCAPE '\\' LIMIT 2"),
                arguments: [pattern])
            return completions
        }
    }

    /// `text` for a LIKE pattern: `%`, `_` and `\` match only themselves.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "%" || scalar == "_" || scalar == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
