import Foundation
import GRDB
import LeadModel
import TestSupport
import Testing

@testable import Journal

func sampleUpdate(_ id: String, _ changes: [(FieldKey, JSONValue)], base: [(FieldKey, JSONValue)] = []) throws -> NewUpdate {
    NewUpdate(update: try LeadUpdate(lead: LeadReference(id: id), changes: FieldChanges(changes)), base: FieldChanges(base), baseUpdatedAt: 100)
}

@Suite("Journal file")
struct JournalFileTests {
    @Test("a fresh journal has exactly the schema in journal/schema.sql")
    func schemaMatches() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        journal.close()
        let queue = try DatabaseQueue(path: dir.file("j.sqlite"))
        let created = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY rowid")
        }
        let (pragmas, statements) = try parseSchemaFile(repositoryRoot() + "/journal/schema.sql")
        #expect(created.map(normalize) == statements.map(normalize))
        let (applicationID, userVersion, mode) = try queue.read { db in
            (
                try Int.fetchOne(db, sql: "PRAGMA application_id")!, try Int.fetchOne(db, sql: "PRAGMA user_version")!,
                try String.fetchOne(db, sql: "PRAGMA journal_mode")!
            )
        }
        #expect(pragmas["application_id"] == applicationID)
        #expect(pragmas["user_version"] == userVersion)
        #expect(userVersion == Journal.schemaVersion)
        #expect(mode == "wal")
    }

    @Test("the journal file is created 0600 even under a permissive umask")
    func createdPrivate() throws {
        let dir = TempDirectory()
        let old = umask(0)
        defer { umask(old) }
        let journal = try Journal(path: dir.file("sub/j.sqlite"))
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "X")]))
        #expect(permissions(of: dir.file("sub/j.sqlite")) == 0o600)
        #expect(permissions(of: dir.file("sub/j.sqlite-wal")) == 0o600)
        journal.close()
    }

    @Test("a file that is not a journal is refused and left byte for byte unchanged")
    func garbageRefused() throws {
        let dir = TempDirectory()
        let path = dir.file("notes.txt")
        let bytes = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try Journal(path: path)
        } throws: { error in
            (error as? JournalError)?.kind == .notAJournal && "\(error)".contains("left untouched")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test("another SQLite database is refused and left unchanged")
    func foreignDatabaseRefused() throws {
        let dir = TempDirectory()
        let path = dir.file("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1)") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: JournalError.self) { _ = try Journal(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("a journal from a newer leadsh is refused and left unchanged")
    func newerRefused() throws {
        let dir = TempDirectory()
        let path = dir.file("j.sqlite")
        let journal = try Journal(path: path)
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "X")]))
        journal.close()
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "PRAGMA user_version = \(Journal.schemaVersion + 1)") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            _ = try Journal(path: path)
        } throws: { error in
            (error as? JournalError)?.kind == .newerVersion && "\(error)".contains("newer leadsh")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("reopening keeps everything")
    func reopen() throws {
        let dir = TempDirectory()
        let path = dir.file("j.sqlite")
        do {
            let journal = try Journal(path: path)
            _ = try journal.append(try sampleUpdate("a", [(.custom("seats"), 9)]))
            journal.close()
        }
        let journal = try Journal(path: path)
        let entries = try journal.entries()
        #expect(entries.count == 1)
        #expect(entries[0].changes[.custom("seats")] == .integer(9))
    }
}

