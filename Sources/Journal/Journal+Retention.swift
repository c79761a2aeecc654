import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a prune did, or (a dry run) would do.
public struct PruneReport: Sendable, Equatable {
    /// Where the space of the pruned rows went.
    public enum Space: Sendable, Equatable {
        /// Given back to the file system: `bytesBefore - bytesAfter`.
        case givenBack
        /// A dry run: about this many bytes would be given back.
        case estimated(Int)
        /// Kept in the file (new updates reuse it): the journal needs its one full VACUUM, which
        /// needs about `needed` bytes free beside it, and only `free` are.
        case noRoom(needed: Int, free: Int)
        /// Kept in the file: the VACUUM failed (SQLite's words).
        case failed(String)
    }

    /// The retention in days; 0 keeps every update.
    public var retentionDays: Int
    /// Sent and dropped updates removed (a dry run: that would be).
    public var pruned: Int
    /// The journal's size on disk, the file and its `-wal`, before and after.
    public var bytesBefore: Int
    public var bytesAfter: Int
    public var space: Space
    public var dryRun: Bool

    /// Bytes given back to the file system (a dry run: the estimate).
    public var bytesFreed: Int {
        if case .estimated(let bytes) = space { return bytes }
        return max(0, bytesBefore - bytesAfter)
    }
}

/// Retention: sent and dropped updates older than the retention are pruned, and the space they
/// held given back to the file system. Pending, sending, failed and conflict rows never are.
///
/// What pruning keeps: for each import file (`import:<hash>:`), the runs of row numbers that were
/// journaled (`pruned_imports`), so that a rerun of an old file journals nothing twice; the highest
/// sequence number pruned and the retention it was pruned under (meta `pruned_through_seq`,
/// `retention_days`), so that `revert` of a pruned update says so; and when it last ran (meta
/// `last_pruned_at`). Op ids of pushes (UUIDs) and of a selection's push (`select:`) are never
/// replayed from a file, so nothing of them is kept. Exports (`exports`, `exported_leads`) are
/// not updates and are kept: an exported file can come back at any time.
extension Journal {
    /// The retention when the workspace names none.
    public static let defaultRetentionDays = 30
    /// The start of `sync` and of the shell prunes at most once in this many seconds.
    public static let pruneInterval: Double = 86_400
    /// Rows removed per transaction: the `-wal` file grows by one batch's pages, not the
    /// whole prune's, so pruning needs little free space.
    static let pruneBatchSize = 5_000

