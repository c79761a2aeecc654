import Foundation
import GRDB
import LeadModel

/// What the replayer does to rows: claim, record outcomes, requeue, drop, reconcile.
extension Journal {
    /// Claims the next row that may be sent now: the oldest pending row of a lead
    /// with no earlier unsent row, marked `sending` with one more attempt.
    ///
    /// A lead's rows go in `seq` order: a row waits while its lead has an earlier one
    /// pending or sending.
    func claimNext(now: Double = Journal.now()) throws(JournalError) -> JournalEntry? {
        try write { db in try Journal.claimOne(db, now: now) }
    }

    /// Records what happened to claimed rows and claims up to `limit` more, in one transaction.
    ///
    /// The replayer's group commit: one `fsync` covers every outcome that arrived
    /// while the previous one was written and every row it starts next, instead of
    /// one for each claim and one for each outcome. The records are applied first,
    /// so a lead whose row just went `sent` can have its next row claimed here.
    public func recordAndClaim(_ records: [ReplayRecord], claim limit: Int, now: Double = Journal.now()) throws(JournalError) -> [JournalEntry] {
        guard !records.isEmpty || limit > 0 else { return [] }
        return try write { db -> [JournalEntry] in
            for record in records { try Journal.apply(record, db, now: now) }
            var claimed: [JournalEntry] = []
            while claimed.count < limit, let entry = try Journal.claimOne(db, now: now) { claimed.append(entry) }
            return claimed
        }
    }

    /// Claims one row (see ``claimNext(now:)``).
    ///
    /// Looks first among the oldest pending rows (cheap when many leads wait), then
    /// among each lead's first unsent row (cheap when few leads hold many rows), so a
    /// claim never reads the rows already sent, and a replay of n rows stays linear.
    static func claimOne(_ db: Database, now: Double) throws -> JournalEntry? {
        let oldest = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT \(Journal.entryColumns(of: "u")) FROM (
                        SELECT seq FROM updates INDEXED BY updates_pending_by_seq
                        WHERE state = 'pending' ORDER BY seq LIMIT 64) AS c
                    JOIN updates AS u ON u.seq = c.seq
                    WHERE u.next_attempt_at <= ?
                      AND NOT EXISTS (
                        SELECT 1 FROM updates AS p INDEXED BY updates_unsent_by_lead
                        WHERE p.lead_key = u.lead_key AND (p.state = 'pending' OR p.state = 'sending') AND p.seq < u.seq)
                    ORDER BY u.seq LIMIT 1
                    """),
            arguments: [now])
        let found =
            try oldest
            ?? Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(Journal.entryColumns) FROM (\(Journal.leadHeads)) WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT 1"),
                arguments: [now])
        guard let row = found else { return nil }
        var entry = try Journal.entry(from: row)
        try db.cachedStatement(sql: "UPDATE updates SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE seq = ?").execute(arguments: [
            now, entry.seq,
        ])
        entry.state = .sending
        entry.attempts += 1
        return entry
    }

    /// Writes one outcome of a claimed row.
    static func apply(_ record: ReplayRecord, _ db: Database, now: Double) throws {
        switch record {
        case .sent(let seq, let status, let lead):
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET state = 'sent', last_status = ?, last_error_code = NULL, last_error = NULL,
                        sent_at = ?, updated_at = ? WHERE seq = ?
                    """
            ).execute(arguments: [status, now, now, seq])
            if let lead {
                try Journal.upsertLead(db, lead, fetchedAt: now)
            } else {
                // A tags row brings no lead back: its tags go into the cached copy as sent.
                try Journal.applySentTags(db, seq: seq)
            }
        case .release(let seq, let countsAsAttempt, let notBefore, let status, let errorCode, let error):
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET state = 'pending', attempts = max(0, attempts - ?), next_attempt_at = ?,
                        last_status = coalesce(?, last_status), last_error_code = ?, last_error = ?, updated_at = ?
                    WHERE seq = ? AND state = 'sending'
                    """
            ).execute(arguments: [countsAsAttempt ? 0 : 1, notBefore, status, errorCode, error, now, seq])
        case .failed(let seq, let status, let errorCode, let error):
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET state = 'failed', last_status = ?, last_error_code = ?, last_error = ?, updated_at = ?
                    WHERE seq = ?
                    """
            ).execute(arguments: [status, errorCode, error, now, seq])
        case .merged(let seq, let user):
            try Journal.applyMerged(db, seq: seq, user: user, now: now)
        case .followedMerge(let seq, let user):
            try Journal.applyFollowedMerge(db, seq: seq, user: user, now: now)
        case .conflict(let seq, let theirs):
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET state = 'conflict', theirs = ?, last_error_code = 'conflict',
                        last_error = 'changed in Intercom since it was loaded', updated_at = ?
                    WHERE seq = ?
                    """
            ).execute(arguments: [Journal.encode(theirs), now, seq])
        }
    }

    /// Marks a claimed row delivered, and caches the lead Intercom returned.
    func markSent(seq: Int64, status: Int, lead: Contact?, now: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.apply(.sent(seq: seq, status: status, lead: lead), db, now: now) }
    }

    /// Puts a claimed row back to `pending`.
    ///
    /// - Parameters:
    ///   - countsAsAttempt: false for outcomes that are not the update's fault
    ///     (unreachable, 429, 401/403): the claim's attempt is given back.
    ///   - notBefore: Unix seconds before which it will not be sent again.
    public func release(
        seq: Int64, countsAsAttempt: Bool, notBefore: Double = 0, status: Int? = nil, errorCode: String? = nil,
        error: String? = nil, now: Double = Journal.now()
    ) throws(JournalError) {
        try write { db in
            try Journal.apply(
                .release(seq: seq, countsAsAttempt: countsAsAttempt, notBefore: notBefore, status: status, errorCode: errorCode, error: error), db, now: now)
        }
    }

    /// Marks a claimed row failed for good, keeping Intercom's code and message.
    func markFailed(seq: Int64, status: Int?, errorCode: String?, error: String, now: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.apply(.failed(seq: seq, status: status, errorCode: errorCode, error: error), db, now: now) }
    }

    /// Marks a claimed row in conflict with the server's values of the contested fields.
    func markConflict(seq: Int64, theirs: FieldChanges, now: Double = Journal.now()) throws(JournalError) {
        try write { db in try Journal.apply(.conflict(seq: seq, theirs: theirs), db, now: now) }
    }

    /// Settles a conflict in one transaction: the row gets the given fields and base and goes back to `pending`.
    public func requeueResolved(seq: Int64, changes: FieldChanges, base: FieldChanges, now: Double = Journal.now()) throws(JournalError) {
        try write { db in
            let entry = try Journal.requireEntry(db, seq: seq)
            guard entry.state == .conflict else {
                throw JournalError(.invalidState, "update #\(seq) is \(entry.state.rawValue), not in conflict")
            }
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET fields = ?, base = ?, state = 'pending', attempts = 0, next_attempt_at = 0,
                        theirs = NULL, updated_at = ?
                    WHERE seq = ?
                    """
            ).execute(arguments: [Journal.encode(changes), Journal.encode(base), now, seq])
        }
    }

    /// Requeues a failed, conflicting or dropped row: `pending`, attempts reset.
    @discardableResult
    public func retry(seq: Int64, now: Double = Journal.now()) throws(JournalError) -> JournalEntry {
        try write { db -> JournalEntry in
            let entry = try Journal.requireEntry(db, seq: seq)
            guard [.failed, .conflict, .dropped, .pending].contains(entry.state) else {
                throw JournalError(.invalidState, "update #\(seq) is \(entry.state.rawValue); only failed, conflict or dropped updates can be retried")
            }
            try db.cachedStatement(
                sql: """
                    UPDATE updates SET state = 'pending', attempts = 0, next_attempt_at = 0, theirs = NULL, updated_at = ?
                    WHERE seq = ?
                    """
            ).execute(arguments: [now, seq])
            return try Journal.fetchEntry(db, seq: seq)!
        }
    }

    /// Abandons a row that is not being sent: state `dropped`, kept for the record.
    @discardableResult
    public func drop(seq: Int64, now: Double = Journal.now()) throws(JournalError) -> JournalEntry {
        try write { db -> JournalEntry in
            let entry = try Journal.requireEntry(db, seq: seq)
            guard [.failed, .conflict, .pending].contains(entry.state) else {
                throw JournalError(.invalidState, "update #\(seq) is \(entry.state.rawValue); only pending, failed or conflict updates can be dropped")
            }
            try db.cachedStatement(sql: "UPDATE updates SET state = 'dropped', updated_at = ? WHERE seq = ?").execute(arguments: [now, seq])
            return try Journal.fetchEntry(db, seq: seq)!
        }
    }

    /// Returns rows a crashed replayer left `sending` to `pending`. Call only while
    /// holding the replay lock, so no live replayer owns them.
    @discardableResult
    public func reconcileOrphans(now: Double = Journal.now()) throws(JournalError) -> Int {
        try write { db in
            try db.cachedStatement(sql: "UPDATE updates SET state = 'pending', updated_at = ? WHERE state = 'sending'").execute(arguments: [now])
            return db.changesCount
        }
    }
}

