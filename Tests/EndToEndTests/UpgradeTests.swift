import FakeIntercom
import Foundation
import GRDB
import LeadModel
import TestSupport
import Testing

/// The journal commit 936c17d's leadsh made under its default `Intercom-Version: 1.4`
/// (journal schema 7): four pending updates, how it was made in `Fixtures/README.md`.
///
/// | seq | lead | named by | changes |
/// | --- | --- | --- | --- |
/// | 1 | OBrien | id and user_id | `last_request_at` 2026-12-01T10:00:00Z, `name`, `custom_attributes.plan` |
/// | 2 | the fourth sample lead | user_id only (a CSV import) | `name`, `last_request_at` 2026-12-02T09:30:00Z, `custom_attributes.plan` |
/// | 3 | Julia | id and user_id | `last_seen_ip` (no 2.x equivalent), `name` |
/// | 4 | Winston | id and user_id | `custom_attributes.seats`, an attribute the workspace does not have |
private let fixture = repositoryRoot() + "/Tests/EndToEndTests/Fixtures/journal-936c17d-api-1.4.sqlite"

private let fourth = "5811f8d3e6b4704ddfa84af1"
private let fourthUserID = "f0e1d2c3-b4a5-4968-8776-655443322110"

/// 2026-12-01T10:00:00Z and 2026-12-02T09:30:00Z, as the old binary journaled them.
private let obrienSeen: Int64 = 1_796_119_200
private let fourthSeen: Int64 = 1_796_203_800

/// One row of the journal's outbox, read straight from the file.
private struct Row {
    var seq: Int64
    var state: String
    var apiVersion: String?
    var lastError: String?
}

private func rows(of journal: String) throws -> [Row] {
    let queue = try DatabaseQueue(path: journal)
    defer { try? queue.close() }
    return try queue.read { db in
        try GRDB.Row.fetchAll(db, sql: "SELECT seq, state, api_version, last_error FROM updates ORDER BY seq").map {
            Row(seq: $0["seq"], state: $0["state"], apiVersion: $0["api_version"], lastError: $0["last_error"])
        }
    }
}

@Suite("Upgrading from the 1.4 default: a journal made by leadsh 936c17d is delivered under today's 2.14 default")
struct UpgradeTests {
    /// The fixture copied to a fresh home, and leadsh's arguments for it: no `--api-version`,
    /// so the built-in default applies.
    private func copyFixture(to home: TempDirectory) throws -> String {
        let journal = home.file("journal.sqlite")
        try FileManager.default.copyItem(atPath: fixture, toPath: journal)
        return journal
    }

    @Test("the fixture is what it says: schema 7, four pending rows made under 1.4")
    func fixtureIsAnOldJournal() throws {
        // Read from a copy: opening a WAL database writes its -shm file beside it.
        let home = TempDirectory("leadsh-upgrade")
        let journal = try copyFixture(to: home)
        let queue = try DatabaseQueue(path: journal)
        let version = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        try queue.close()
        #expect(version == 7)
        let rows = try rows(of: journal)
        #expect(rows.map(\.seq) == [1, 2, 3, 4])
        #expect(rows.allSatisfy { $0.state == "pending" && $0.apiVersion == "1.4" })
    }