    /// The bytes free for an unprivileged writer on the file system holding `path`; nil when
    /// `statvfs` cannot tell.
    public static func freeBytes(besides path: String) -> Int? {
        var info = statvfs()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(directory, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// The journal's size on disk: the file and its `-wal`.
    public func sizeOnDisk() -> Int {
        (Journal.fileSize(path) ?? 0) + (Journal.fileSize(path + "-wal") ?? 0)
    }

    /// Prunes as ``prune(retentionDays:now:dryRun:automatic:freeSpace:)`` does when the last
    /// prune was `pruneInterval` or more ago (or never, or in the clock's future); nil when it
    /// was not due, or `retentionDays` is 0.
    public func pruneIfDue(
        retentionDays: Int, now: Double, freeSpace: (String) -> Int? = Journal.freeBytes(besides:)
    ) throws(JournalError) -> PruneReport? {
        guard retentionDays > 0 else { return nil }
        let last = try readOne { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'last_pruned_at'")).flatMap(Double.init)
        }
        if let last, now >= last, now - last < Journal.pruneInterval { return nil }
        return try prune(retentionDays: retentionDays, now: now, automatic: true, freeSpace: freeSpace)
    }

    /// Removes the sent and dropped updates last changed more than `retentionDays` days before
    /// `now`, then gives their space back to the file system.
    ///
    /// Rows go in batches, each one transaction that also records what the rerun of an import
    /// needs, so an interrupted prune loses nothing and the next one carries on. A journal in
    /// incremental auto-vacuum (every journal created since schema 9) gives its free pages back
    /// at once; an older one needs one full VACUUM, which needs about the file's size free
    /// beside it: without it the rows are still pruned, the space stays in the file for new
    /// updates, and the report says so.
    ///
    /// - Parameters:
    ///   - retentionDays: 0 prunes nothing (the free pages are still given back).
    ///   - dryRun: Count and estimate only; nothing is written.
    ///   - automatic: The start of `sync` or of the shell: an older journal gets its full
    ///     VACUUM only when this prune removed rows.
    ///   - freeSpace: The bytes free beside a path (a test's seam).
    /// - Throws: `JournalError` `.storage` when a read or a batch fails; a failed VACUUM is
    ///   reported in ``PruneReport/space``, not thrown.
    public func prune(
        retentionDays: Int, now: Double, dryRun: Bool = false, automatic: Bool = false,
        freeSpace: (String) -> Int? = Journal.freeBytes(besides:)
    ) throws(JournalError) -> PruneReport {
        let cutoff = now - Double(retentionDays) * 86_400
        let before = sizeOnDisk()
        if dryRun { return try estimatePrune(retentionDays: retentionDays, cutoff: cutoff, sizeNow: before) }
        var pruned = 0
        if retentionDays > 0 {
            var after: Int64 = 0
            while true {
                let batch = try write { db in try Journal.pruneBatch(db, cutoff: cutoff, after: after, retentionDays: retentionDays, now: now) }
                pruned += batch.count
                guard let last = batch.last else { break }
                after = last
            }
        }
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_pruned_at', ?)", arguments: [String(now)])
        }
        let space = giveSpaceBack(fullVacuum: !automatic || pruned > 0, freeSpace: freeSpace)
        return PruneReport(retentionDays: retentionDays, pruned: pruned, bytesBefore: before, bytesAfter: sizeOnDisk(), space: space, dryRun: false)
    }

    /// A dry run: the rows a prune would remove, and about the bytes it would give back (their
    /// columns and index entries, and the pages already free).
    private func estimatePrune(retentionDays: Int, cutoff: Double, sizeNow: Int) throws(JournalError) -> PruneReport {
        try read { db -> PruneReport in
            var rows = 0
            var bytes = 0
            if retentionDays > 0 {
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT count(*), coalesce(sum(length(op_id) * 2 + length(lead_key) * 2 + coalesce(length(lead_id), 0)
                            + coalesce(length(lead_user_id), 0) + coalesce(length(lead_email), 0) + length(fields) + length(base)
                            + coalesce(length(theirs), 0) + coalesce(length(last_error), 0) + coalesce(length(last_error_code), 0)
                            + coalesce(length(api_version), 0) + coalesce(length(app_id), 0) + 100), 0)
                        FROM updates WHERE (state = 'sent' OR state = 'dropped') AND updated_at < ?
                        """, arguments: [cutoff])
                rows = row?[0] ?? 0
                bytes = row?[1] ?? 0
            }
            let freePages = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            let estimate = min(sizeNow, bytes + freePages * pageSize)
            return PruneReport(
                retentionDays: retentionDays, pruned: rows, bytesBefore: sizeNow, bytesAfter: sizeNow - estimate, space: .estimated(estimate),
                dryRun: true)
        }
    }

    /// One batch of a prune, inside its transaction: up to `pruneBatchSize` prunable rows after
    /// `after`, the import op ids among them and merged into them recorded, then removed.
    /// Answers how many rows went and the last sequence number looked at (nil: none left).
    static func pruneBatch(_ db: Database, cutoff: Double, after: Int64, retentionDays: Int, now: Double) throws -> (count: Int, last: Int64?) {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT seq, op_id FROM updates WHERE seq > ? AND (state = 'sent' OR state = 'dropped') AND updated_at < ? ORDER BY seq LIMIT ?"),
            arguments: [after, cutoff, pruneBatchSize])
        guard let lastRow = rows.last else { return (0, nil) }
        let first: Int64 = rows[0][0]
        let last: Int64 = lastRow[0]
        var seqs: Set<Int64> = []
        var importRows: [String: [Int64]] = [:]
        let keepOpID = try db.cachedStatement(sql: "INSERT OR IGNORE INTO applied_ops (op_id, seq, applied_at) VALUES (?, ?, ?)")
        for row in rows {
            let seq: Int64 = row[0]
            let opID: String = row[1]
            seqs.insert(seq)
            guard opID.hasPrefix("import:") else { continue }
            if let (prefix, number) = importRow(of: opID) {
                importRows[prefix, default: []].append(number)
            } else {
                // An import op id without a row number (none is written so): kept whole.
                try keepOpID.execute(arguments: [opID, seq, now])
            }
        }
        // The op ids merged into these rows: an import's join its file's runs; the others go.
        let merged = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT op_id, seq FROM applied_ops WHERE seq BETWEEN ? AND ?"), arguments: [first, last])
        let forget = try db.cachedStatement(sql: "DELETE FROM applied_ops WHERE op_id = ?")
        for row in merged {
            let opID: String = row[0]
            let seq: Int64 = row[1]
            guard seqs.contains(seq) else { continue }
            if opID.hasPrefix("import:") {
                guard let (prefix, number) = importRow(of: opID) else { continue }
                importRows[prefix, default: []].append(number)
            }
            try forget.execute(arguments: [opID])
        }
        try recordPrunedImports(db, importRows)
        let delete = SQLiteStatementHandle(try db.cachedStatement(sql: "DELETE FROM updates WHERE seq = ?"), db: db)
        for seq in seqs.sorted() { try delete.run { s in try s.bind(1, seq) } }
        let prunedMax = seqs.max() ?? last
        try db.execute(
            sql: """
                INSERT INTO meta (key, value) VALUES ('pruned_through_seq', ?)
                    ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
                """, arguments: [String(prunedMax)])
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('retention_days', ?)", arguments: [String(retentionDays)])
        return (seqs.count, last)
    }

    /// `(import:<hash>:, row)` of an import op id (`import:<hash>:000000042`, or the unpadded
    /// `import:<hash>:42` of older leadsh: the same row); nil for any other op id.
    static func importRow(of opID: String) -> (prefix: String, row: Int64)? {
        guard opID.hasPrefix("import:"), let colon = opID.utf8.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        let digits = opID[opID.index(after: colon)...]
        guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let row = Int64(digits)
        else { return nil }
        return (String(opID[...colon]), row)
    }

    /// Adds row numbers to their files' runs in `pruned_imports`, joining runs that meet.
    static func recordPrunedImports(_ db: Database, _ rows: [String: [Int64]]) throws {
        let existing = try db.cachedStatement(sql: "SELECT first_row, last_row FROM pruned_imports WHERE prefix = ? ORDER BY first_row")
        let clear = try db.cachedStatement(sql: "DELETE FROM pruned_imports WHERE prefix = ?")
        let insert = try db.cachedStatement(sql: "INSERT INTO pruned_imports (prefix, first_row, last_row) VALUES (?, ?, ?)")
        for (prefix, numbers) in rows {
            var runs: [(first: Int64, last: Int64)] = try Row.fetchAll(existing, arguments: [prefix]).map { ($0[0], $0[1]) }
            for number in numbers { runs.append((number, number)) }
            runs.sort { $0.first < $1.first }
            var joined: [(first: Int64, last: Int64)] = []
            for run in runs {
                if let previous = joined.last, run.first <= previous.last + 1 {
                    joined[joined.count - 1].last = max(previous.last, run.last)
                } else {
                    joined.append(run)
                }
            }
            try clear.execute(arguments: [prefix])
            for run in joined { try insert.execute(arguments: [prefix, run.first, run.last]) }
        }
    }

    /// Whether an import op id belongs to a row that was journaled and since pruned.
    static func wasPruned(_ db: Database, opID: String) throws -> Bool {
        guard let (prefix, row) = importRow(of: opID) else { return false }
        let last = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT last_row FROM pruned_imports WHERE prefix = ? AND first_row <= ? ORDER BY first_row DESC LIMIT 1"),
            arguments: [prefix, row])
        return (last ?? -1) >= row
    }

    /// The error for an update that is not in the journal: pruned (at or below the highest
    /// sequence number pruned: only pruning removes rows), or never there.
    static func missingUpdate(_ db: Database, seq: Int64) throws -> JournalError {
        let meta = try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key IN ('pruned_through_seq', 'retention_days')")
        let values = Dictionary(meta.map { (($0["key"] as String), ($0["value"] as String)) }, uniquingKeysWith: { $1 })
        if seq > 0, let through = values["pruned_through_seq"].flatMap({ Int64($0) }), seq <= through {
            let days = values["retention_days"] ?? String(defaultRetentionDays)
            return JournalError(.noSuchEntry, "update #\(seq) was pruned (older than the retention of \(days) days); it cannot be reverted")
        }
        return JournalError(.noSuchEntry, "no update #\(seq) in the journal (see `queue --all`)")
    }

    /// Gives the file's free pages back to the file system: `incremental_vacuum` in incremental
    /// auto-vacuum, else (when `fullVacuum`) the one full VACUUM that switches the file to it,
    /// when the file system has room for it. Then the `-wal` is checkpointed and truncated.
    private func giveSpaceBack(fullVacuum: Bool, freeSpace: (String) -> Int?) -> PruneReport.Space {
        var space = PruneReport.Space.givenBack
        do {
            let (mode, freePages) = try queue.inDatabase { db in
                (try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0, try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
            }
            if freePages > 0 {
                if mode == 2 {
                    try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA incremental_vacuum") }
                } else if fullVacuum {
                    // VACUUM writes the whole new file through the -wal before copying it back.
                    let needed = Journal.fileSize(path) ?? 0
                    if let free = freeSpace(path), free < needed {
                        space = .noRoom(needed: needed, free: free)
                    } else {
                        try queue.writeWithoutTransaction { db in
                            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                            try db.execute(sql: "VACUUM")
                        }
                    }
                }
            }
        } catch {
            let cause = Journal.cause(of: error, path: path)
            space = .failed(cause == .diskFull ? "disk full (\(Journal.describe(error)))" : Journal.describe(error))
        }
        _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return space
    }
}
