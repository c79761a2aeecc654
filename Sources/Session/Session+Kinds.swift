import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// `tag`, `untag`, `tags`, `note`, `notes`, `merge into`: the rows that are not field updates.
///
/// Tags are edits like `set`: kept with the lead's other edits until `push` journals them, as a
/// tags row after the update. A note and a merge are journaled at once, as a `push` is.
extension Session {
    func tag(_ names: [String], add: Bool) throws(CommandFailure) -> Reply {
        if let selection {
            for name in names { tagEdits[name] = add }
            return Reply(.tagged(names: names, add: add, leads: selection.ids.count))
        }
        _ = try requireLead()
        for name in names { tagEdits[name] = add }
        return Reply(.tagged(names: names, add: add, leads: nil))
    }

    /// The loaded lead's tags as the user sees them: its copy with its unsent tags rows, then
    /// the unpushed `tag`/`untag` edits. Online, the workspace's tags are read again first
    /// (`GET /tags`, kept in the journal for their names and for Tab).
    func tags() async throws(CommandFailure) -> Reply {
        if selection != nil { throw oneLeadOnly("tags") }
        let lead = try requireLead()
        var notices: [Notice] = []
        if connectivity.mode == .online, let api {
            var listed: [IntercomTag]?
            do {
                listed = try await waitingOutRateLimits { () async throws(IntercomError) in try await api.tags().value }
            } catch {
                if error.isUnreachable {
                    notices += absorb(.unreachable(error.description))
                } else {
                    throw CommandFailure(.failed, "tags: GET /tags failed: \(error.description)")
                }
            }
            if let listed { try journalCall { try journal.recordTags(listed.map { ($0.name, $0.id) }, replacing: true) } }
        }
        let known = try journalCall { try journal.workspaceTags() }
        var byID: [String: String] = [:]
        var ids: [String: String] = [:]
        for tag in known {
            if let id = tag.id {
                byID[id] = tag.name
                ids[tag.name.lowercased()] = id
            }
        }
        let shown = lead.view.applyingTags(tagEdits, ids: ids)
        return Reply(.tagList(TagListView(names: shown.tagNames(names: byID), unpushed: tagEdits)), notices: notices)
    }

    /// The base of a tags row: whether the lead carried each tag as the user saw it.
    func tagsRow(for lead: LoadedLead) throws(CommandFailure) -> NewUpdate? {
        guard !tagEdits.isEmpty else { return nil }
        let base = try journalCall { try journal.tagBase(of: lead.view.reference, names: tagEdits.names) }
        return NewUpdate(
            update: LeadUpdate(unchecked: lead.view.reference, changes: tagEdits.fields), base: base, baseUpdatedAt: nil,
            apiVersion: apiVersion.description, kind: .tags)
    }

    func note(_ text: String) async throws(CommandFailure) -> Reply {
        if selection != nil { throw oneLeadOnly("note") }
        let lead = try requireLead()
        guard lead.view.reference.id != nil else {
            throw CommandFailure(.invalidUpdate, "a note needs the lead's id; load it by id first")
        }
        let row = NewUpdate(
            update: LeadUpdate(unchecked: lead.view.reference, changes: .note(text)), base: FieldChanges(), baseUpdatedAt: nil,
            apiVersion: apiVersion.description, kind: .note)
        return try await journalAtOnce(row, what: "note")
    }

    /// The lead's notes: Intercom's (online), then the unsent ones in the journal.
    func notes() async throws(CommandFailure) -> Reply {
        if selection != nil { throw oneLeadOnly("notes") }
        let lead = try requireLead()
        var unsent: [JournalEntry] = []
        let key = Journal.leadKey(for: lead.view.reference)
        try journalCall {
            try journal.forEachEntry { entry in
                if entry.kind == .note, Journal.leadKey(for: entry.lead) == key, entry.state != .sent { unsent.append(entry) }
            }
        }
        var listed: [IntercomNote]?
        var notices: [Notice] = []
        if connectivity.mode == .online, let api, let id = lead.view.reference.id {
            do {
                listed = try await waitingOutRateLimits { () async throws(IntercomError) in try await api.notes(contactID: id).value }
            } catch {
                if error.isUnreachable {
                    notices += absorb(.unreachable(error.description))
                } else {
                    throw CommandFailure(.failed, "notes failed: \(error.description)")
                }
            }
        }
        return Reply(.notes(NoteListView(notes: listed, unsent: unsent.map { ($0.seq, $0.changes.noteBody, $0.state) })), notices: notices)
    }