@Suite("Outbox")
struct OutboxTests {
    @Test("claims go in sequence order, one in flight per lead")
    func perLeadOrder() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        for (n, lead) in ["a", "b", "a", "c", "b"].enumerated() {
            _ = try journal.append(try sampleUpdate(lead, [(.standard("name"), .string("v\(n)"))]), coalesce: false)
        }
        let first = try #require(try journal.claimNext())
        let second = try #require(try journal.claimNext())
        let third = try #require(try journal.claimNext())
        #expect([first.seq, second.seq, third.seq] == [1, 2, 4])
        // a and b each have one row sending: their later rows wait.
        #expect(try journal.claimNext() == nil)
        try journal.markSent(seq: first.seq, status: 200, lead: nil)
        #expect(try journal.claimNext()?.seq == 3)
        #expect(first.attempts == 1)
        #expect(try journal.entry(seq: 2)?.state == .sending)
    }

    @Test("a new edit merges into the lead's pending update, never into a sending one")
    func coalescing() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "A"), (.custom("x"), 1)], base: [(.standard("name"), "orig")]))
        let merged = try journal.append(
            try sampleUpdate("a", [(.standard("name"), "B"), (.standard("phone"), "1")], base: [(.standard("name"), "A"), (.standard("phone"), "0")]))
        #expect(merged.merged)
        #expect(merged.entry.seq == 1)
        #expect(merged.entry.changes[.standard("name")] == "B")
        #expect(merged.entry.changes[.custom("x")] == 1)
        #expect(merged.entry.base[.standard("name")] == "orig")  // the earliest base is kept
        #expect(merged.entry.base[.standard("phone")] == "0")
        #expect(merged.entry.mergedCount == 2)
        _ = try journal.claimNext()
        let separate = try journal.append(try sampleUpdate("a", [(.standard("name"), "C")]))
        #expect(!separate.merged)
        #expect(separate.entry.seq == 2)
    }

    @Test("release gives back the attempt for outcomes that are not the update's fault")
    func releaseAndAttempts() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "A")]))
        let claimed = try #require(try journal.claimNext(now: 10))
        try journal.release(seq: claimed.seq, countsAsAttempt: false, now: 10)
        #expect(try journal.entry(seq: 1)?.attempts == 0)
        _ = try journal.claimNext(now: 10)
        try journal.release(seq: 1, countsAsAttempt: true, notBefore: 50, status: 503, errorCode: "service_unavailable", error: "503", now: 10)
        let row = try #require(try journal.entry(seq: 1))
        #expect(row.attempts == 1)
        #expect(row.state == .pending)
        #expect(row.lastStatus == 503)
        #expect(try journal.claimNext(now: 20) == nil)  // still backing off
        #expect(try journal.claimNext(now: 51)?.seq == 1)
    }

    @Test("rows left sending by a crash are reconciled to pending")
    func orphans() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "A")]))
        _ = try journal.claimNext()
        #expect(try journal.reconcileOrphans() == 1)
        #expect(try journal.entry(seq: 1)?.state == .pending)
    }

    @Test("failed rows stay until retried or dropped; drop keeps the row")
    func retryAndDrop() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "A")]))
        _ = try journal.claimNext()
        try journal.markFailed(seq: 1, status: 404, errorCode: "not_found", error: "Contact Not Found")
        #expect(try journal.entries().first?.state == .failed)
        #expect(try journal.counts()[.failed] == 1)
        try journal.retry(seq: 1)
        #expect(try journal.entry(seq: 1)?.state == .pending)
        #expect(try journal.entry(seq: 1)?.attempts == 0)
        try journal.drop(seq: 1)
        #expect(try journal.entries().isEmpty)
        #expect(try journal.entries(all: true).first?.state == .dropped)
        #expect(throws: JournalError.self) { try journal.drop(seq: 99) }
    }

    @Test("the running counts per state always equal a count of the rows, and a version 2 journal gets them on upgrade")
    func runningCounts() throws {
        let dir = TempDirectory()
        func actual(_ path: String) throws -> [String: Int] {
            let queue = try DatabaseQueue(path: path)
            return try queue.read { db in
                Dictionary(
                    uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM updates GROUP BY state")
                        .map { (row: Row) -> (String, Int) in (row["state"], row["n"]) })
            }
        }
        func counted(_ journal: Journal) throws -> [String: Int] {
            let counts = try journal.counts()
            return Dictionary(
                uniqueKeysWithValues: UpdateState.allCases.compactMap { state in
                    counts[state] > 0 ? (state.rawValue, counts[state]) : nil
                })
        }
        let path = dir.file("j.sqlite")
        let journal = try Journal(path: path)
        for lead in ["a", "b", "c", "d"] {
            for n in 1...3 { _ = try journal.append(try sampleUpdate(lead, [(.custom("n"), .integer(Int64(n)))]), coalesce: lead == "d") }
        }
        #expect(try counted(journal) == ["pending": 10], "d's three pushes merged into one row")
        #expect(try journal.unsentCount() == 10)
        let claimed = try journal.recordAndClaim([], claim: 4)
        try journal.markSent(seq: claimed[0].seq, status: 200, lead: nil)
        try journal.markFailed(seq: claimed[1].seq, status: 404, errorCode: "not_found", error: "gone")
        try journal.markConflict(seq: claimed[2].seq, theirs: FieldChanges([(.custom("n"), 9)]))
        try journal.release(seq: claimed[3].seq, countsAsAttempt: false)
        try journal.drop(seq: claimed[1].seq)
        try journal.retry(seq: claimed[2].seq)
        _ = try journal.claimNext()
        #expect(try counted(journal) == actual(path))
        #expect(try journal.unsentCount() == (actual(path)["pending"] ?? 0) + (actual(path)["sending"] ?? 0))
        journal.close()

        // A journal written by the previous version (2): the upgrade counts its rows.
        let old = dir.file("old.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: old)
        let queue = try DatabaseQueue(path: old)
        try queue.write { db in
            try db.execute(
                sql: undoVersion6 + """
                    DROP TRIGGER IF EXISTS update_counts_insert; DROP TRIGGER update_counts_delete; DROP TRIGGER update_counts_move;
                    DROP TABLE update_counts; PRAGMA user_version = 2;
                    ALTER TABLE updates DROP COLUMN api_version; DROP TABLE data_attributes; DROP TABLE meta;
                    ALTER TABLE updates DROP COLUMN app_id;
                    """)
        }
        try queue.close()
        let upgraded = try Journal(path: old)
        defer { upgraded.close() }
        #expect(try counted(upgraded) == actual(old))
    }

    @Test("a version 3 journal upgrades to 4: its rows are kept, with no API version recorded, and new rows record theirs")
    func upgradeFromVersion3() throws {
        let dir = TempDirectory()
        let path = try oldJournal(
            in: dir,
            undoing: """
                ALTER TABLE updates DROP COLUMN api_version; DROP TABLE data_attributes; DROP TABLE meta;
                ALTER TABLE updates DROP COLUMN app_id; PRAGMA user_version = 3;
                """)
        let upgraded = try Journal(path: path)
        defer { upgraded.close() }
        let old = try #require(try upgraded.entry(seq: 1))
        #expect(old.changes[.standard("name")] == "Old")
        #expect(old.apiVersion == nil)
        #expect(try upgraded.cachedAttributes() == nil)
        var new = try sampleUpdate("b", [(.standard("name"), "New")])
        new.apiVersion = "2.14"
        _ = try upgraded.append(new)
        #expect(try upgraded.entry(seq: 2)?.apiVersion == "2.14")
        let version = try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        #expect(version == Journal.schemaVersion)
    }

    @Test("a version 4 journal upgrades to 5: old rows hold no app (the journal's); binding records the app on new rows and refuses another")
    func upgradeFromVersion4() throws {
        let dir = TempDirectory()
        let path = try oldJournal(in: dir, undoing: "ALTER TABLE updates DROP COLUMN app_id; PRAGMA user_version = 4;")
        let upgraded = try Journal(path: path)
        defer { upgraded.close() }
        #expect(try upgraded.entry(seq: 1)?.appID == nil)
        #expect(try upgraded.appID() == nil)
        #expect(try upgraded.bind(toApp: "appone") == nil, "an unbound journal binds to the first app")
        #expect(try upgraded.appID() == "appone")
        #expect(try upgraded.bind(toApp: "appone") == nil)
        #expect(try upgraded.bind(toApp: "apptwo") == "appone", "another app is refused, naming the journal's")
        #expect(try upgraded.appID() == "appone", "a refusal changes nothing")
        _ = try upgraded.append(try sampleUpdate("b", [(.standard("name"), "New")]))
        #expect(try upgraded.entry(seq: 2)?.appID == "appone")
        #expect(Journal.peekAppID(path: path) == "appone")
        #expect(Journal.peekUnsentCount(path: path) == 2)
    }

    @Test("the workspace's attribute list is cached with when it was read, and replaced whole")
    func attributeCache() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        #expect(try journal.cachedAttributes() == nil)
        try journal.cacheAttributes(
            [DataAttribute(name: "plan", dataType: "string"), DataAttribute(name: "seats", dataType: "integer", archived: true)], fetchedAt: 100)
        let first = try #require(try journal.cachedAttributes())
        #expect(first.fetchedAt == 100)
        #expect(first.writableCustomNames == ["plan"])
        #expect(first.custom(named: "seats")?.archived == true)
        try journal.cacheAttributes([DataAttribute(name: "tier", dataType: "string")], fetchedAt: 200)
        #expect(try journal.cachedAttributes() == AttributeCatalog(attributes: [DataAttribute(name: "tier", dataType: "string")], fetchedAt: 200))
    }

    @Test("the user's view applies their own unsent updates to the cached lead")
    func userView() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        let lead = try Contact(json: #"{"type":"contact","id":"a","name":"Old","updated_at":100,"custom_attributes":{"x":1}}"#)
        try journal.cache(lead, fetchedAt: 5)
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "New"), (.custom("x"), 2)]))
        let cached = try #require(try journal.cachedLead(id: "a"))
        #expect(cached.fetchedAt == 5)
        let view = try journal.userView(of: cached)
        #expect(view.name == "New")
        #expect(view.customAttributes["x"] == 2)
    }
}

