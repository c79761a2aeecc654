import Foundation
import GRDB
import LeadModel
import TestSupport
import Testing

@testable import Journal

func imported(_ opID: String, _ lead: LeadReference, _ changes: [(FieldKey, JSONValue)]) throws -> ImportedUpdate {
    ImportedUpdate(opID: opID, update: try LeadUpdate(lead: lead, changes: FieldChanges(changes)))
}

func lead(_ id: String, name: String?, email: String?, userID: String? = nil, extra: String = "") throws -> Contact {
    var fields = [#""type":"contact""#, #""id":"\#(id)""#, #""updated_at":100"#]
    if let name { fields.append(#""name":"\#(name)""#) }
    if let email { fields.append(#""email":"\#(email)""#) }
    if let userID { fields.append(#""user_id":"\#(userID)""#) }
    if !extra.isEmpty { fields.append(extra) }
    return try Contact(json: "{" + fields.joined(separator: ",") + "}")
}

@Suite("Journal: imports")
struct JournalImportTests {
    @Test("a batch journals each row through the push path, and a rerun journals nothing, merged rows included")
    func idempotent() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        try journal.cache(try lead("a", name: "Ann", email: "ann@x.example", extra: #""custom_attributes":{"plan":"free"}"#), fetchedAt: 5)
        let batch = [
            try imported("import:f:1", LeadReference(id: "a"), [(.custom("plan"), "gold")]),
            try imported("import:f:2", LeadReference(id: "b"), [(.standard("name"), "Bo")]),
            try imported("import:f:3", LeadReference(id: "a"), [(.standard("name"), "Anna")]),
        ]
        let first = try journal.appendImport(batch, apiVersion: "1.4")
        #expect(first.imported == 3 && first.merged == 1 && first.alreadyImported == 0)
        #expect(first.withoutBase == 1, "b is not cached: no base to detect conflicts against")
        let rows = try journal.entries()
        #expect(rows.count == 2, "a's second row merged into its pending one, as a push would")
        #expect(rows[0].opID == "import:f:1" && rows[0].apiVersion == "1.4")
        #expect(rows[0].changes == FieldChanges([(.custom("plan"), "gold"), (.standard("name"), "Anna")]))
        #expect(rows[0].base == FieldChanges([(.custom("plan"), "free"), (.standard("name"), "Ann")]), "the base is the cached lead's values")
        #expect(rows[0].baseUpdatedAt == 100)
        #expect(rows[1].base.isEmpty && rows[1].baseUpdatedAt == nil)

        let again = try journal.appendImport(batch, apiVersion: "1.4")
        #expect(
            again
                == {
                    var r = ImportBatchResult()
                    r.alreadyImported = 3
                    return r
                }())
        #expect(try journal.entries().count == 2)
        #expect(try journal.journaledOpIDs(["import:f:1", "import:f:3", "import:f:9"]) == ["import:f:1", "import:f:3"])

        // Sent since: a rerun still journals nothing, though no pending row remains to merge into.
        let claimed = try journal.recordAndClaim([], claim: 2)
        for entry in claimed { try journal.markSent(seq: entry.seq, status: 200, lead: nil) }
        #expect(try journal.appendImport(batch, apiVersion: "1.4").alreadyImported == 3)
        #expect(try journal.unsentCount() == 0)
    }

    @Test("the base of an imported row is the lead as the user sees it: cached copy plus their unsent updates")
    func baseFromUserView() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        try journal.cache(try lead("a", name: "Ann", email: nil, userID: "u-a"))
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "Annie")]), coalesce: false)
        let result = try journal.appendImport(
            [try imported("import:g:1", LeadReference(userID: "u-a"), [(.standard("name"), "Anna"), (.custom("seats"), 3)])],
            apiVersion: "1.4", coalesce: false)
        #expect(result.withoutBase == 0, "found by user_id")
        let row = try #require(try journal.entries().last)
        #expect(row.base == FieldChanges([(.standard("name"), "Annie")]), "absent fields have no base")
    }

    @Test("a batch is one transaction: when a row cannot be written, none of the batch is")
    func atomic() throws {
        let dir = TempDirectory()
        let path = dir.file("j.sqlite")
        let journal = try Journal(path: path)
        defer { journal.close() }
        // The disk refuses the batch's second row (a trigger stands in for the failed write).
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_b BEFORE INSERT ON updates WHEN NEW.lead_id = 'b'
                    BEGIN SELECT RAISE(ABORT, 'disk full'); END
                    """)
        }
        try queue.close()
        let batch = [
            try imported("import:h:1", LeadReference(id: "a"), [(.standard("name"), "A")]),
            try imported("import:h:2", LeadReference(id: "b"), [(.standard("name"), "B")]),
        ]
        #expect(throws: JournalError.self) { _ = try journal.appendImport(batch, apiVersion: nil) }
        #expect(try journal.entries().isEmpty, "the first row was rolled back with the batch")
        #expect(try journal.journaledOpIDs(["import:h:1"]).isEmpty)
    }

    @Test("a version 5 journal upgrades with its rows, and imports into it")
    func upgradeFromVersion5() throws {
        let dir = TempDirectory()
        let path = try oldJournal(in: dir, undoing: "")
        let upgraded = try Journal(path: path)
        defer { upgraded.close() }
        #expect(try upgraded.entry(seq: 1)?.changes[.standard("name")] == "Old")
        #expect(try upgraded.appendImport([try imported("import:u:1", LeadReference(id: "a"), [(.custom("x"), 1)])], apiVersion: nil).imported == 1)
        let version = try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        #expect(version == Journal.schemaVersion)
    }
}

extension JournalImportTests {
    @Test("a version 6 journal (every import op id in applied_ops) upgrades to 7: rows, states, counts and seq numbers kept, a rerun journals nothing twice")
    func upgradeFromVersion6() throws {
        let dir = TempDirectory()
        // A journal as version 6 wrote it: the shipped migrations 1-6, then rows as 6 journaled them.
        let path = try journalFile(
            atVersion: 6, in: dir,
            rows: """
                INSERT INTO updates (op_id, lead_key, lead_id, fields, base, state, created_at, updated_at)
                    VALUES ('import:h:1', 'a', 'a', '{"name":"A"}', '{}', 'pending', 1, 1),
                           ('push-1', 'b', 'b', '{"name":"B"}', '{}', 'sent', 2, 2),
                           ('import:h:3', 'c', 'c', '{"name":"C"}', '{}', 'failed', 3, 3);
                DELETE FROM updates WHERE seq = 3;
                INSERT INTO updates (seq, op_id, lead_key, lead_id, fields, base, state, created_at, updated_at)
                    VALUES (9, 'import:h:3', 'c', 'c', '{"name":"C"}', '{}', 'failed', 3, 3);
                INSERT INTO applied_ops (op_id, seq, applied_at)
                    VALUES ('import:h:1', 1, 1), ('import:h:2', 1, 1), ('import:h:3', 9, 3);
                """)
        let journal = try Journal(path: path)
        defer { journal.close() }
        #expect(try journal.entries(all: true).map(\.seq) == [1, 2, 9])
        #expect(try journal.entries(all: true).map(\.state) == [.pending, .sent, .failed])
        let counts = try journal.counts().byState
        #expect(counts.filter { $0.value != 0 } == [.pending: 1, .sent: 1, .failed: 1], "\(counts)")
        // A rerun of the same file: rows 1-3 were journaled under version 6, row 4 is new.
        let rerun = try journal.appendImport(
            [
                try imported("import:h:1", LeadReference(id: "a"), [(.standard("name"), "A")]),
                try imported("import:h:2", LeadReference(id: "a"), [(.standard("name"), "A2")]),
                try imported("import:h:3", LeadReference(id: "c"), [(.standard("name"), "C")]),
                try imported("import:h:4", LeadReference(id: "d"), [(.standard("name"), "D")]),
            ], apiVersion: nil)
        #expect(rerun.alreadyImported == 3)
        #expect(rerun.imported == 1)
        // The AUTOINCREMENT counter survived the rebuild: the new row comes after seq 9.
        let new = try #require(try journal.entries(all: true).last)
        #expect(new.seq == 10)
        #expect(new.lead.id == "d")
        let (version, indexes) = try DatabaseQueue(path: path).read { db in
            (
                try Int.fetchOne(db, sql: "PRAGMA user_version"),
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'updates' ORDER BY name")
            )
        }
        #expect(version == Journal.schemaVersion)
        #expect(!indexes.contains("updates_by_state"))
        #expect(indexes.contains("updates_unsent_by_lead"))
    }

    @Test("a row journaled as its own keeps its op id in the row; a merged row's op id is recorded apart; both count on a rerun")
    func opIDsWhereTheyLive() throws {
        let dir = TempDirectory()
        let path = dir.file("j.sqlite")
        let journal = try Journal(path: path)
        defer { journal.close() }
        let batch = [
            try imported("import:k:1", LeadReference(id: "a"), [(.standard("name"), "A")]),
            try imported("import:k:2", LeadReference(id: "a"), [(.custom("plan"), "pro")]),
            try imported("import:k:3", LeadReference(id: "b"), [(.standard("name"), "B")]),
        ]
        let first = try journal.appendImport(batch, apiVersion: nil)
        #expect(first.imported == 3)
        #expect(first.merged == 1)
        let applied = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT op_id FROM applied_ops") }
        #expect(applied == ["import:k:2"])
        #expect(try journal.journaledOpIDs(["import:k:1", "import:k:2", "import:k:3", "import:k:4"]) == ["import:k:1", "import:k:2", "import:k:3"])
        let again = try journal.appendImport(batch, apiVersion: nil)
        #expect(again.alreadyImported == 3)
        #expect(again.imported == 0)
        #expect(try journal.entries().count == 2)
    }

    @Test("a row journaled by an earlier leadsh under its unpadded op id is not journaled again")
    func legacyOpIDs() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        // The earlier leadsh journaled rows 1 and 2 (the second merged into the first).
        _ = try journal.appendImport(
            [
                try imported("import:k:1", LeadReference(id: "a"), [(.standard("name"), "A")]),
                try imported("import:k:2", LeadReference(id: "a"), [(.custom("plan"), "pro")]),
            ], apiVersion: nil)
        let padded = try [1, 2, 3].map { n in
            var row = try imported("import:k:00000000\(n)", LeadReference(id: "a"), [(.standard("name"), .string("A\(n)"))])
            row.aliases = ["import:k:\(n)"]
            return row
        }
        #expect(try journal.journaledOpIDs(padded) == ["import:k:000000001", "import:k:000000002"])
        let rerun = try journal.appendImport(padded, apiVersion: nil)
        #expect(rerun.alreadyImported == 2 && rerun.imported == 1)
        #expect(try journal.entries().first?.changes[.standard("name")] == "A3")
    }
}

@Suite("Journal: cached leads")
struct JournalLeadsTests {
    @Test("leads lists the cache with unsent counts, filtered by name or email in any case")
    func listing() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        try journal.cache(
            [
                try lead("c", name: "Winston", email: "winston@records.example"),
                try lead("a", name: "OBrien", email: "obrien@truth.org", userID: "u-a"),
                try lead("b", name: nil, email: "syme@newspeak.example"),
            ], fetchedAt: 50)
        _ = try journal.append(try sampleUpdate("a", [(.standard("name"), "X")]), coalesce: false)
        let claimed = try #require(try journal.claimNext())
        try journal.markFailed(seq: claimed.seq, status: 400, errorCode: "bad", error: "bad")
        _ = try journal.append(try sampleUpdate("c", [(.standard("name"), "W")]))
        let sent = try #require(try journal.claimNext())
        #expect(sent.lead.id == "c")
        try journal.markSent(seq: sent.seq, status: 200, lead: nil)
        _ = try journal.append(
            NewUpdate(
                update: try LeadUpdate(lead: LeadReference(userID: "u-a"), changes: FieldChanges([(.custom("n"), 1)])),
                base: FieldChanges(), baseUpdatedAt: nil))

        let all = try journal.leads()
        #expect(all.map(\.id) == ["b", "a", "c"], "by name, no name first")
        #expect(all.map(\.unsent) == [0, 2, 0], "a's failed row and its row named by user_id count; c's sent one does not")
        #expect(all[1] == LeadSummary(id: "a", userID: "u-a", name: "OBrien", email: "obrien@truth.org", fetchedAt: 50, unsent: 2))
        #expect(try journal.leads(filter: "BRIEN").map(\.id) == ["a"])
        #expect(try journal.leads(filter: "newspeak").map(\.id) == ["b"])
        #expect(try journal.leads(filter: "example").map(\.id) == ["b", "c"])
        #expect(try journal.leads(filter: "nobody").isEmpty)
        #expect(try journal.leads(limit: 1).count == 1)
    }

    @Test("cached leads by email ignore case; several may share one")
    func byEmail() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        try journal.cache([try lead("a", name: "A", email: "Same@Example.com"), try lead("b", name: "B", email: "same@example.com")], fetchedAt: 1)
        try journal.cache(try lead("c", name: "C", email: "other@example.com"), fetchedAt: 2)
        #expect(try journal.cachedLeads(email: "SAME@example.COM").map(\.contact.id) == ["a", "b"])
        #expect(try journal.cachedLeads(email: "other@example.com").first?.fetchedAt == 2)
        #expect(try journal.cachedLeads(email: "same@example").isEmpty, "exact, not a substring")
    }

    @Test("completion candidates after load: ids, emails and names from the cache")
    func completions() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        try journal.cache([
            try lead("5811f6bb", name: "OBrien", email: "obrien@truth.org"),
            try lead("5811f7c1", name: "Julia", email: "julia@ministry.example"),
            try lead("9000", name: "O_Neil", email: "o%neil@x.example"),
        ])
        #expect(try journal.leadCompletions(prefix: "5811").ids == ["5811f6bb", "5811f7c1"])
        #expect(try journal.leadCompletions(prefix: "5811f7").ids == ["5811f7c1"])
        #expect(try journal.leadCompletions(prefix: "OB").emails == ["obrien@truth.org"])
        #expect(try journal.leadCompletions(prefix: "ju").names == ["Julia"])
        #expect(try journal.leadCompletions(prefix: "O_").names == ["O_Neil"], "_ matches only itself")
        #expect(try journal.leadCompletions(prefix: "o%").emails == ["o%neil@x.example"], "% matches only itself")
        let none = try journal.leadCompletions(prefix: "zz")
        #expect(none.ids.isEmpty && none.emails.isEmpty && none.names.isEmpty)
    }

    @Test("revert: the sent updates of a range, newest first, and the inverse of each")
    func revert() throws {
        let dir = TempDirectory()
        let journal = try Journal(path: dir.file("j.sqlite"))
        defer { journal.close() }
        for n in Int64(1)...3 {
            let changes: [(FieldKey, JSONValue)] = [(.custom("n"), .integer(n)), (.standard("phone"), .string("p\(n)"))]
            let base: [(FieldKey, JSONValue)] =
                n == 1
                ? [(.custom("n"), 0)] : [(.custom("n"), .integer(n - 1)), (.standard("phone"), .string("p\(n - 1)"))]
            _ = try journal.append(try sampleUpdate("a", changes, base: base), coalesce: false)
            let claimed = try #require(try journal.claimNext())
            try journal.markSent(seq: claimed.seq, status: 200, lead: nil)
        }
        _ = try journal.append(try sampleUpdate("a", [(.custom("n"), 4)]))
        #expect(try journal.sentUpdates(from: 1, through: 3).map(\.seq) == [3, 2, 1])
        let first = try #require(try journal.sentUpdates(from: 1, through: 1).first)
        let inverse = try first.inverse(apiVersion: "1.4")
        #expect(inverse.update.changes == FieldChanges([(.custom("n"), 0), (.standard("phone"), .null)]), "absent before: cleared")
        #expect(inverse.base == first.changes, "the base is what the update set")
        #expect(inverse.update.lead == first.lead)
        #expect {
            _ = try journal.sentUpdates(from: 3, through: 4)
        } throws: { error in
            (error as? JournalError)?.kind == .invalidState
                && "\(error)" == "update #4 is pending, not sent: only a sent update can be reverted; `drop 4` abandons it instead"
        }
        #expect(throws: JournalError.self) { _ = try journal.sentUpdates(from: 4, through: 9) }
    }
}
