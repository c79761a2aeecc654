import CommandParser
import Journal
import LeadModel

/// `revert SEQ[..SEQ]`: queue the inverse of sent updates, newest first.
extension Session {
    /// Each sent update's fields go back to their base values, as a new update whose base is
    /// what was sent: the replay's conflict check leaves alone (and reports) a field someone
    /// changed since.
    func revert(from first: Int64, through last: Int64) async throws(CommandFailure) -> Reply {
        // One update must be sent; of a range, the rows not sent are reported and left alone.
        var notices: [Notice] = []
        let sent: [JournalEntry]
        if first == last {
            sent = try journalCall { try journal.sentUpdates(from: first, through: last) }
        } else {
            let rows = try journalCall { try journal.updatesToRevert(from: first, through: last) }
            guard !rows.sent.isEmpty else {
                throw CommandFailure(
                    .invalidState, "no update of \(first)..\(last) is sent yet: only a sent update can be reverted (`sync` first, or `drop` what is pending)")
            }
            sent = rows.sent
            if !rows.unsent.isEmpty { notices.append(.notReverted(rows.unsent.reversed().map { Notice.NotReverted(seq: $0.seq, state: $0.state.rawValue) })) }
        }
        // Checked for the whole range before anything is journaled. An update imported while its
        // lead was not cached recorded no old values: "back to the base" would clear its fields.
        if let other = sent.first(where: { $0.kind == .note || $0.kind == .merge }) {
            let why = other.kind == .note ? "a note cannot be taken back (delete it in Intercom)" : "a merge cannot be undone: the lead is gone"
            throw CommandFailure(.invalidState, "#\(other.seq) cannot be reverted: \(why)")
        }
        if let blind = sent.first(where: { $0.baseUpdatedAt == nil && $0.kind == .update }) {
            throw CommandFailure(
                .invalidState,
                "update #\(blind.seq) cannot be reverted: its old values were never recorded (it was imported while its lead was not cached); set them by hand")
        }
        var reverted: [Reverted] = []
        for entry in sent {
            let inverse: NewUpdate
            do {
                inverse = try entry.inverse(apiVersion: apiVersion.description)
            } catch {
                throw CommandFailure(.invalidUpdate, "revert \(entry.seq) refused: \(error.description)")
            }
            let appended = try journalCall { try journal.append(inverse, coalesce: false, now: clock.now()) }
            reverted.append(Reverted(original: entry.seq, inverse: appended.entry, after: nil))
        }
        if connectivity.mode == .online, replayer != nil {
            let replay = try await replayNow(readingBack: nil)
            notices += replay.notices
            for index in reverted.indices {
                reverted[index].after = try journalCall { try journal.entry(seq: reverted[index].inverse.seq) }?.state
            }
            try refreshCurrent()
        }
        return Reply(.reverted(reverted), notices: notices)
    }
}
