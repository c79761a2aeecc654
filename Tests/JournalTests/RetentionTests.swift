import Foundation
import GRDB
import LeadModel
import TestSupport
import Testing

@testable import Journal

/// Retention on real SQLite files: what pruning removes and keeps, the space it gives back,
/// and what it remembers for imports and `revert`.
@Suite("Journal retention")
struct RetentionTests {
    static let now: Double = 1_800_000_000
    static let day: Double = 86_400

    /// Appends an update for `lead` at `age` days before `now`, then moves it to `state` at that
    /// time (as the replay or `drop` would); answers its seq.
    @discardableResult
    static func row(_ journal: Journal, _ lead: String, _ state: UpdateState, age: Double, value: String = "x") throws -> Int64 {
        let at = now - age * day
        let seq = try journal.append(try sampleUpdate(lead, [(.standard("name"), .string(value))]), coalesce: false, now: at).entry.seq
        try setState(journal, state, at: at, where: "seq = \(seq)")
        return seq
    }

    /// Moves rows to `state`, last changed at `at` (the update_counts triggers follow).
    static func setState(_ journal: Journal, _ state: UpdateState, at: Double, where condition: String) throws {
        try journal.write { db in
            try db.execute(sql: "UPDATE updates SET state = ?, updated_at = ? WHERE \(condition)", arguments: [state.rawValue, at])
        }
    }

    /// `count` import rows of the file `hash`, rows `rows` (op ids zero-padded as an import makes
    /// them), each naming its own lead and a name of `text` bytes.
    static func importRows(_ hash: String, _ rows: some Sequence<Int>, text: Int = 20, tag: String = "v1") throws -> [ImportedUpdate] {
        try rows.map { row in
            let digits = String(row)
            let opID = "import:\(hash):" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
            let name = tag + String(repeating: "n", count: max(0, text - tag.count))
            return ImportedUpdate(
                opID: opID, update: try LeadUpdate(lead: LeadReference(id: "lead-\(hash)-\(row)"), changes: FieldChanges([(.standard("name"), .string(name))])),
                aliases: ["import:\(hash):\(row)"])
        }
    }

    @Test("only sent and dropped rows older than the retention go; pending, sending, failed, conflict and newer rows stay, and the counts follow")
    func statesAndAge() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        let oldSent = try Self.row(journal, "a", .sent, age: 40)
        let oldDropped = try Self.row(journal, "b", .dropped, age: 31)
        var kept: [Int64] = []
        for (lead, state) in [("c", UpdateState.pending), ("d", .sending), ("e", .failed), ("f", .conflict)] {
            kept.append(try Self.row(journal, lead, state, age: 400))
        }
        kept.append(try Self.row(journal, "g", .sent, age: 29))
        kept.append(try Self.row(journal, "h", .dropped, age: 1))

        let report = try journal.prune(retentionDays: 30, now: Self.now)
        #expect(report.pruned == 2)
        #expect(!report.dryRun)
        let left = try journal.entries(all: true).map(\.seq)
        #expect(left == kept, "\(left)")
        #expect(!left.contains(oldSent) && !left.contains(oldDropped))
        let counts = try journal.counts().byState.filter { $0.value != 0 }
        #expect(counts == [.pending: 1, .sending: 1, .failed: 1, .conflict: 1, .sent: 1, .dropped: 1], "\(counts)")

