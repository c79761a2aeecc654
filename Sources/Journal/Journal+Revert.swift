import GRDB
public import LeadModel

extension Journal {
    /// The sent updates with sequence numbers from `first` through `last`, newest first: what
    /// `revert SEQ..SEQ` undoes, in the order it undoes them.
    ///
    /// - Throws: `JournalError` `.noSuchEntry` when a number in the range has no row, or
    ///   `.invalidState` naming the first row that was not sent (only a sent update can be
    ///   reverted: an unsent one can be dropped instead).
    public func sentUpdates(from first: Int64, through last: Int64) throws(JournalError) -> [JournalEntry] {
        let rows = try updatesToRevert(from: first, through: last)
        if let unsent = rows.unsent.first {
            let hint = [.pending, .failed, .conflict].contains(unsent.state) ? "; `drop \(unsent.seq)` abandons it instead" : ""
            throw JournalError(.invalidState, "update #\(unsent.seq) is \(unsent.state.rawValue), not sent: only a sent update can be reverted\(hint)")
        }
        return rows.sent
    }

    /// The rows `first` through `last`, newest first: those sent (which `revert` can undo), and
    /// the others (pending, failed, conflict, dropped), which a range's `revert` reports and
    /// leaves alone.
    public func updatesToRevert(from first: Int64, through last: Int64) throws(JournalError) -> (sent: [JournalEntry], unsent: [JournalEntry]) {
        guard first <= last else {
            throw JournalError(.noSuchEntry, "the range \(first)..\(last) is empty; write the lower number first")
        }
        return try read { db -> (sent: [JournalEntry], unsent: [JournalEntry]) in
            let entries = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE seq BETWEEN ? AND ? ORDER BY seq DESC"), arguments: [first, last]
            ).map(Journal.entry(from:))
            let present = Set(entries.map(\.seq))
            for seq in stride(from: last, through: first, by: -1) where !present.contains(seq) {
                throw try Journal.missingUpdate(db, seq: seq)
            }
            return (entries.filter { $0.state == .sent }, entries.filter { $0.state != .sent })
        }
    }
}

extension JournalEntry {
    /// The update that undoes this one: each changed field back to its base value (`null` where
    /// the field was absent), with this update's values as the base, so the replay's conflict
    /// check leaves alone a field someone changed since it was sent (the replay always re-reads
    /// the lead for it, however fresh the cache: see ``NewUpdate/baseNotFromCache``).
    ///
    /// Only for an update with a recorded base (`baseUpdatedAt` not nil): an import row whose
    /// lead was not cached has none, and its fields' old values are unknown.
    ///
    /// - Throws: `LeadUpdateError` when the lead cannot be named for an update.
    public func inverse(apiVersion: String?) throws(LeadUpdateError) -> NewUpdate {
        if kind == .tags {
            // Each tag back to whether the lead carried it: an untag for a tag, a tag for an untag.
            var undo = TagChanges()
            for (name, add) in tagChanges { undo[name] = base[FieldKey(path: name)]?.boolValue ?? !add }
            return NewUpdate(
                update: LeadUpdate(unchecked: lead, changes: undo.fields), base: changes, baseUpdatedAt: nil, apiVersion: apiVersion, kind: .tags)
        }
        var undo = FieldChanges()
        for (key, _) in changes { undo[key] = base[key] ?? .null }
        return NewUpdate(
            update: try LeadUpdate(lead: lead, changes: undo), base: changes, baseUpdatedAt: NewUpdate.baseNotFromCache,
            apiVersion: apiVersion)
    }
}
