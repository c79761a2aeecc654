import FakeIntercomCore
import Foundation
import Journal
import LeadModel

/// The invariants of the rows that are not field updates: notes, tags, merges. Checked after
/// every step (`final: false`) and once everything is synced (`final: true`).
extension Run {

    /// The lead a row was journaled for, whatever contact it is addressed to now: a delivered
    /// merge re-addresses the rows behind it to the user, and their contents still name the
    /// lead (an edit's value, a tag's name, a note's text are the lead's own).
    func origin(of row: JournalEntry) -> String? {
        switch row.kind {
        case .update:
            for field in Schedule.fields {
                if let value = row.changes[.standard(field)]?.stringValue, let lead = valueOrigin[value] { return lead }
            }
        case .tags:
            for name in row.tagChanges.names {
                if let index = Schedule.lead(ofTag: name), leads.indices.contains(index) { return leads[index] }
            }
        case .note:
            if let lead = noteOrigin[row.changes.noteBody] { return lead }
        case .merge:
            break
        }
        return row.lead.id
    }

    /// The contact a lead is in Intercom now: the user it was merged into, or itself.
    func became(_ lead: String) -> String { workspace.mergedInto(leadID: lead) ?? lead }

    /// The first broken invariant of notes, tags and merges, or nil.
    func otherKinds(_ rows: [JournalEntry], final: Bool) -> String? {
        notesLandOnce(rows) ?? tagsFollowLastRow(rows) ?? mergesKeepTheirRows(rows, final: final)
    }

    /// A note lands exactly once: a row recorded as sent has its note in Intercom once, on the
    /// lead or on the user the lead became (a merge moves notes); an unsent or failed row's
    /// note is there at most once. Never twice, whatever cuts and crashes came between.
    func notesLandOnce(_ rows: [JournalEntry]) -> String? {
        var held: [String: [FakeNote]] = [:]
        for contact in workspace.allLeads {
            for note in workspace.notes(leadID: contact.id) { held[note.body, default: []].append(note) }
        }
        for row in rows where row.kind == .note && row.state != .dropped {
            let text = row.changes.noteBody
            let found = held["<p>" + text + "</p>"] ?? []
            if found.count > 1 {
                let ids = found.map(\.id).joined(separator: ", ")
                return "note #\(row.seq) \"\(text)\" is in Intercom \(found.count) times (notes \(ids); the row is \(row.state))"
            }
            if row.state == .sent, found.isEmpty {
                return "note #\(row.seq) \"\(text)\" is recorded as sent, but Intercom has no such note"
            }
            if let note = found.first, let lead = origin(of: row), note.contactID != became(lead) {
                return "note #\(row.seq) \"\(text)\" of \(lead) is on \(note.contactID), not on the lead or the user it became (\(became(lead)))"
            }
        }
        return nil
    }

    /// A tag's presence follows the last row journaled for that (lead, tag name): once that row
    /// is sent, the contact the lead became carries the tag exactly when the row tags it. (A
    /// merge adds the lead's tags to the user; each lead's tags are its own, so no other row
    /// touches them.) A last row that failed may have landed or not: nothing is expected then.
    func tagsFollowLastRow(_ rows: [JournalEntry]) -> String? {
        var last: [String: JournalEntry] = [:]
        for row in rows where row.kind == .tags && row.state != .dropped {
            for name in row.tagChanges.names {
                if let seen = last[name], seen.seq > row.seq { continue }
                last[name] = row
            }
        }
        for (name, row) in last.sorted(by: { $0.key < $1.key }) where row.state == .sent {
            guard let index = Schedule.lead(ofTag: name), leads.indices.contains(index), let add = row.tagChanges[name] else { continue }
            let lead = leads[index]
            let contact = became(lead)
            let carries = workspace.tagNames(leadID: contact).contains { $0.lowercased() == name.lowercased() }
            if carries != add {
                let now = carries ? "carries it" : "lacks it"
                let whose = contact == lead ? "the lead" : "the user it became, \(contact),"
                return "tags #\(row.seq) (\(add ? "+" : "-")\(name) of \(lead)) is the last row for the tag and is sent, but \(whose) \(now)"
            }
        }
        return nil
    }