/// A journal with one update (a `name` of "Old"), taken back to an older version by `sql`,
/// which undoes the later migrations and sets `user_version`.
func oldJournal(in dir: TempDirectory, undoing sql: String) throws -> String {
    let path = dir.file("j.sqlite")
    let journal = try Journal(path: path)
    _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "Old")]))
    journal.close()
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in try db.execute(sql: undoVersion6 + sql) }
    try queue.close()
    return path
}

/// Takes a journal back to version 5: what `oldJournal` undoes before the caller's SQL.
/// (Version 7's rebuild of `updates` runs again on any journal, and drops version 10's `kind`
/// with it; version 8's export tables, version 9's pruned_imports, version 10's
/// workspace_tags and version 11's merged_leads are dropped.)
let undoVersion6 = """
    DROP TABLE merged_leads;
    DROP TABLE workspace_tags;
    DROP TABLE pruned_imports;
    DROP TABLE exported_leads; DROP TABLE exports;
    DROP TABLE applied_ops; DROP INDEX leads_by_email; DROP INDEX leads_listing; DROP INDEX updates_open_by_lead;
    PRAGMA user_version = 5;
    """

func normalize(_ sql: String) -> String {
    sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        .replacingOccurrences(of: "( ", with: "(").replacingOccurrences(of: " )", with: ")")
        .trimmingCharacters(in: CharacterSet(charactersIn: "; "))
}