    func merge(into target: LeadReference, dryRun: Bool) async throws(CommandFailure) -> Reply {
        if selection != nil { throw oneLeadOnly("merge") }
        let lead = try requireLead()
        guard let leadID = lead.view.reference.id else {
            throw CommandFailure(.invalidUpdate, "a merge needs the lead's id; load it by id first")
        }
        if target.id == leadID { throw CommandFailure(.invalidUpdate, "a lead cannot be merged into itself") }
        if dryRun {
            let (method, path, body) = Session.mergeCall(leadID: leadID, into: target, dialect: dialect)
            return Reply(
                .preview(PushPreview(method: method, path: path, body: body, apiVersion: apiVersion, changes: ChangeList(leadID: leadID, changes: []))))
        }
        let row = NewUpdate(
            update: LeadUpdate(unchecked: lead.view.reference, changes: .merge(into: target)), base: FieldChanges(), baseUpdatedAt: nil,
            apiVersion: apiVersion.description, kind: .merge)
        return try await journalAtOnce(row, what: "merge")
    }

    /// The call a merge makes, for `--dry-run` (2.x names the user by id; an external id is
    /// searched first when it is sent).
    static func mergeCall(leadID: String, into target: LeadReference, dialect: Dialect) -> (String, String, JSONObject) {
        switch dialect {
        case .v2:
            return (
                "POST", "/contacts/merge",
                JSONObject([("from", .string(leadID)), ("into", .string(target.id ?? "(the id of external_id \(target.userID ?? ""))"))])
            )
        case .v1:
            let user: JSONValue = target.id.map { ["id": .string($0)] } ?? ["user_id": .string(target.userID ?? "")]
            return ("POST", "/contacts/convert", JSONObject([("contact", ["id": .string(leadID)]), ("user", user)]))
        }
    }

    /// Journals a note or a merge now, then replays when online, as `push` does.
    private func journalAtOnce(_ row: NewUpdate, what: String) async throws(CommandFailure) -> Reply {
        let appended = try journalCall { try journal.append(row, coalesce: false, now: clock.now()) }
        let seq = appended.entry.seq
        let delivered = try await deliverJournaled(appended, what: what)
        let entry = delivered.entry
        if entry.state == .failed {
            let message = "\(what) failed: \(entry.lastError ?? "refused") (#\(seq) kept as failed; `retry \(seq)` or `drop \(seq)`)"
            throw entry.lastErrorCode.map { CommandFailure.intercom($0, message) } ?? CommandFailure(.failed, message)
        }
        if entry.state == .sent, row.kind == .merge {
            // The lead is gone: the user it became (cached by the merge) is loaded in its place.
            let target = entry.changes.mergeTarget
            if let user = try journalCall({ try journal.cachedLead(id: target.id, userID: target.id == nil ? target.userID : nil) }) {
                current = LoadedLead(view: try journalCall { try journal.userView(of: user) }, fetchedAt: user.fetchedAt)
            }
        }
        return Reply(
            .pushed(PushOutcome(entry: entry, merged: false, unsent: delivered.unsent, waiting: waiting(for: entry))), notices: delivered.notices)
    }
}

/// `tags`: the lead's tags as the user sees them, and the unpushed tag edits.
public struct TagListView: Sendable {
    public var names: [String]
    public var unpushed: TagChanges
}

/// `notes`: Intercom's notes (nil offline), and the unsent ones as (seq, text, state).
public struct NoteListView: Sendable {
    public var notes: [IntercomNote]?
    public var unsent: [(seq: Int64, text: String, state: UpdateState)]
}