    /// Nothing pending for a merged lead is lost: a merge recorded as sent is a merge Intercom
    /// made, into the user it names; every row of the lead that waited behind it (journaled
    /// before it was recorded) is re-addressed to the user, never left on the lead that is gone,
    /// and once everything is synced has been sent, or failed with a reason. A row journaled
    /// after the merge was recorded follows it when its send meets the lead's 404: it never
    /// ends failed as not found. A row moved by a merge is never a conflict: its base is read
    /// from the user when it is sent.
    func mergesKeepTheirRows(_ rows: [JournalEntry], final: Bool) -> String? {
        for merge in rows where merge.kind == .merge && merge.state == .failed {
            guard let lead = merge.lead.id, let user = merge.changes.mergeTarget.id, workspace.mergedInto(leadID: lead) == user else { continue }
            // A merge that landed is found landed (the lead gone, the user there), unless a
            // fault answered one of the requests that find it so.
            let call = schedule.apiVersion.hasPrefix("1.") ? "POST /contacts/convert" : "POST /contacts/merge"
            let requests = ["GET /me", "GET /contacts/\(user)", "GET /contacts/\(lead)", call]
            if !requests.contains(where: world.answeredByFault) {
                return "merge #\(merge.seq) of \(lead) into \(user) failed (\(merge.lastError ?? "")), but Intercom merged it: "
                    + "a merge that landed must be recorded as sent, and the rows behind it follow it"
            }
        }
        for merge in rows where merge.kind == .merge && merge.state == .sent {
            guard let lead = merge.lead.id, let user = merge.changes.mergeTarget.id else { continue }
            let into = workspace.mergedInto(leadID: lead)
            if into != user {
                return "merge #\(merge.seq) of \(lead) into \(user) is recorded as sent, but Intercom "
                    + (into.map { "merged it into \($0)" } ?? "never merged it")
            }
            let recorded = merge.sentAt ?? merge.updatedAt
            for row in rows where row.seq > merge.seq && row.kind != .merge && row.state != .dropped && origin(of: row) == lead {
                guard row.createdAt <= recorded else {
                    if final, row.state == .failed, row.lastStatus == 404 || row.lastStatus == 410 {
                        return "\(row.kind.label) #\(row.seq) of \(lead), journaled after merge #\(merge.seq) was sent, failed as not found "
                            + "(\(row.lastError ?? "")) instead of following the lead to \(user)"
                    }
                    continue
                }
                if row.lead.id != user {
                    return "\(row.kind.label) #\(row.seq) of \(lead) waited behind merge #\(merge.seq), and was not re-addressed to \(user) "
                        + "(it names \(row.lead.id ?? row.lead.label); it is \(row.state))"
                }
                if row.state == .conflict {
                    return "\(row.kind.label) #\(row.seq) of \(lead), re-addressed to \(user) by merge #\(merge.seq), is in conflict"
                }
                if final, row.state != .sent, row.state != .failed {
                    return "\(row.kind.label) #\(row.seq) of \(lead), behind merge #\(merge.seq), ended \(row.state) with no fault left"
                }
            }
        }
        return nil
    }

    /// Once the faults end: each field of a user that merges reached holds the value of the
    /// last update sent to it (by the time it was recorded), or a value Intercom applied later
    /// from a row that then failed. Only rows moved there by a merge edit a user.
    func finalUserState(_ rows: [JournalEntry]) -> Violation? {
        let applied = world.applied
        for user in users {
            guard let contact = workspace.lead(id: user) else { continue }
            for field in Schedule.fields {
                let sent = rows.filter { $0.kind == .update && $0.lead.id == user && $0.state == .sent && $0.changes[.standard(field)] != nil }
                guard let newest = sent.max(by: { ($0.sentAt ?? 0, $0.seq) < ($1.sentAt ?? 0, $1.seq) }),
                    let expected = newest.changes[.standard(field)]?.stringValue
                else { continue }
                let actual = contact.value(of: .standard(field))?.stringValue
                if actual == expected { continue }
                let last = { (value: String?) in applied.lastIndex { $0.lead == user && $0.field == field && $0.value == value } }
                if let after = last(actual), let before = last(expected), after > before { continue }
                return Violation(
                    step: nil,
                    message: "user \(user).\(field) is \(actual ?? "null") in Intercom, but the last update sent to it (#\(newest.seq), "
                        + "moved there by a merge) set it to \(expected)")
            }
        }
        return nil
    }
}