/// Reads `journal/schema.sql`: PRAGMA values and CREATE statements, comments removed.
func parseSchemaFile(_ path: String) throws -> ([String: Int], [String]) {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let withoutComments = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        if let range = line.range(of: "--") { return String(line[..<range.lowerBound]) }
        return String(line)
    }.joined(separator: "\n")
    var pragmas: [String: Int] = [:]
    var statements: [String] = []
    var pending = ""
    for piece in withoutComments.split(separator: ";") {
        // A trigger's body holds `;`s of its own: gather it up to its END.
        pending += pending.isEmpty ? String(piece) : ";" + piece
        let trimmed = pending.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.uppercased().hasPrefix("CREATE TRIGGER") && !trimmed.uppercased().hasSuffix("END") { continue }
        pending = ""
        if trimmed.isEmpty { continue }
        if trimmed.uppercased().hasPrefix("PRAGMA") {
            let parts = trimmed.dropFirst(6).split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            pragmas[parts[0]] = Int(parts[1])
        } else {
            statements.append(trimmed)
        }
    }
    return (pragmas, statements)
}

extension JournalFileTests {
    @Test("a version 9 journal (the last release's) upgrades to 10: its pending rows are kept as updates and still delivered in order")
    func upgradeFromVersion9() throws {
        let dir = TempDirectory()
        let path = try journalFile(
            atVersion: 9, in: dir,
            rows: """
                INSERT INTO updates (op_id, lead_key, lead_id, fields, base, state, created_at, updated_at)
                    VALUES ('o1', 'a', 'a', '{"name":"A"}', '{}', 'pending', 1, 1),
                           ('o2', 'a', 'a', '{"custom_attributes.plan":"pro"}', '{}', 'pending', 2, 2);
                INSERT INTO update_counts (state, n) VALUES ('pending', 2);
                """)
        let journal = try Journal(path: path)
        defer { journal.close() }
        let rows = try journal.entries()
        #expect(rows.map(\.opID) == ["o1", "o2"])
        #expect(rows.allSatisfy { $0.kind == .update && $0.state == .pending })
        #expect(rows.last?.changes[.custom("plan")] == "pro")
        // A tags row after them stays behind them, and does not merge into an update.
        let tags = NewUpdate(
            update: LeadUpdate(unchecked: LeadReference(id: "a"), changes: try TagChanges.parse("+vip").get().fields), base: FieldChanges(),
            baseUpdatedAt: nil, kind: .tags)
        let appended = try journal.append(tags)
        #expect(!appended.merged && appended.entry.seq == 3 && appended.entry.kind == .tags)
        #expect(try journal.counts()[.pending] == 3)
    }
}

