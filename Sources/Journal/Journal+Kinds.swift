import Foundation
import GRDB
import LeadModel

/// Rows that are not field updates: tags, notes, merges (schema 10), and the workspace's tags.
extension Journal {
    /// A lead as the user sees it: `contact` with its unsent rows applied in order, updates'
    /// values and tags' additions and removals (notes and merges change no value shown).
    static func applyingUnsent(_ db: Database, to contact: Contact) throws -> Contact {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT kind, fields FROM updates WHERE lead_key = ? AND (state = 'pending' OR state = 'sending') ORDER BY seq"),
            arguments: [Journal.leadKey(for: contact.reference)])
        var view = contact
        var ids: [String: String]?
        for row in rows {
            switch OutboxKind(rawValue: row[0]) ?? .update {
            case .update:
                view = view.applying(try Journal.decodeChanges(row[1]))
            case .tags:
                if ids == nil { ids = try Journal.tagIDs(db) }
                view = view.applyingTags(TagChanges(fields: try Journal.decodeChanges(row[1])), ids: ids ?? [:])
            case .note, .merge:
                continue
            }
        }
        return view
    }

    /// Whether the lead, as the user sees it, carries each of `names`: a tags row's base.
    static func tagBase(_ db: Database, of lead: LeadReference, names: [String]) throws -> FieldChanges {
        guard let view = try Journal.cachedView(db, of: lead) else { return FieldChanges() }
        let ids = try Journal.tagIDs(db)
        var base = FieldChanges()
        for name in names { base[FieldKey(path: name)] = .bool(view.hasTag(name, id: ids[name.lowercased()])) }
        return base
    }

    /// The base of a tags row for `lead`: whether the lead, as the user sees it, carries each tag.
    public func tagBase(of lead: LeadReference, names: [String]) throws(JournalError) -> FieldChanges {
        try read { db in try Journal.tagBase(db, of: lead, names: names) }
    }

    /// Puts a delivered tags row's changes into the lead's cached copy (its fetch time kept: the
    /// copy is not fresher for it), so the lead shows its tags once the row is no longer unsent.
    static func applySentTags(_ db: Database, seq: Int64) throws {
        guard let entry = try Journal.fetchEntry(db, seq: seq), entry.kind == .tags, let id = entry.lead.id,
            let snapshot = try String.fetchOne(db.cachedStatement(sql: "SELECT snapshot FROM leads WHERE id = ?"), arguments: [id])
        else { return }
        let tagged = try Contact(json: snapshot).applyingTags(entry.tagChanges, ids: try Journal.tagIDs(db))
        try db.cachedStatement(sql: "UPDATE leads SET snapshot = ? WHERE id = ?").execute(arguments: [tagged.json, id])
    }

    // MARK: The workspace's tags

    /// Tag ids by lower-cased name, as far as they are known.
    static func tagIDs(_ db: Database) throws -> [String: String] {
        var ids: [String: String] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, id FROM workspace_tags WHERE id IS NOT NULL")) {
            ids[(row[0] as String).lowercased()] = row[1]
        }
        return ids
    }

    /// The workspace's tags the journal knows, by name (for Tab), with their ids where known.
    public func workspaceTags() throws(JournalError) -> [(name: String, id: String?)] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT name, id FROM workspace_tags ORDER BY name COLLATE NOCASE")).map { ($0[0], $0[1]) }
        }
    }

    /// The id of the tag named `name`, when the journal knows it (case does not matter).
    public func tagID(named name: String) throws(JournalError) -> String? {
        try readOne { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM workspace_tags WHERE name = ?"), arguments: [name])
        }
    }

    /// Remembers tags `GET /tags` listed or `POST /tags` answered with.
    /// - Parameter replacing: the list is the workspace's whole list: names no longer in it are forgotten.
    public func recordTags(_ tags: [(name: String, id: String)], replacing: Bool = false) throws(JournalError) {
        try write { db in
            if replacing { try db.execute(sql: "DELETE FROM workspace_tags") }
            for tag in tags {
                try db.cachedStatement(
                    sql: "INSERT INTO workspace_tags (name, id) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET name = excluded.name, id = excluded.id"
                ).execute(arguments: [tag.name, tag.id])
            }
        }
    }

    // MARK: Merges

    /// What a delivered merge does in the journal, in the replay's transaction: the merge row is
    /// `sent`, the lead leaves the cache, the user it became is cached, and every row still
    /// waiting for the lead is re-addressed to the user, in its place. A re-addressed update
    /// takes the user's values as its base when it is sent (``NewUpdate/baseAtSend``), so the
    /// move alone never makes a conflict.
    static func applyMerged(_ db: Database, seq: Int64, user: Contact, now: Double) throws {
        guard let entry = try Journal.fetchEntry(db, seq: seq) else { return }
        try Journal.apply(.sent(seq: seq, status: 200, lead: nil), db, now: now)
        try Journal.readdress(db, from: Journal.leadKey(for: entry.lead), to: user.reference, .behind(seq: seq), now: now)
        if let id = entry.lead.id, id != user.id {
            try db.cachedStatement(sql: "DELETE FROM leads WHERE id = ?").execute(arguments: [id])
            try db.cachedStatement(
                sql: """
                    INSERT INTO merged_leads (lead_id, user_id, user_external_id, user_email, merged_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (lead_id) DO UPDATE SET user_id = excluded.user_id, user_external_id = excluded.user_external_id,
                        user_email = excluded.user_email, merged_at = excluded.merged_at
                    """
            ).execute(arguments: [id, user.id, user.userID, user.email, now])
        }
        try Journal.upsertLead(db, user, fetchedAt: now)
    }

    /// Which of a lead's rows a merge moves to the user.
    enum MovedRows {
        /// Every row after the merge's `seq` not yet sent or dropped (the merge delivered).
        case behind(seq: Int64)
        /// Every row still to send but merges (a row that met the merged lead's 404).
        case unsent
    }

    /// Re-addresses lead `from`'s `rows` to `user`, in their places; their updates take the
    /// user's values when sent as their base.
    static func readdress(_ db: Database, from: String, to user: LeadReference, _ rows: MovedRows, now: Double) throws {
        let which: String
        var arguments: StatementArguments = [Journal.leadKey(for: user), user.id, user.userID, user.email, NewUpdate.baseAtSend, now, from]
        switch rows {
        case .behind(let seq):
            which = "seq > ? AND state <> 'sent' AND state <> 'dropped'"
            arguments += [seq]
        case .unsent:
            which = "(state = 'pending' OR state = 'sending') AND kind <> 'merge'"
        }
        try db.cachedStatement(
            sql: """
                UPDATE updates SET lead_key = ?, lead_id = ?, lead_user_id = ?, lead_email = coalesce(?, lead_email),
                    base_updated_at = CASE WHEN kind = 'update' THEN ? ELSE base_updated_at END, updated_at = ?
                WHERE lead_key = ? AND \(which)
                """
        ).execute(arguments: arguments)
    }

    /// The user a lead became, when leadsh delivered its merge (``applyMerged(_:seq:user:now:)``).
    public func mergedInto(leadID: String) throws(JournalError) -> LeadReference? {
        try readOne { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT user_id, user_external_id, user_email FROM merged_leads WHERE lead_id = ?"), arguments: [leadID]
            ).map { LeadReference(id: $0[0], userID: $0[1], email: $0[2]) }
        }
    }

    /// A row whose lead leadsh merged away (its send met a 404 or 410) follows the lead: the
    /// lead's rows still to send (merges aside) go to `user` in their places, and
    /// this claimed row goes back to `pending`, not counted as an attempt, to be sent again.
    static func applyFollowedMerge(_ db: Database, seq: Int64, user: LeadReference, now: Double) throws {
        guard let entry = try Journal.fetchEntry(db, seq: seq) else { return }
        try Journal.readdress(db, from: Journal.leadKey(for: entry.lead), to: user, .unsent, now: now)
        try Journal.apply(
            .release(seq: seq, countsAsAttempt: false, notBefore: 0, status: nil, errorCode: nil, error: nil), db, now: now)
    }
}