        // A longer retention prunes less; 0 prunes nothing, however old.
        let longer = try Self.row(journal, "i", .sent, age: 50)
        #expect(try journal.prune(retentionDays: 60, now: Self.now).pruned == 0)
        #expect(try journal.prune(retentionDays: 0, now: Self.now).pruned == 0)
        #expect(try journal.entry(seq: longer) != nil)
        #expect(try journal.prune(retentionDays: 45, now: Self.now).pruned == 1)
    }

    @Test("a rerun of a pruned import journals nothing again: own rows, merged rows and rows under their old unpadded op ids; a row never journaled still is")
    func importIdempotenceSurvivesPruning() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        // Rows 1-2000 of file "aaaa" except row 700 (refused the first time), journaled 40 days ago.
        let first = try Self.importRows("aaaa", Array(1...2000).filter { $0 != 700 })
        #expect(try journal.appendImport(first, apiVersion: nil, coalesce: false, now: Self.now - 40 * Self.day).imported == 1999)
        // File "bbbb": row 2 merged into row 1's pending row (same lead): its op id lives in applied_ops.
        let lead = LeadReference(id: "shared")
        let merged = [
            try imported("import:bbbb:000000001", lead, [(.standard("name"), "One")]),
            try imported("import:bbbb:000000002", lead, [(.custom("plan"), "pro")]),
        ]
        #expect(try journal.appendImport(merged, apiVersion: nil, now: Self.now - 40 * Self.day).merged == 1)
        // File "cccc" as an older leadsh journaled it: unpadded op ids.
        let legacy = try (1...5).map { row in try imported("import:cccc:\(row)", LeadReference(id: "legacy-\(row)"), [(.standard("name"), "L")]) }
        #expect(try journal.appendImport(legacy, apiVersion: nil, now: Self.now - 40 * Self.day).imported == 5)
        // Everything sent long ago, except row 1500 of "aaaa", which failed and stays.
        try Self.setState(journal, .sent, at: Self.now - 39 * Self.day, where: "op_id <> 'import:aaaa:000001500'")
        try Self.setState(journal, .failed, at: Self.now - 39 * Self.day, where: "op_id = 'import:aaaa:000001500'")

        let report = try journal.prune(retentionDays: 30, now: Self.now)
        #expect(report.pruned == 1999 - 1 + 1 + 5)
        #expect(try journal.entries(all: true).map(\.opID) == ["import:aaaa:000001500"])
        let (runs, applied) = try journal.read { db in
            (
                try Row.fetchAll(db, sql: "SELECT prefix, first_row, last_row FROM pruned_imports ORDER BY prefix, first_row")
                    .map { "\($0[0] as String)\($0[1] as Int64)-\($0[2] as Int64)" },
                try Int.fetchOne(db, sql: "SELECT count(*) FROM applied_ops")!
            )
        }
        // Compact: one row per run; row 700 (never journaled) and row 1500 (still in the journal) split them.
        #expect(runs == ["import:aaaa:1-699", "import:aaaa:701-1499", "import:aaaa:1501-2000", "import:bbbb:1-2", "import:cccc:1-5"])
        #expect(applied == 0, "the merged op id moved into its file's run")

        // The reruns, with newer values: nothing journaled over them, but row 700 and a new row 2001.
        let again = try Self.importRows("aaaa", 1...2001, tag: "v2")
        #expect(try journal.journaledOpIDs(again).count == 1999)
        let rerun = try journal.appendImport(again, apiVersion: nil, coalesce: false, now: Self.now)
        #expect(rerun.alreadyImported == 1999)
        #expect(rerun.imported == 2)
        #expect(Set(try journal.entries().filter { $0.state == .pending }.map(\.opID)) == ["import:aaaa:000000700", "import:aaaa:000002001"])
        #expect(try journal.appendImport(merged, apiVersion: nil, now: Self.now).alreadyImported == 2)
        let padded = try (1...5).map { row in
            ImportedUpdate(
                opID: "import:cccc:" + String(repeating: "0", count: 8) + "\(row)",
                update: try LeadUpdate(lead: LeadReference(id: "legacy-\(row)"), changes: FieldChanges([(.standard("name"), "New")])))
        }
        #expect(try journal.appendImport(padded, apiVersion: nil, now: Self.now).alreadyImported == 5, "a padded op id finds its unpadded row")
        #expect(try journal.unsentCount() == 2)
    }

    @Test("the file shrinks: after pruning thousands of rows it is about the size of a journal that only ever held the rest")
    func fileShrinks() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        #expect(
            try journal.appendImport(try Self.importRows("dddd", 1...6000, text: 400), apiVersion: nil, coalesce: false, now: Self.now - 90 * Self.day).imported
                == 6000)
        try Self.setState(journal, .sent, at: Self.now - 90 * Self.day, where: "1")
        let pendingRows = try Self.importRows("eeee", 1...20, text: 400)
        #expect(try journal.appendImport(pendingRows, apiVersion: nil, coalesce: false, now: Self.now).imported == 20)

        let dry = try journal.prune(retentionDays: 30, now: Self.now, dryRun: true)
        #expect(dry.dryRun && dry.pruned == 6000)
        #expect(try journal.counts().byState[.sent] == 6000, "a dry run prunes nothing")
        #expect(dry.bytesFreed > 6000 * 400, "the estimate counts at least the names: \(dry.bytesFreed)")

        let report = try journal.prune(retentionDays: 30, now: Self.now)
        #expect(report.pruned == 6000)
        #expect(report.space == .givenBack)
        #expect(report.bytesBefore > 6000 * 400)
        #expect(report.bytesFreed > 6000 * 400, "\(report)")
        let (freePages, autoVacuum) = try journal.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA freelist_count")!, try Int.fetchOne(db, sql: "PRAGMA auto_vacuum")!)
        }
        #expect(freePages == 0)
        #expect(autoVacuum == 2)

        let fresh = try Journal(path: dir.file("fresh.sqlite"))
        #expect(try fresh.appendImport(pendingRows, apiVersion: nil, coalesce: false, now: Self.now).imported == 20)
        fresh.close()
        journal.close()
        let pruned = try #require(Journal.fileSize(dir.file("j.sqlite")))
        let baseline = try #require(Journal.fileSize(dir.file("fresh.sqlite")))
        #expect(pruned <= 2 * baseline, "\(pruned) bytes after gc, \(baseline) for a journal of the 20 rows alone")
        let reopened = try Journal(path: dir.file("j.sqlite"))
        defer { reopened.close() }
        #expect(try reopened.entries().count == 20)
    }

    @Test(
        "a journal from before incremental vacuum: with no room for its one full VACUUM, the rows are pruned, nothing is lost, and it says so; with room it shrinks and switches"
    )
    func noRoomForTheFullVacuum() throws {
        let dir = TempDirectory()
        let path = dir.file("old.sqlite")
        do {
            let journal = try Journal(path: path)
            #expect(
                try journal.appendImport(try Self.importRows("ffff", 1...3000, text: 300), apiVersion: nil, coalesce: false, now: Self.now - 60 * Self.day)
                    .imported == 3000)
            try Self.setState(journal, .sent, at: Self.now - 60 * Self.day, where: "1")
            _ = try Self.row(journal, "pending-1", .pending, age: 60, value: "keep me")
            _ = try Self.row(journal, "failed-1", .failed, age: 60, value: "keep me too")
            journal.close()
        }
        // As leadsh before version 9 made it: no auto-vacuum.
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA auto_vacuum = NONE; VACUUM") }
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") } == 0)
        try queue.close()

        let journal = try Journal(path: path)
        defer { journal.close() }
        let kept = try journal.entries()
        var asked: [String] = []
        let full = try journal.prune(retentionDays: 30, now: Self.now) { path in
            asked.append(path)
            return 4096
        }
        #expect(asked == [path], "the free space is asked for beside the journal")
        #expect(full.pruned == 3000)
        guard case .noRoom(let needed, let free) = full.space else {
            Issue.record("expected no room, got \(full.space)")
            return
        }
        #expect(free == 4096)
        #expect(needed >= 3000 * 300, "about the file's size: \(needed)")
        #expect(full.bytesFreed < full.bytesBefore / 4, "the space stayed in the file: \(full)")
        #expect(try journal.entries() == kept, "nothing lost")
        #expect(try journal.counts().byState[.sent] == 0)
        #expect(try journal.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") } == 0)

        // Room again: nothing left to prune, the space given back, the file switched for good.
        let roomy = try journal.prune(retentionDays: 30, now: Self.now) { _ in 1 << 40 }
        #expect(roomy.pruned == 0)
        #expect(roomy.space == .givenBack)
        #expect(roomy.bytesFreed > 3000 * 300, "\(roomy)")
        #expect(try journal.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") } == 2)
        #expect(try journal.entries() == kept)
    }

    @Test("the start's prune runs at most once a day, and not at all with a retention of 0")
    func atMostOnceADay() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        try Self.row(journal, "a", .sent, age: 40)
        #expect(try journal.pruneIfDue(retentionDays: 0, now: Self.now) == nil)
        #expect(try journal.entries(all: true).count == 1)

        #expect(try journal.pruneIfDue(retentionDays: 30, now: Self.now)?.pruned == 1)
        let late = try Self.row(journal, "b", .sent, age: 40)
        #expect(try journal.pruneIfDue(retentionDays: 30, now: Self.now + 3_600) == nil, "an hour later: not due")
        #expect(try journal.pruneIfDue(retentionDays: 30, now: Self.now + Self.day - 1) == nil)
        #expect(try journal.entry(seq: late) != nil)
        #expect(try journal.pruneIfDue(retentionDays: 30, now: Self.now + Self.day)?.pruned == 1, "a day later: due")
        #expect(try journal.entry(seq: late) == nil)
        // `leadsh gc` itself is not limited.
        try Self.row(journal, "c", .dropped, age: 40)
        #expect(try journal.prune(retentionDays: 30, now: Self.now + Self.day + 1).pruned == 1)
    }

    @Test("revert of a pruned update says it was pruned and why; of a number never used, that there is none")
    func revertOfAPrunedRow() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        let old = try Self.row(journal, "a", .sent, age: 40)
        let recent = try Self.row(journal, "b", .sent, age: 2)
        #expect(try journal.prune(retentionDays: 30, now: Self.now).pruned == 1)
        #expect {
            _ = try journal.sentUpdates(from: old, through: old)
        } throws: { error in
            let error = error as? JournalError
            return error?.kind == .noSuchEntry
                && error?.message == "update #\(old) was pruned (older than the retention of 30 days); it cannot be reverted"
        }
        #expect {
            _ = try journal.updatesToRevert(from: old, through: recent)
        } throws: { error in (error as? JournalError)?.message.contains("#\(old) was pruned") == true }
        #expect(try journal.sentUpdates(from: recent, through: recent).map(\.seq) == [recent])
        #expect {
            _ = try journal.sentUpdates(from: 99, through: 99)
        } throws: { error in (error as? JournalError)?.message == "no update #99 in the journal (see `queue --all`)" }
    }

    @Test("a new journal is created in incremental auto-vacuum, as journal/schema.sql says")
    func newJournalsAreIncremental() throws {
        let dir = TempDirectory()
        try Journal(path: dir.file("j.sqlite")).close()
        let queue = try DatabaseQueue(path: dir.file("j.sqlite"))
        defer { try? queue.close() }
        let mode = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") }
        let (pragmas, _) = try parseSchemaFile(repositoryRoot() + "/journal/schema.sql")
        #expect(mode == 2)
        #expect(pragmas["auto_vacuum"] == mode)
    }
}