extension JournalFileTests {
    @Test("a version 10 journal upgrades to 11: its rows kept, and a merge it sent by the user's id is remembered, so later rows can follow it")
    func upgradeFromVersion10() throws {
        let dir = TempDirectory()
        let path = try journalFile(
            atVersion: 10, in: dir,
            rows: """
                INSERT INTO updates (op_id, lead_key, lead_id, fields, base, state, created_at, updated_at, sent_at, kind)
                    VALUES ('m1', 'a', 'a', '{"into_id":"u1"}', '{}', 'sent', 1, 2, 2, 'merge'),
                           ('m2', 'b', 'b', '{"into_external_id":"x"}', '{}', 'sent', 3, 4, 4, 'merge'),
                           ('m3', 'c', 'c', '{"into_id":"u3"}', '{}', 'pending', 5, 5, NULL, 'merge'),
                           ('o1', 'u1', 'u1', '{"name":"A"}', '{}', 'pending', 6, 6, NULL, 'update');
                INSERT INTO update_counts (state, n) VALUES ('sent', 2), ('pending', 2);
                """)
        let journal = try Journal(path: path)
        defer { journal.close() }
        #expect(try journal.entries(all: true).map(\.opID) == ["m1", "m2", "m3", "o1"])
        #expect(try journal.mergedInto(leadID: "a")?.id == "u1", "a sent merge by id is remembered")
        #expect(try journal.mergedInto(leadID: "b") == nil, "by external id, the user's id was never journaled")
        #expect(try journal.mergedInto(leadID: "c") == nil, "a merge not yet sent is not a merge")
    }
}

/// A journal as version `version` wrote it: the shipped migrations 1 to `version`, then `rows`
/// (SQL) as that version journaled them.
func journalFile(atVersion version: Int, in dir: TempDirectory, rows: String) throws -> String {
    let path = dir.file("v\(version).sqlite")
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
        for sql in Journal.migrations.prefix(version) { try db.execute(sql: sql) }
        try db.execute(sql: "PRAGMA user_version = \(version); PRAGMA application_id = \(Journal.applicationID)")
        try db.execute(sql: rows)
    }
    try queue.close()
    return path
}
