import Foundation
import IntercomClient
import Journal
import LeadModel

/// Delivering the rows that are not field updates: tags, notes, merges.
///
/// Each call goes through the client's one send path, and its failure through the one policy
/// (``FailurePolicy/rule(for:row:)``): 429 waits, 5xx retries, refused and 401 stop. The policy
/// has two rules of these kinds: a 403 on a tag or note call fails that row and names the
/// permission (it does not stop the updates), and a note's or merge's send with an unknown
/// outcome counts as an attempt. A note or merge whose earlier send may have landed is
/// checked before it is sent again.
extension Replayer {
    /// Whether an earlier send of this row may have reached Intercom: a claim before this one
    /// (a cut answer, a timeout, a 5xx, a crash while it was `sending`).
    static func mayHaveLanded(_ entry: JournalEntry) -> Bool { entry.attempts > 1 }

    /// Tags: each name in the row's order. 1.x `POST /tags` names the lead; 2.x finds the tag's
    /// id (the journal's, else `POST /tags`, remembered) and attaches or detaches it. Both are
    /// idempotent, so a row sent again after a cut does no harm.
    func deliverTags(_ entry: JournalEntry) async -> Outcome {
        var rateLimit = RateLimitInfo()
        do {
            for (name, add) in entry.tagChanges {
                switch api.dialect {
                case .v1:
                    let answer = try await api.setTagV1(named: name, lead: entry.lead, add: add)
                    rateLimit = answer.rateLimit
                    try? journal.recordTags([(answer.value.name, answer.value.id)])
                case .v2:
                    guard let contactID = entry.lead.id else {
                        return .invalid(entry, "tags under 2.x need the lead's id; load it by id and tag it again")
                    }
                    var tagID = try? journal.tagID(named: name)
                    if tagID == nil {
                        let created = try await api.createTag(named: name)
                        tagID = created.value.id
                        try? journal.recordTags([(created.value.name, created.value.id)])
                    }
                    rateLimit = try await api.setTag(contactID: contactID, tagID: tagID ?? "", add: add)
                }
            }
        } catch {
            return .failure(entry, error)
        }
        return .done(entry, rateLimit, alreadyApplied: false)
    }

    /// A note, exactly once. When an earlier send may have landed, the lead's notes are listed
    /// first: a note with the same text (as a person reads it: Intercom stores HTML, `<p>TEXT</p>`)
    /// by the same admin, made no earlier than ten minutes before the row was journaled, is this
    /// row's, and it is not sent again.
    func deliverNote(_ entry: JournalEntry) async -> Outcome {
        guard let contactID = entry.lead.id else {
            return .invalid(entry, "a note needs the lead's id; load it by id and add the note again")
        }
        let body = entry.changes.noteBody
        do {
            let app = try await api.app()
            if Replayer.mayHaveLanded(entry) {
                let listed = try await api.notes(contactID: contactID)
                if Replayer.findOwnNote(listed.value, body: body, adminID: app.adminID, journaledAt: entry.createdAt) != nil {
                    return .done(entry, listed.rateLimit, alreadyApplied: true)
                }
            }
            let added = try await api.addNote(contactID: contactID, body: body, adminID: app.adminID)
            return .done(entry, added.rateLimit, alreadyApplied: false)
        } catch {
            return .failure(entry, error)
        }
    }

    /// The note of `notes` that is this row's, if any (see ``deliverNote(_:)``).
    static func findOwnNote(_ notes: [IntercomNote], body: String, adminID: String?, journaledAt: Double) -> IntercomNote? {
        // leadsh sends plain text: only its white space is folded (`<Friday>` is text, not a tag).
        let text = body.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return notes.first { note in
            guard note.text == text else { return false }
            if let adminID, let author = note.authorID, author != adminID { return false }
            if let created = note.createdAt, Double(created) < journaledAt - 600 { return false }
            return true
        }
    }

    /// A merge. The user is looked up only when needed: under 2.x when it is named by external
    /// id (2.x merges by id), and when an earlier send may have landed. Then the lead is read:
    /// gone (404, 410) while the user is there means it landed, and a 404 is not a failure.
    /// A target that is not a user fails the row with Intercom's reason. Once delivered, the
    /// journal re-addresses the rows waiting behind it to the user (``ReplayRecord/merged(seq:user:)``).
    func deliverMerge(_ entry: JournalEntry) async -> Outcome {
        guard let leadID = entry.lead.id else {
            return .invalid(entry, "a merge needs the lead's id; load it by id and merge again")
        }
        let target = entry.changes.mergeTarget
        do {
            let needsLookup = Replayer.mayHaveLanded(entry) || (api.dialect == .v2 && target.id == nil)
            let user = needsLookup ? try await api.findUser(target) : nil
            if needsLookup, api.dialect == .v2, user == nil {
                return .invalid(entry, "no user \(target.label) to merge into (deleted, or not a user?)")
            }
            if let user, user.fields["role"]?.stringValue == "lead" {
                return .invalid(entry, "\(user.id) is a lead, not a user: a lead merges only into a user")
            }
            if Replayer.mayHaveLanded(entry), let user {
                do {
                    _ = try await api.fetch(id: leadID)
                } catch  where error.status == 404 || error.status == 410 {
                    return .merged(entry, user, RateLimitInfo(), alreadyApplied: true)
                }
            }
            let merged = try await api.merge(leadID: leadID, into: user?.reference ?? target)
            return .merged(entry, merged.value, merged.rateLimit, alreadyApplied: false)
        } catch {
            return .failure(entry, error)
        }
    }

    /// The message a 403 on a tag or note call leaves on its row: the permission it lacks.
    static func forbiddenMessage(_ entry: JournalEntry, _ error: IntercomError) -> String {
        let what = entry.kind == .note ? "write notes" : "tag contacts"
        return "\(error.description): the token may not \(what) (give its app that permission in Intercom's Developer Hub); "
            + "other updates go on; `retry \(entry.seq)` once it may"
    }
}