/// What happened to a claimed row, as the replayer records it.
public enum ReplayRecord: Sendable {
    /// Delivered; `lead` is the lead Intercom returned, cached.
    case sent(seq: Int64, status: Int, lead: Contact?)
    /// Back to `pending`; see ``Journal/release(seq:countsAsAttempt:notBefore:status:errorCode:error:now:)``.
    case release(seq: Int64, countsAsAttempt: Bool, notBefore: Double, status: Int?, errorCode: String?, error: String?)
    /// Failed for good, with Intercom's code and message.
    case failed(seq: Int64, status: Int?, errorCode: String?, error: String)
    /// In conflict with the server's values of the contested fields.
    case conflict(seq: Int64, theirs: FieldChanges)
    /// A merge delivered: the lead became `user`; see ``Journal/applyMerged(_:seq:user:now:)``.
    case merged(seq: Int64, user: Contact)
    /// A row for a lead leadsh had merged into `user`, re-addressed to it with the lead's other
    /// unsent rows and put back to `pending`; see ``Journal/applyFollowedMerge(_:seq:user:now:)``.
    case followedMerge(seq: Int64, user: LeadReference)
}

/// The rate-limit hold: the time before which nothing may be sent to Intercom, kept in the
/// journal (meta `rate_limit_until`) so that a later process honours a window an earlier one met.
extension Journal {
    /// The recorded hold, in Unix seconds, or nil when none was ever recorded.
    public func rateLimitHold() throws(JournalError) -> Double? {
        try readOne { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'rate_limit_until'")).flatMap(Double.init)
        }
    }

    /// Records a hold; an earlier one than the recorded hold changes nothing.
    public func recordRateLimitHold(until time: Double) throws(JournalError) {
        try write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO meta (key, value) VALUES ('rate_limit_until', ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(value AS REAL) < CAST(excluded.value AS REAL)
                    """
            ).execute(arguments: [String(time)])
        }
    }
}
