import FakeIntercom
import Foundation
import GRDB
import GRDBSQLite
import IntercomClient
import LeadModel
import LeadshApp
import Replayer
import Synchronization
import TestSupport
import Testing

@testable import Journal

/// Resource bounds: a replay streams from the journal (memory does not grow with its size),
/// claiming the next row does not read the rows already sent, and the queue's summary reads
/// the running counts. No assertion here is about time: work is counted in database pages touched and memory
/// in the peak RSS of the real `leadsh`, with generous bounds.
///
/// `LEADSH_LONG=1` runs the long variants: a 100,000-row replay against 10,000, and `leadsh
/// queue` on a 1,000,000-row journal.
@Suite("Resource bounds")
struct ResourceTests {
    static let long = TestSize.long

    /// Fills a journal fast, in one transaction: `sent` delivered rows, then `failed`, then
    /// `pending` ones, spread round-robin over `leads`, each carrying a `pad`-character string.
    static func bulkFill(_ path: String, sent: Int = 0, failed: Int = 0, pending: Int, leads: [String], pad: Int = 0) throws {
        try Journal(path: path).close()
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let leadsJSON = JSONText.serialize(.array(leads.map(JSONValue.string)))
        try queue.write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
                    INSERT INTO updates (op_id, lead_key, lead_id, fields, base, state, attempts, next_attempt_at, created_at, updated_at)
                    SELECT 'bulk-' || i, json_extract(?1, '$[' || (i % ?2) || ']'), json_extract(?1, '$[' || (i % ?2) || ']'),
                        json_object('custom_attributes.n', i, 'custom_attributes.pad', substr(hex(zeroblob(?3)), 1, ?4)),
                        '{}', CASE WHEN i < ?5 THEN 'sent' WHEN i < ?6 THEN 'failed' ELSE 'pending' END, 0, 0, 1, 1
                    FROM c
                    """.replacingOccurrences(of: "i < ?)", with: "i < \(sent + failed + pending - 1))"),
                arguments: [leadsJSON, leads.count, (pad + 1) / 2, pad, sent, sent + failed])
            // Rows written by SQL: leadsh's own INSERT paths keep the running counts (schema 7).
            try db.execute(
                sql: "DELETE FROM update_counts; INSERT INTO update_counts (state, n) SELECT state, count(*) FROM updates GROUP BY state")
        }
    }

    /// Counts the database pages the journal's connection touches (SQLite's page-cache hits
    /// and misses): a measure of work that, unlike time, does not depend on the machine.
    /// Also records the SQL of every statement.
    final class WorkCounter: Sendable {
        private let journal: Journal
        final class Statements: Sendable {
            let list = Mutex<[String]>([])
        }
        private let statements = Statements()

        init(_ journal: Journal) {
            self.journal = journal
            journal.queue.inDatabase { db in
                db.trace(options: .statement) { [statements] event in
                    guard case .statement(let statement) = event else { return }
                    statements.list.withLock { $0.append(statement.expandedSQL) }
                }
            }
        }

        /// Pages touched so far.
        var pages: Int {
            journal.queue.inDatabase { db in
                var total = 0
                for op in [SQLITE_DBSTATUS_CACHE_HIT, SQLITE_DBSTATUS_CACHE_MISS] {
                    var current: Int32 = 0
                    var highwater: Int32 = 0
                    sqlite3_db_status(db.sqliteConnection, op, &current, &highwater, 0)
                    total += Int(current)
                }
                return total
            }
        }

        func measure(_ body: () throws -> Void) rethrows -> Int {
            let before = pages
            try body()
            return pages - before
        }

        var sql: [String] { statements.list.withLock { $0 } }
    }

    /// Pages touched by 100 replay rounds (claim, mark sent) with eight leads in flight.
    static func claimWork(sent: Int, pending: Int, leads: [String]) throws -> Int {
        let dir = TempDirectory("leadsh-claims")
        let path = dir.file("journal.sqlite")
        try bulkFill(path, sent: sent, pending: pending, leads: leads)
        let journal = try Journal(path: path)
        defer { journal.close() }
        let counter = WorkCounter(journal)
        var inFlight: [JournalEntry] = []
        for _ in 0..<8 { if let entry = try journal.claimNext() { inFlight.append(entry) } }
        return try counter.measure {
            for _ in 0..<100 {
                let done = inFlight.removeFirst()
                try journal.markSent(seq: done.seq, status: 200, lead: nil)
                while inFlight.count < 8, let entry = try journal.claimNext() { inFlight.append(entry) }
            }
        }
    }

    @Test(
        "claiming the next row costs the same in a journal of 2,000 rows and of 20,000 (40,000 with LEADSH_LONG=1), counted in database pages touched, for few leads and for many",
        arguments: [4, 30_000])
    func claimsDoNotReadSentRows(leadCount: Int) throws {
        let leads = (0..<leadCount).map { String(format: "%024x", $0) }
        let small = try Self.claimWork(sent: 1_000, pending: 1_000, leads: leads)
        let half = TestSize.pick(10_000, long: 20_000)
        let large = try Self.claimWork(sent: half, pending: half, leads: leads)
        // Linear in the journal's size would be 10 (20) times the work; allow 3 times and some slack.
        #expect(large <= small * 3 + 2_000, "claims on the large journal touched \(large) pages against \(small) on the small one")
    }

    @Test("listing the queue's first page touches as many pages with 39,000 rows already sent as with 1,000")
    func queuePageDoesNotReadSentRows() throws {
        func work(sent: Int) throws -> Int {
            let dir = TempDirectory("leadsh-page")
            let path = dir.file("journal.sqlite")
            try Self.bulkFill(path, sent: sent, failed: 10, pending: 990, leads: ["a", "b", "c"])
            let journal = try Journal(path: path)
            defer { journal.close() }
            let counter = WorkCounter(journal)
            var listed = 0
            let pages = try counter.measure { listed = try journal.entries(limit: 1_000).count }
            #expect(listed == 1_000)
            return pages
        }
        let small = try work(sent: 1_000)
        let large = try work(sent: 39_000)
        #expect(large <= small * 2 + 100, "the first page touched \(large) pages after 39,000 sent rows against \(small) after 1,000")
    }

    @Test("the queue's summary (counts per state) reads the running counts, not the table")
    func summaryUsesIndex() throws {
        let dir = TempDirectory("leadsh-summary")
        let path = dir.file("journal.sqlite")
        try Self.bulkFill(path, sent: 5_000, failed: 10, pending: 5_000, leads: ["a", "b"])
        let journal = try Journal(path: path)
        defer { journal.close() }
        let counter = WorkCounter(journal)
        let counts = try journal.counts()
        #expect(counts[.sent] == 5_000 && counts[.failed] == 10 && counts[.pending] == 5_000)
        _ = try journal.nextAttemptTime()
        _ = try journal.claimNext()
        _ = try journal.entries()
        let statements = counter.sql.filter { $0.contains("updates") && !$0.hasPrefix("UPDATE") }
        #expect(!statements.isEmpty)
        let reader = try DatabaseQueue(path: path)
        defer { try? reader.close() }
        for sql in statements {
            let plan = try reader.read { db in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String } }
            // A plain `SCAN updates` (or an alias of it) reads the whole table.
            let fullScans = plan.filter {
                $0.hasPrefix("SCAN") && !$0.contains("USING") && !$0.contains("CONSTANT ROW") && !$0.hasPrefix("SCAN leads") && !$0.hasPrefix("SCAN c")
            }
            #expect(fullScans.isEmpty, "\(sql)\n\(plan.joined(separator: "\n"))")
        }
        // The summary reads the running counts (a row per state), not the updates.
        let summary = try #require(counter.sql.first { $0.contains("FROM update_counts") })
        let plan = try reader.read { db in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + summary).map { $0["detail"] as String } }
        #expect(!plan.contains { $0.contains("updates") }, "\(plan)")
    }

    @Test("leadsh sync streams from the journal: replaying many more rows raises its peak memory by far less than the rows' size")
    func replayMemoryIsFlat() async throws {
        // The default crosses the bound once: 200 more rows of 60 KB (11 MB) against a
        // growth allowed of 8 MB; a streaming replay grows by under 1 MB.
        let (small, large) = Self.long ? (10_000, 100_000) : (30, 230)
        // Under the 65,535-character limit of a value.
        let pad = Self.long ? 6_000 : 60_000
        var peaks: [Int: Int] = [:]
        for rows in [small, large] {
            let home = TempDirectory("leadsh-memory")
            let path = home.file("journal.sqlite")
            let leads = FakeIntercom.sampleLeads.map(\.id)
            try Self.bulkFill(path, pending: rows, leads: leads, pad: pad)
            try await withFakeIntercom(FakeIntercomConfiguration(recordsRequests: false)) { fake in
                let env = leadshEnvironment(home: home.path, token: fake.configuration.token)
                // 1.4: the rows set an attribute `n` that 1.x creates on first use; memory is the point, not the dialect.
                let run = await spawnMeasuringPeak(
                    [productsDirectory() + "/leadsh", "--base-url", fake.baseURL, "--journal", path, "--api-version", "1.4", "sync", "--blind"],
                    environment: env)
                #expect(run.status == 0, "\(run.output.suffix(2_000))")
                #expect(run.output.contains("sent \(rows), pending 0"), "\(run.output.suffix(2_000))")
                peaks[rows] = run.peakKilobytes
                #expect(fake.lead(id: leads[(rows - 1) % leads.count])?.customAttributes["n"] == .integer(Int64(rows - 1)))
            }
        }
        let growth = (peaks[large]! - peaks[small]!) / 1024
        let rowMegabytes = (large - small) * pad / 1_048_576
        // Holding the rows would add at least their size (\(rowMegabytes) MB); a stream adds little.
        #expect(growth < max(8, rowMegabytes / 2), "peak RSS \(peaks[small]! / 1024) MB for \(small) rows, \(peaks[large]! / 1024) MB for \(large) rows")
    }

    @Test("leadsh queue on a big journal prints one page and how many more, and --json streams every row; memory stays flat")
    func queueOnBigJournal() async throws {
        // The default: 2,000 more rows of 8 KB (16 MB) against a growth allowed of 8 MB; a
        // page and a stream grow by under 1 MB.
        let (small, large) = Self.long ? (100_000, 1_000_000) : (1_200, 3_200)
        let pad = Self.long ? 0 : 8_000
        let allowed = Self.long ? 24 : 8
        var peaks: [Int: Int] = [:]
        var jsonPeaks: [Int: Int] = [:]
        for rows in [small, large] {
            let home = TempDirectory("leadsh-queue")
            let path = home.file("journal.sqlite")
            try Self.bulkFill(path, sent: 100, failed: 3, pending: rows - 103, leads: ["5811f6bbe6b4704ddfa84ac0", "5811f7c1e6b4704ddfa84ad2"], pad: pad)
            let env = leadshEnvironment(home: home.path)
            let run = await spawnMeasuringPeak([productsDirectory() + "/leadsh", "--journal", path, "queue"], environment: env)
            #expect(run.status == 0, "\(run.output.suffix(1_000))")
            let lines = run.output.split(separator: "\n")
            #expect(lines.count == 1_002, "the header, a page of 1000 rows, and the summary: \(lines.count) lines")
            #expect(lines.last?.contains("… \(rows - 100 - 1_000) more") == true, "\(lines.last ?? "")")
            peaks[rows] = run.peakKilobytes
            // --json lists every unsent row, streamed as it is read.
            let json = await spawnMeasuringPeak([productsDirectory() + "/leadsh", "--journal", path, "queue", "--json"], environment: env)
            #expect(json.status == 0)
            if case .array(let listed) = try JSONText.parse(json.output) {
                #expect(listed.count == rows - 100)
            } else {
                Issue.record("queue --json is not an array")
            }
            jsonPeaks[rows] = json.peakKilobytes
        }
        let growth = (peaks[large]! - peaks[small]!) / 1024
        // Listing every row would hold \((large - small) * max(pad, 200) / 1_048_576) MB more.
        #expect(growth < allowed, "peak RSS \(peaks[small]! / 1024) MB for \(small) rows, \(peaks[large]! / 1024) MB for \(large) rows")
        let jsonGrowth = (jsonPeaks[large]! - jsonPeaks[small]!) / 1024
        #expect(
            jsonGrowth < allowed,
            "queue --json: peak RSS \(jsonPeaks[small]! / 1024) MB for \(small) rows, \(jsonPeaks[large]! / 1024) MB for \(large) rows")
    }

    @Test("queue shows a screenful on a terminal, N rows with `queue N` or --limit N, every row with --json")
    func queuePages() async throws {
        let home = TempDirectory("leadsh-queue-pages")
        let path = home.file("journal.sqlite")
        try Self.bulkFill(path, pending: 300, leads: ["5811f6bbe6b4704ddfa84ac0"])
        let env = leadshEnvironment(home: home.path)
        let limited = try await leadsh(["--journal", path, "queue", "--limit", "7"], environment: env)
        #expect(limited.stdout.split(separator: "\n").count == 9, "\(limited.stdout)")
        #expect(limited.stdout.contains("… 293 more"))
        let command = try await leadsh(["--journal", path, "-c", "queue 3"], environment: env)
        #expect(command.stdout.split(separator: "\n").count == 5, "\(command.stdout)")
        let json = try await leadsh(["--journal", path, "queue", "--json"], environment: env)
        guard case .array(let all) = try JSONText.parse(json.stdout) else {
            Issue.record("not an array")
            return
        }
        #expect(all.count == 300)
        #expect(try await leadsh(["--journal", path, "queue", "--limit", "0"], environment: env).status == 2)
        // On a terminal of 30 rows (what the process context says), a screenful: the
        // header, 26 rows and the "more" line.
        let screen = await leadshInProcess(
            ["--journal", path, "queue"], environment: env, terminal: TerminalCapabilities(stdin: false, stdout: true, stderr: false, rows: 30))
        #expect(screen.status == 0)
        #expect(screen.stdout.contains("#1 "), "\(screen.stdout)")
        #expect(screen.stdout.contains("… 274 more"), "26 rows fit a 30-row terminal: \(screen.stdout)")
    }
}

/// Runs a program to completion with output to a file and returns its own peak RSS.
func spawnMeasuringPeak(_ argv: [String], environment: [String: String]) async -> SpawnedRun {
    await withCheckedContinuation { (continuation: CheckedContinuation<SpawnedRun, Never>) in
        // A blocking wait: off the cooperative pool.
        DispatchQueue.global().async { continuation.resume(returning: spawnAndWait(argv, environment: environment, measuringPeak: true)) }
    }
}