    @Test(
        "sync under the default 2.14 sends exact equivalents (last_request_at as last_seen_at), finds a user_id-only row by external_id; what 2.x cannot say fails naming --api-version 1.4, and a retry under 1.4 delivers it",
        arguments: [false, true])
    func upgradeDeliversEveryRow(preSchema4: Bool) async throws {
        try await withFakeIntercom { fake in
            let home = TempDirectory("leadsh-upgrade")
            let journal = try copyFixture(to: home)
            if preSchema4 {
                // A journal migrated from before schema 4 holds rows with no recorded version.
                let queue = try DatabaseQueue(path: journal)
                try await queue.write { db in try db.execute(sql: "UPDATE updates SET api_version = NULL") }
                try queue.close()
            }
            let env = leadshEnvironment(home: home.path, token: fake.configuration.token)
            let base = ["--base-url", fake.baseURL, "--journal", journal]

            // Today's leadsh, its default version: nothing names 1.4.
            let sync = try await leadsh(base + ["sync"], environment: env)
            #expect(sync.status == 5, "two rows cannot be said in 2.x: \(sync.stdout) \(sync.stderr)")

            let v2Requests = fake.requests
            #expect(!v2Requests.isEmpty)
            for request in v2Requests {
                #expect(request.header("Intercom-Version") == "2.14", "\(request.method) \(request.path)")
            }
            #expect(!v2Requests.contains { $0.method == "POST" && $0.path == "/contacts" }, "the seed's call is never sent under 2.x")

            // Row 1: the exact equivalents, in a PUT that names the contact in its path.
            let obrienPut = try #require(v2Requests.first { $0.method == "PUT" && $0.path == "/contacts/\(obrien)" })
            let obrienBody = try #require(obrienPut.bodyJSON)
            #expect(obrienBody["last_seen_at"] == .integer(obrienSeen))
            #expect(obrienBody["name"] == .string("Liam O'Brien"))
            #expect(obrienBody["custom_attributes"]?.objectValue?["plan"] == .string("pro"))
            for gone in ["last_request_at", "user_id", "id"] { #expect(obrienBody[gone] == nil, "\(gone) in \(obrienBody)") }

            // Row 2 names its lead only by user_id: found by external_id, then a PUT by id.
            #expect(v2Requests.contains { $0.method == "POST" && $0.path == "/contacts/search" })
            let fourthPut = try #require(v2Requests.first { $0.method == "PUT" && $0.path == "/contacts/\(fourth)" })
            #expect(fourthPut.bodyJSON?["last_seen_at"] == .integer(fourthSeen))
            #expect(fourthPut.bodyJSON?["user_id"] == nil)

            // Row 3 (last_seen_ip) is never sent under 2.x; row 4 meets Intercom's 400.
            #expect(!v2Requests.contains { $0.method == "PUT" && $0.path == "/contacts/\(julia)" })
            var states = try rows(of: journal)
            #expect(states.map(\.state) == ["sent", "sent", "failed", "failed"])
            let madeUnder = preSchema4 ? "(it was made under 1.4, before leadsh recorded versions)" : "(it was made under 1.4)"
            let ipError = try #require(states[2].lastError)
            for part in ["cannot send under API 2.14 \(madeUnder)", "last_seen_ip", "no 2.x equivalent", "leadsh --api-version 1.4 -c 'retry 3'"] {
                #expect(ipError.contains(part), "\(ipError)")
            }
            let seatsError = try #require(states[3].lastError)
            for part in ["seats", "leadsh --api-version 1.4 -c 'retry 4'"] {
                #expect(seatsError.contains(part), "\(seatsError)")
            }

            // What the messages say: each row sent as it was made, under 1.4.
            let before = fake.requests.count
            let retry = try await leadsh(base + ["--api-version", "1.4", "-c", "retry 3", "-c", "retry 4"], environment: env)
            #expect(retry.status == 0, "\(retry.stdout) \(retry.stderr)")
            let v1Requests = fake.requests.dropFirst(before)
            #expect(v1Requests.allSatisfy { $0.header("Intercom-Version") == "1.4" })
            let v1Updates = v1Requests.filter { $0.method == "POST" && $0.path == "/contacts" }
            #expect(Set(v1Updates.compactMap { $0.bodyJSON?["id"]?.stringValue }) == [julia, winston])

            states = try rows(of: journal)
            #expect(states.map(\.state) == ["sent", "sent", "sent", "sent"], "every row delivered: \(states.map(\.lastError))")

            // The fake holds the values, in its 1.x storage (2.x's last_seen_at is 1.x's last_request_at).
            let o = try #require(fake.lead(id: obrien))
            #expect(o.name == "Liam O'Brien")
            #expect(o.fields["last_request_at"] == .integer(obrienSeen))
            #expect(o.customAttributes["plan"] == .string("pro"))
            let f = try #require(fake.lead(userID: fourthUserID))
            #expect(f.id == fourth)
            #expect(f.name == "Ann Upgrade")
            #expect(f.fields["last_request_at"] == .integer(fourthSeen))
            #expect(f.customAttributes["plan"] == .string("basic"))
            let j = try #require(fake.lead(id: julia))
            #expect(j.fields["last_seen_ip"] == .string("10.0.0.7"))
            #expect(j.name == "Julia Upgrade")
            let w = try #require(fake.lead(id: winston))
            #expect(w.customAttributes["seats"] == .integer(9))
            #expect(fake.allLeads.count == 4, "no lead was created")
        }
    }

    @Test("exact equivalents only: 1.x -> 2.x last_request_at and user_id, 2.x -> 1.x last_seen_at; the later of two names wins")
    func translation() {
        let old = FieldChanges([
            (.standard("user_id"), "u-1"), (.standard("last_request_at"), .integer(5)), (.standard("last_seen_ip"), "10.0.0.1"),
            (.custom("last_request_at"), "a custom attribute keeps its name"), (.standard("name"), "N"),
        ])
        let v2 = old.translated(to: .v2)
        #expect(
            Array(v2.keys) == [
                .standard("external_id"), .standard("last_seen_at"), .standard("last_seen_ip"), .custom("last_request_at"), .standard("name"),
            ])
        #expect(v2[.standard("last_seen_at")] == .integer(5))
        #expect(v2[.standard("external_id")] == "u-1")
        #expect(old.translated(to: .v1) == old, "nothing to rename in its own dialect")
        #expect(old.renamings(to: .v2) == ["user_id -> external_id", "last_request_at -> last_seen_at"])

        let new = FieldChanges([(.standard("last_seen_at"), .integer(7)), (.standard("external_id"), "e-1")])
        let v1 = new.translated(to: .v1)
        #expect(v1[.standard("last_request_at")] == .integer(7))
        #expect(v1[.standard("external_id")] == "e-1", "1.x cannot set user_id: kept, so the row fails naming it")

        // A 2.x push merged into a pending 1.x row: its last_seen_at stands later and wins.
        let merged = FieldChanges([(.standard("last_request_at"), .integer(1))]).merging(FieldChanges([(.standard("last_seen_at"), .integer(2))]))
        #expect(merged.translated(to: .v2)[.standard("last_seen_at")] == .integer(2))
        #expect(merged.translated(to: .v1)[.standard("last_request_at")] == .integer(2))

        #expect(APIVersion.default.description == "2.14")
        #expect(APIVersion.madeUnder(nil) == .seed)
        #expect(APIVersion.madeUnder("2.14").dialect == .v2)
    }
}
