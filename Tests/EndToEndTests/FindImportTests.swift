import FakeIntercom
import Foundation
import GRDB
import LeadModel
import TestSupport
import Testing

// Issue 14 end to end: find and load by email, the cached leads, CSV import (10,000 rows,
// a SIGKILL and a rerun, bad rows), revert, time values, previewed edits, Tab after `load`.
// The real leadsh binary against the fake over loopback, with real SQLite journals.

let winston = "5811f80ae6b4704ddfa84ae7"
let syme = "5811f8d3e6b4704ddfa84af1"

extension Rig {
    /// The rig's arguments with another journal file, for a second, independent run.
    func args(journal path: String) -> [String] {
        ["--base-url", fake.baseURL, "--journal", path, "--api-version", version]
    }

    /// The name of the lead-identifier column a 1.x / 2.x import header uses besides `id`.
    var userIDColumn: String { isV2 ? "external_id" : "user_id" }

    /// The name of the "last seen" time field of the rig's dialect.
    var lastSeenField: String { isV2 ? "last_seen_at" : "last_request_at" }
}

/// Reads every row of a journal's outbox through its own read-only connection: op id, lead id, fields.
func outboxRows(_ journal: String) throws -> [(opID: String, leadID: String?, fields: JSONObject)] {
    var configuration = Configuration()
    configuration.readonly = true
    let queue = try DatabaseQueue(path: journal, configuration: configuration)
    defer { try? queue.close() }
    return try queue.read { db in
        try Row.fetchAll(db, sql: "SELECT op_id, lead_id, fields FROM updates ORDER BY seq").map { row -> (opID: String, leadID: String?, fields: JSONObject) in
            let opID: String = row["op_id"]
            let leadID: String? = row["lead_id"]
            let fields: String = row["fields"]
            return (opID, leadID, try JSONText.parse(fields).objectValue ?? JSONObject())
        }
    }
}

/// How many rows a journal's outbox holds (0 when the file or its tables do not exist yet).
func outboxCount(_ journal: String) -> Int {
    guard FileManager.default.fileExists(atPath: journal) else { return 0 }
    return (try? sqlite(journal, "SELECT COUNT(*) FROM updates", as: Int.self)) ?? 0
}

/// `count` CSV rows for generated leads (``generatedLeads(_:)``'s ids): a name, the integer
/// `n` and the string `code` (written `"""N"""`, a cell whose text is quoted).
func generatedCSV(_ count: Int, header: String = "id,name,custom_attributes.n,custom_attributes.code") -> String {
    var text = header + "\n"
    text.reserveCapacity(count * 64)
    for n in 0..<count {
        text += String(format: "6000%020x", n) + ",Imported \(n),\(n),\"\"\"\(n)\"\"\"\n"
    }
    return text
}

@Suite("Issue 14: find, leads, import, revert, times, previews (the whole app, real fake, real journals)")
struct FindImportTests {
    // MARK: find and load by email

    @Test("find email= lists the seed lead; load email= loads it and push updates it by id, never by email alone", arguments: apiVersions)
    func findAndLoadByEmail(version: String) async throws {
        try await withRig(version: version) { rig in
            let found = try await rig.run(["find email=obrien@truth.org"])
            #expect(found.status == 0, "\(found.stderr)")
            let header = found.stdout.split(separator: "\n").first.map(String.init) ?? ""
            for column in ["ID", rig.isV2 ? "EXTERNAL_ID" : "USER_ID", "NAME", "EMAIL"] {
                #expect(header.contains(column), "\(found.stdout)")
            }
            for value in [obrien, obrienUserID, "OBrien", "obrien@truth.org"] {
                #expect(found.stdout.contains(value), "\(value) in \(found.stdout)")
            }
            // The dialect's own search call.
            if rig.isV2 {
                let search = try #require(rig.fake.requests.first { $0.path == "/contacts/search" })
                #expect(search.method == "POST")
                // The email, ANDed with role=lead: find finds leads unless role= says otherwise.
                let filters = search.bodyJSON?["query"]?["value"]?.arrayValue ?? []
                #expect(search.bodyJSON?["query"]?["operator"] == "AND", "\(search.bodyText)")
                #expect(filters.contains(["field": "email", "operator": "=", "value": "obrien@truth.org"]), "\(search.bodyText)")
                #expect(filters.contains(["field": "role", "operator": "=", "value": "lead"]), "\(search.bodyText)")
            } else {
                let list = try #require(rig.fake.requests.first { $0.method == "GET" && $0.path == "/contacts" })
                #expect(list.queryValue("email") == "obrien@truth.org", "\(list.rawQuery ?? "")")
            }

            let json = try await rig.run(["find email=obrien@truth.org"], extra: ["--json"])
            let rows = try #require(try JSONText.parse(json.stdout).arrayValue, "one array: \(json.stdout)")
            #expect(rows.count == 1)
            #expect(rows.first?["id"] == .string(obrien))
            #expect(rows.first?[rig.isV2 ? "external_id" : "user_id"] == .string(obrienUserID))

            rig.fake.clearRequests()
            let edit = try await rig.run(["load email=obrien@truth.org", "set name Found", "push", "status"])
            #expect(edit.status == 0, "\(edit.stderr)")
            #expect(edit.stdout.contains("loaded \(obrien) (OBrien)"), "\(edit.stdout)")
            #expect(edit.stdout.contains("lead        \(obrien)"))
            let update = try #require(rig.posts.first)
            #expect(rig.posts.count == 1)
            #expect(update.leadID == obrien, "the update names the lead by id: \(update.method) \(update.path) \(update.bodyText)")
            if rig.isV2 {
                #expect(update.method == "PUT" && update.path == "/contacts/\(obrien)")
                #expect(!rig.fake.requests.contains { $0.method == "POST" && $0.path == "/contacts" }, "no create call")
            }
            #expect(rig.fake.lead(id: obrien)?.name == "Found")
            // No update ever named its lead by email alone.
            for request in rig.posts {
                let body = request.bodyJSON?.objectValue ?? JSONObject()
                #expect(request.method == "PUT" || body["id"] != nil, "an email-only body: \(request.bodyText)")
                #expect(body["email"] == nil, "the email was not sent: \(request.bodyText)")
            }
        }
    }

    @Test("several leads with the email are listed and none is loaded; none is \"not found\"", arguments: apiVersions)
    func severalAndNone(version: String) async throws {
        try await withRig(version: version) { rig in
            var twin = try #require(rig.fake.lead(id: obrien))
            twin.fields["id"] = "5811f6bbe6b4704ddfa84ff0"
            twin.fields["user_id"] = "twin-user"
            twin.fields["name"] = "Twin"
            rig.fake.insert(twin)

            let find = try await rig.run(["find email=obrien@truth.org"])
            #expect(find.status == 0, "\(find.stderr)")
            #expect(find.stdout.contains(obrien) && find.stdout.contains("5811f6bbe6b4704ddfa84ff0"), "\(find.stdout)")

            let load = try await rig.run(["load email=obrien@truth.org", "status"], extra: ["--on-error", "continue"])
            #expect(load.status == 1)
            #expect(load.stderr.contains("2 contacts match email=obrien@truth.org"), "\(load.stderr)")
            #expect(load.stderr.contains(obrien) && load.stderr.contains("5811f6bbe6b4704ddfa84ff0"), "\(load.stderr)")
            #expect(!load.stdout.contains("lead        "), "nothing loaded: \(load.stdout)")
            #expect(!load.stdout.contains("loaded "))

            let none = try await rig.run(["load email=nobody@truth.org"])
            #expect(none.status == 1)
            #expect(none.stderr.contains("not found"), "\(none.stderr)")
            #expect(!none.stderr.contains("merged, converted or deleted"), "nothing was looked up by id: \(none.stderr)")
            let findNone = try await rig.run(["find email=nobody@truth.org"])
            #expect(findNone.stdout.contains("not found"), "\(findNone.stdout)")
            #expect(rig.posts.isEmpty)
        }
    }

    @Test("offline, find and load email= search the cache after one online find, and say so", arguments: apiVersions)
    func offlineSearchesTheCache(version: String) async throws {
        try await withRig(version: version) { rig in
            #expect(try await rig.run(["find email=obrien@truth.org"]).status == 0)
            rig.fake.clearRequests()

            let offline = try await rig.run(
                ["find email=OBrien@Truth.org", "load email=obrien@truth.org", "set name Offline", "push"], extra: ["--offline"])
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(offline.stdout.contains(obrien) && offline.stdout.contains("obrien@truth.org"), "\(offline.stdout)")
            #expect(offline.stdout.contains("loaded \(obrien)"))
            #expect(offline.stderr.contains("offline: searched the cached leads, not Intercom"), "\(offline.stderr)")
            #expect(offline.stdout.contains("queued (offline)"))
            #expect(rig.fake.requests.isEmpty, "nothing reached Intercom: \(rig.fake.requests.map { "\($0.method) \($0.path)" })")

            // Julia was never read: offline she is not found, and the message says the cache was searched.
            let missing = try await rig.run(["load email=julia@ministry.example"], extra: ["--offline"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("not found") && missing.stderr.contains("offline"), "\(missing.stderr)")

            // The journaled update names the lead by id; sync sends it so.
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(rig.posts.count == 1)
            #expect(rig.posts.first?.leadID == obrien)
            #expect(rig.fake.lead(id: obrien)?.name == "Offline")
        }
    }

    // MARK: leads

    @Test("leads lists the cached leads with their cache age and unsent updates; a filter; --json is one array")
    func leadsCommand() async throws {
        try await withRig { rig in
            let empty = try await rig.run(["leads"], extra: ["--offline"])
            #expect(empty.status == 0)
            #expect(empty.stdout.contains("no cached leads"), "\(empty.stdout)")

            #expect(try await rig.run(["load \(obrien)", "load \(julia)"]).status == 0)
            try ageCache(rig.journal, by: 2 * 86_400 + 600)
            let queued = try await rig.run(["load \(obrien)", "attr plan queued", "push"], extra: ["--offline"])
            #expect(queued.status == 0, "\(queued.stderr)")

            let all = try await rig.run(["leads"], extra: ["--offline"])
            #expect(all.status == 0, "\(all.stderr)")
            let lines = all.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(lines.first == "ID NAME EMAIL CACHED UNSENT", "\(all.stdout)")
            #expect(lines.contains("\(obrien) OBrien obrien@truth.org 2d 1"), "\(all.stdout)")
            #expect(lines.contains("\(julia) Julia julia@ministry.example 2d"), "\(all.stdout)")

            let filtered = try await rig.run(["leads MINISTRY"], extra: ["--offline"])
            #expect(filtered.stdout.contains(julia) && !filtered.stdout.contains(obrien), "a substring of the email, any case: \(filtered.stdout)")
            let byName = try await rig.run(["leads bri"], extra: ["--offline"])
            #expect(byName.stdout.contains(obrien) && !byName.stdout.contains(julia), "\(byName.stdout)")

            let json = try await rig.run(["leads --json"], extra: ["--offline"])
            #expect(json.status == 0, "\(json.stderr)")
            let rows = try #require(try JSONText.parse(json.stdout).arrayValue, "one array: \(json.stdout)")
            #expect(rows.count == 2)
            let obrienRow = try #require(rows.first { $0["id"] == .string(obrien) })
            #expect(obrienRow["user_id"] == .string(obrienUserID))
            #expect(obrienRow["name"] == "OBrien")
            #expect(obrienRow["email"] == "obrien@truth.org")
            #expect(obrienRow["unsent"] == 1)
            #expect(obrienRow["fetched_at"]?.doubleValue != nil, "a number: \(obrienRow)")
            #expect(rows.first { $0["id"] == .string(julia) }?["unsent"] == 0)
        }
    }

    // MARK: import

    @Test("a 1,200-row import (10,000 with LEADSH_LONG=1), then sync: every row lands once, checked row by row; a rerun journals nothing")
    func tenThousandRows() async throws {
        // Crosses the import's batch of 500 twice; the long tier runs the full size.
        let count = TestSize.pick(1_200, long: 10_000)
        var configuration = FakeIntercomConfiguration(leads: FakeIntercom.sampleLeads + (try generatedLeads(count)))
        configuration.rateLimit = nil
        try await withRig(configuration) { rig in
            let csv = rig.home.write("leads.csv", generatedCSV(count))
            let imported = try await leadsh(["import", csv, "--offline"] + rig.args, environment: rig.env)
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("imported \(count), 0 rows already imported, refused 0"), "\(imported.stdout)")
            #expect(!imported.stderr.contains("-c:"), "leadsh import runs no -c: \(imported.stderr)")
            #expect(rig.posts.isEmpty, "offline: nothing sent")
            #expect(outboxCount(rig.journal) == count)

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stdout) \(sync.stderr)")
            #expect(sync.stdout.contains("sent \(count), pending 0"), "\(sync.stdout)")

            // Row by row, what the fake holds; and one update per lead.
            let posts = rig.posts
            var updatesPerLead: [String: Int] = [:]
            for post in posts { updatesPerLead[post.leadID ?? "?", default: 0] += 1 }
            let leads = Dictionary(uniqueKeysWithValues: rig.fake.allLeads.map { ($0.id, $0) })
            var wrong: [String] = []
            for n in 0..<count {
                let id = String(format: "6000%020x", n)
                let lead = leads[id]
                if lead?.name != "Imported \(n)" || lead?.customAttributes["n"] != .integer(Int64(n))
                    || lead?.customAttributes["code"] != .string("\(n)") || updatesPerLead[id] != 1
                {
                    wrong.append(
                        "row \(n + 1): \(lead?.name ?? "no lead") n=\(String(describing: lead?.customAttributes["n"])) code=\(String(describing: lead?.customAttributes["code"])) updates=\(updatesPerLead[id] ?? 0)"
                    )
                }
            }
            #expect(wrong.isEmpty, "\(wrong.count) rows differ, first: \(wrong.prefix(5))")
            #expect(posts.count == count)
            #expect(leads[obrien]?.name == "OBrien", "a lead the file does not name is untouched")

            // The rerun, online: nothing journaled twice, nothing sent again.
            rig.fake.clearRequests()
            let rerun = try await leadsh(["import", csv] + rig.args, environment: rig.env)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stdout.contains("imported 0, \(count) rows already imported"), "\(rerun.stdout)")
            #expect(outboxCount(rig.journal) == count)
            #expect(rig.posts.isEmpty)
            #expect(!rig.fake.requests.contains { $0.method == "GET" && $0.path.hasPrefix("/contacts") }, "an import reads no lead")
        }
    }

    @Test("leadsh import killed with SIGKILL in the middle, then rerun: every row journaled exactly once, intact, nothing lost")
    func killedMidImport() async throws {
        // Batches of 500, 1,000, 2,000, 4,000 and 4,500 rows: killed after one of the first three,
        // at least 8,000 rows remain to be journaled when the kill lands.
        let count = 12_000
        let seed = reliabilitySeed()
        var rng = SeededGenerator(state: seed)
        let seedNote = "LEADSH_SEED=\(seed)"
        // Killed once the journal holds at least this many rows: after the first batch or a later one.
        let killAt = Int.random(in: 1...3_500, using: &rng)
        try await withRig { rig in
            let csv = rig.home.write("leads.csv", generatedCSV(count))
            let importing = try RunningProduct("leadsh", ["import", csv, "--offline"] + rig.args, environment: rig.env)
            // Waits on the leadsh child until the journal it writes holds killAt rows (or it ends),
            // then kills it. On a thread of its own: a task on the shared pool can be held up by
            // the tests running beside it for longer than the rest of the import takes.
            let journal = rig.journal
            let counts = await withCheckedContinuation { (done: CheckedContinuation<[Int], Never>) in
                Thread.detachNewThread {
                    let deadline = ContinuousClock.now + .seconds(300)
                    var counts: [Int] = []
                    while case let n = outboxCount(journal), n < killAt, importing.process.isRunning, ContinuousClock.now < deadline {
                        if counts.last != n { counts.append(n) }
                        usleep(2_000)
                    }
                    importing.signal(SIGKILL)
                    done.resume(returning: counts)
                }
            }
            _ = await importing.wait()

            #expect(try integrityCheck(rig.journal) == "ok")
            let before = try outboxRows(rig.journal)
            #expect(before.count >= killAt, "the kill came after \(killAt) rows [\(seedNote)]")
            #expect(
                before.count < count, "the kill landed before the import ended (\(importing.stdout)); counts seen \(counts), kill at \(killAt) [\(seedNote)]")

            let rerun = try await leadsh(["import", csv, "--offline"] + rig.args, environment: rig.env)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stdout.contains("imported \(count - before.count), \(before.count) rows already imported, refused 0"), "\(rerun.stdout)")

            let rows = try outboxRows(rig.journal)
            #expect(rows.count == count, "every row once")
            let prefix = try #require(rows.first?.opID.split(separator: ":").dropLast().joined(separator: ":"))
            var seen = Set<String>()
            var wrong: [String] = []
            for row in rows {
                guard seen.insert(row.opID).inserted else {
                    wrong.append("\(row.opID) twice")
                    continue
                }
                guard let number = row.opID.split(separator: ":").last.flatMap({ Int($0) }) else {
                    wrong.append("op id \(row.opID)")
                    continue
                }
                let n = number - 1
                if row.opID != "\(prefix):" + String(format: "%09d", number) || row.leadID != String(format: "6000%020x", n)
                    || row.fields["name"] != .string("Imported \(n)") || row.fields["custom_attributes.n"] != .integer(Int64(n))
                    || row.fields["custom_attributes.code"] != .string("\(n)")
                {
                    wrong.append("\(row.opID): \(row.leadID ?? "no id") \(row.fields)")
                }
            }
            #expect(wrong.isEmpty, "\(wrong.count) rows wrong, first: \(wrong.prefix(5))")
            let expected = Set((1...count).map { "\(prefix):" + String(format: "%09d", $0) })
            #expect(expected == seen, "no row lost: \(expected.subtracting(seen).sorted().prefix(5)) missing")

            let again = try await leadsh(["import", csv, "--offline"] + rig.args, environment: rig.env)
            #expect(again.stdout.contains("imported 0, \(count) rows already imported"), "\(again.stdout)")
        }
    }

    @Test("bad rows are named FILE:LINE (where the row starts, quoted line breaks counted) and nothing of them is journaled; stop and continue")
    func badRows() async throws {
        try await withRig { rig in
            #expect(try await rig.run(["load \(obrien)"]).status == 0)
            let csv = rig.home.write(
                "bad.csv",
                """
                id,name,custom_attributes.n:integer,unsubscribed_from_emails
                \(obrien),"Two
                Lines",1,
                \(julia),Julia Bad,abc,
                \(winston),"Winston
                Smith",3,maybe
                \(syme),Syme,4,true
                ,Nobody,5,

                """)
            // The default, stop: the row before the first bad one is journaled, none after it.
            let stopped = try await rig.run(["import \(csv)"], extra: ["--offline"])
            #expect(stopped.status == 1)
            #expect(stopped.stderr.contains("\(csv):4: custom_attributes.n is an :integer column"), "\(stopped.stderr)")
            #expect(!stopped.stderr.contains("\(csv):5:"), "it stopped at line 4: \(stopped.stderr)")
            #expect(stopped.stderr.contains("the import stopped at line 4"), "\(stopped.stderr)")
            #expect(stopped.stdout.contains("imported 1, 0 rows already imported, refused 1"), "\(stopped.stdout)")
            var rows = try outboxRows(rig.journal)
            #expect(rows.map(\.leadID) == [obrien])
            #expect(rows.first?.fields["name"] == "Two\nLines", "a quoted line break is part of the cell")

            // continue: every bad row is named by the line it starts on, the good ones go in.
            let continued = try await rig.run(["import \(csv) --on-error continue"], extra: ["--offline"])
            #expect(continued.status == 1, "refused rows still fail the command")
            for line in [4, 5, 8] {
                #expect(continued.stderr.contains("\(csv):\(line): "), "line \(line): \(continued.stderr)")
            }
            #expect(continued.stderr.contains("\(csv):5: ") && continued.stderr.contains("maybe"), "\(continued.stderr)")
            #expect(!continued.stderr.contains("\(csv):6:") && !continued.stderr.contains("\(csv):7:"), "\(continued.stderr)")
            #expect(continued.stderr.contains("3 rows were refused and not journaled"), "\(continued.stderr)")
            #expect(continued.stdout.contains("imported 1, 1 row already imported, refused 3"), "\(continued.stdout)")
            rows = try outboxRows(rig.journal)
            #expect(rows.map(\.leadID) == [obrien, syme], "nothing of Julia's, Winston's or the nameless row")
            #expect(rows.last?.fields["unsubscribed_from_emails"] == .bool(true))
            #expect(rig.posts.isEmpty)

            // --json: the summary document, the refusals as notices.
            let json = try await rig.run(["import \(csv) --on-error continue"], extra: ["--offline", "--json"])
            let report = try #require(jsonLines(json.stdout).first)
            #expect(report["already_imported"] == 2 && report["imported"] == 0 && report["refused"] == 3, "\(report)")
            #expect(report["stopped_at_line"] == .null)
            #expect(report["dry_run"] == false)

            // A dry run journals nothing, and counts what it would.
            let fresh = rig.home.file("dry.sqlite")
            let dry = try await leadsh(rig.args(journal: fresh) + ["--offline", "-c", "import \(csv) --dry-run --on-error continue"], environment: rig.env)
            #expect(dry.stdout.contains("would import 2, 0 rows already imported, refused 3"), "\(dry.stdout)")
            #expect(dry.stdout.contains("dry run: nothing journaled"))
            #expect(outboxCount(fresh) == 0)

            // leadsh import: the same, with no "-c:1:" before its messages.
            let subcommand = try await leadsh(["import", csv, "--offline"] + rig.args(journal: fresh), environment: rig.env)
            #expect(subcommand.status == 1)
            #expect(subcommand.stderr.contains("\(csv):4: "), "\(subcommand.stderr)")
            #expect(!subcommand.stderr.contains("-c:"), "\(subcommand.stderr)")
            #expect(outboxCount(fresh) == 1)

            // A bad header is line 1, and nothing is journaled.
            let badHeader = rig.home.write("header.csv", "email,name\nobrien@truth.org,X\n")
            let header = try await leadsh(["import", badHeader, "--offline"] + rig.args(journal: fresh), environment: rig.env)
            #expect(header.status == 1)
            #expect(header.stderr.contains("\(badHeader):1: the header has no id or user_id column"), "\(header.stderr)")
            #expect(outboxCount(fresh) == 1)
        }
    }

    @Test(
        "cells keep their types: \"\"\"9\"\"\" is the string \"9\", 9 an integer, 9.0 a decimal; :string forces a column; the dialect's identifier column",
        arguments: apiVersions)
    func cellTypes(version: String) async throws {
        var configuration = FakeIntercomConfiguration()
        configuration.dataAttributes += [DataAttribute(name: "zip", dataType: "string")]
        try await withRig(configuration, version: version) { rig in
            let idColumn = rig.userIDColumn
            let csv = rig.home.write(
                "types.csv",
                """
                id,\(idColumn),custom_attributes.code,custom_attributes.team_mates,custom_attributes.monthly_spend,custom_attributes.zip:string
                \(obrien),,\"\"\"9\"\"\",9,9.0,01234
                ,3c1b8d2e-5f7a-4e6b-9a0d-1f2e3d4c5b6a,plain,12,,007

                """)
            let result = try await rig.run(["import \(csv)"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("imported 2"), "\(result.stdout)")
            #expect(result.stdout.contains("sent 2"), "online, the import replays: \(result.stdout)")

            let toObrien = try #require(rig.posts.first { $0.leadID == obrien })
            let custom = try #require(toObrien.bodyJSON?["custom_attributes"]?.objectValue)
            #expect(custom["code"] == .string("9"))
            #expect(custom["team_mates"] == .integer(9))
            #expect(custom["monthly_spend"] == .double(9.0))
            #expect(custom["zip"] == .string("01234"))
            // The bytes on the wire keep them apart too.
            for literal in [#""code":"9""#, #""team_mates":9,"#, #""monthly_spend":9.0"#, #""zip":"01234""#] {
                #expect(toObrien.bodyText.contains(literal), "\(literal) in \(toObrien.bodyText)")
            }
            let stored = try #require(rig.fake.lead(id: obrien))
            #expect(stored.customAttributes["code"] == .string("9"))
            #expect(stored.customAttributes["team_mates"] == .integer(9))
            #expect(stored.customAttributes["monthly_spend"] == .double(9.0))
            #expect(stored.customAttributes["zip"] == .string("01234"))

            // Julia named only by user_id (1.x) / external_id (2.x, found by a search first).
            let juliaNow = try #require(rig.fake.lead(id: julia))
            #expect(juliaNow.customAttributes["code"] == "plain")
            #expect(juliaNow.customAttributes["team_mates"] == .integer(12))
            #expect(juliaNow.customAttributes["zip"] == .string("007"))
            #expect(juliaNow.customAttributes["monthly_spend"] == .double(0), "an empty cell changes nothing")

            // The other dialect's name for the column is taken too, as `load user_id=` / `external_id=` are.
            let other = rig.home.write("other.csv", "\(rig.isV2 ? "user_id" : "external_id"),name\n\(obrienUserID),Aliased\n")
            let aliased = try await rig.run(["import \(other)"])
            #expect(aliased.status == 0, "\(aliased.stderr)")
            #expect(rig.fake.lead(id: obrien)?.name == "Aliased")
            #expect(rig.fake.allLeads.count == FakeIntercom.sampleLeads.count, "no lead was created")

            // The lead was not cached when imported: no old values were recorded, so revert refuses.
            let revert = try await rig.run(["revert 1"])
            #expect(revert.status == 1)
            #expect(revert.stderr.contains("old values were never recorded"), "\(revert.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["code"] == .string("9"), "nothing was cleared")
        }
    }

    // MARK: revert

    @Test("revert SEQ and revert A..B (newest first) restore Intercom's values; a field changed since is left alone and reported", arguments: apiVersions)
    func revert(version: String) async throws {
        try await withRig(version: version) { rig in
            let pushes = try await rig.run([
                "load \(obrien)", "set name A", "attr tier gold", "push", "set name B", "push",
            ])
            #expect(pushes.status == 0, "\(pushes.stderr)")
            #expect(rig.fake.lead(id: obrien)?.name == "B")

            let one = try await rig.run(["revert 2"])
            #expect(one.status == 0, "\(one.stderr)")
            #expect(one.stdout.contains("update #2 reverted by #3 (name); now sent"), "\(one.stdout)")
            #expect(rig.fake.lead(id: obrien)?.name == "A")

            rig.fake.clearRequests()
            let range = try await rig.run(["revert 1..2"], extra: ["--json"])
            #expect(range.status == 0, "\(range.stderr)")
            let reverted = try #require(try JSONText.parse(range.stdout).arrayValue, "\(range.stdout)")
            #expect(reverted.map { $0["reverted"] } == [2, 1], "newest first")
            #expect(reverted.map { $0["seq"] } == [4, 5])
            // #2's inverse (name back to A) met A already there; #1's sets the original values back.
            #expect(reverted.map { $0["state"] } == ["sent", "sent"], "\(reverted)")
            #expect(reverted.last?["fields"]?["name"] == "OBrien")
            #expect(reverted.last?["fields"]?["custom_attributes.tier"] == .null)
            let stored = try #require(rig.fake.lead(id: obrien))
            #expect(stored.name == "OBrien")
            #expect(stored.customAttributes["tier"] == nil || stored.customAttributes["tier"] == .null)
            #expect(rig.posts.allSatisfy { $0.leadID == obrien })

            // Someone renames the lead after our push: reverting it leaves their name alone.
            let push = try await rig.run(["load \(obrien)", "set name Mine", "attr tier silver", "push"])
            #expect(push.status == 0, "\(push.stderr)")
            rig.fake.edit(leadID: obrien, FieldChanges([(.standard("name"), "Theirs")]))
            rig.fake.clearRequests()
            let conflicted = try await rig.run(["revert 6"])
            #expect(conflicted.stdout.contains("update #6 reverted by #7"), "\(conflicted.stdout)")
            #expect(conflicted.stdout.contains("now conflict"), "\(conflicted.stdout) \(conflicted.stderr)")
            #expect(rig.fake.lead(id: obrien)?.name == "Theirs", "their change was left alone")
            #expect(rig.posts.isEmpty, "nothing of a conflicting revert is sent")
            let conflicts = try await rig.run(["conflicts"])
            #expect(conflicts.stdout.contains("#7") && conflicts.stdout.contains("\"Theirs\""), "\(conflicts.stdout)")

            let unsent = try await rig.run(["revert 7"])
            #expect(unsent.status == 1)
            #expect(unsent.stderr.contains("only a sent update can be reverted"), "\(unsent.stderr)")
            let missing = try await rig.run(["revert 99"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no update #99"), "\(missing.stderr)")
        }
    }

    // MARK: times

    @Test(
        "time values: ISO 8601 dates, times, offsets and now are sent as Unix seconds; show and diff add the UTC date; --json keeps numbers",
        arguments: apiVersions)
    func timeValues(version: String) async throws {
        try await withRig(version: version) { rig in
            let field = rig.lastSeenField
            let before = Int64(Date().timeIntervalSince1970)
            let result = try await rig.run([
                "load \(obrien)",
                "set \(field) 2026-12-01", "diff", "push",
                "set \(field) 2026-12-01T10:00:00Z", "push",
                "set \(field) 2026-12-01T10:00:00+02:00", "show \(field)", "push",
                "set \(field) now", "push",
            ])
            let after = Int64(Date().timeIntervalSince1970)
            #expect(result.status == 0, "\(result.stderr)")
            let sent = rig.posts.map { $0.bodyJSON?[field] }
            #expect(sent.count == 4)
            #expect(Array(sent.prefix(3)) == [.integer(1_796_083_200), .integer(1_796_119_200), .integer(1_796_112_000)], "\(sent)")
            let now = try #require(sent.last??.integerValue, "now is sent as an integer: \(String(describing: sent.last))")
            #expect(now >= before && now <= after)
            #expect(result.stdout.contains("1796083200 (2026-12-01 00:00:00 UTC)"), "diff: \(result.stdout)")
            #expect(result.stdout.contains("1796112000 (2026-12-01 08:00:00 UTC)"), "show: \(result.stdout)")

            let json = try await rig.run(["load \(obrien)", "set \(field) 2026-12-01", "diff", "discard"], extra: ["--json"])
            #expect(json.status == 0, "\(json.stderr)")
            let documents = jsonLines(json.stdout)
            #expect(documents.contains { $0["new"] == .integer(1_796_083_200) }, "set: \(json.stdout)")
            let diff = try #require(documents.first { $0["changes"] != nil })
            #expect(diff["changes"]?.arrayValue?.first?["new"] == .integer(1_796_083_200), "\(diff)")
            #expect(!json.stdout.contains("UTC"), "no dates in JSON")

            let bad = try await rig.run(["load \(obrien)", "set \(field) 2026-13-01"])
            #expect(bad.status == 1)
            #expect(rig.posts.count == 4)
        }
    }

    // MARK: a previewed edit

    @Test("a -c run whose last push --dry-run previewed exactly the unpushed edits exits 0; an edit after the preview still fails", arguments: apiVersions)
    func previewedEdits(version: String) async throws {
        try await withRig(version: version) { rig in
            let previewed = try await rig.run(["load \(obrien)", "set name Previewed", "attr tier gold", "push --dry-run"])
            #expect(previewed.status == 0, "\(previewed.stderr)")
            #expect(previewed.stdout.contains("dry run: nothing sent, nothing journaled"), "\(previewed.stdout)")
            #expect(previewed.stdout.contains("Previewed"))
            #expect(!previewed.stderr.contains("unpushed edits"), "\(previewed.stderr)")

            let file = rig.home.write("preview.leadsh", "load \(obrien)\nset name Previewed\npush --dry-run\n")
            let script = try await leadsh(rig.args + [file], environment: rig.env)
            #expect(script.status == 0, "\(script.stderr)")

            let editedAfter = try await rig.run(["load \(obrien)", "set name Previewed", "push --dry-run", "attr tier silver"])
            #expect(editedAfter.status == 1)
            #expect(editedAfter.stderr.contains("unpushed edits"), "\(editedAfter.stderr)")
            #expect(rig.posts.isEmpty)
            #expect(outboxCount(rig.journal) == 0)
            #expect(rig.fake.lead(id: obrien)?.name == "OBrien")
        }
    }

    // MARK: the example scripts

    @Test("the find and import examples in scripts/examples do what they say")
    func examples() async throws {
        let examples = repositoryRoot() + "/scripts/examples"
        try await withRig { rig in
            let found = try await leadsh(rig.args + [examples + "/find-by-email.leadsh", "obrien@truth.org", "gold"], environment: rig.env)
            #expect(found.status == 0, "\(found.stderr)")
            #expect(found.stdout.contains("obrien@truth.org") && found.stdout.contains("loaded \(obrien)"), "\(found.stdout)")
            #expect(rig.posts.count == 1)
            #expect(rig.posts.first?.leadID == obrien)
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "gold")

            rig.fake.clearRequests()
            let nobody = try await leadsh(rig.args + [examples + "/find-by-email.leadsh", "nobody@truth.org", "gold"], environment: rig.env)
            #expect(nobody.status == 1)
            #expect(nobody.stderr.contains("find-by-email.leadsh:13: not found"), "\(nobody.stderr)")
            #expect(rig.posts.isEmpty)

            let csv = examples + "/plans.csv"
            let imported = try await leadsh(rig.args + [examples + "/import-plans.leadsh", csv], environment: rig.env)
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("would import 3") && imported.stdout.contains("imported 3, 0 rows already imported"), "\(imported.stdout)")
            #expect(rig.posts.count == 3)
            let obrienNow = try #require(rig.fake.lead(id: obrien))
            #expect(obrienNow.name == "O'Brien, Liam")
            #expect(obrienNow.customAttributes["plan"] == "enterprise")
            #expect(obrienNow.customAttributes["team_mates"] == .integer(12))
            #expect(obrienNow.customAttributes["monthly_spend"] == .double(310.25))
            let juliaNow = try #require(rig.fake.lead(id: julia))
            #expect(juliaNow.name == "Julia", "an empty cell changes nothing")
            #expect(juliaNow.customAttributes["plan"] == .string("42"))
            #expect(juliaNow.customAttributes["team_mates"] == .integer(3))
            #expect(rig.fake.lead(id: winston)?.name == "Winston Smith")

            rig.fake.clearRequests()
            let again = try await leadsh(["import", csv] + rig.args, environment: rig.env)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("imported 0, 3 rows already imported"), "\(again.stdout)")
            #expect(rig.posts.isEmpty)
        }
    }

    // MARK: Tab after load

    @Test(
        "Tab after load completes a cached id, an email= value, and a unique name to its id",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func tabCompletesCachedLeads() async throws {
        try await withRig { rig in
            #expect(try await rig.run(["load \(obrien)", "load \(julia)"]).status == 0)
            rig.fake.clearRequests()
            let terminal = try TmuxSession(
                command: [productsDirectory() + "/leadsh"] + rig.args,
                environment: [
                    "HOME": rig.home.path, "XDG_DATA_HOME": rig.home.file("data"), "XDG_STATE_HOME": rig.home.file("state"),
                    "INTERCOM_TOKEN": rig.fake.configuration.token, "TERM": "xterm",
                ])
            defer { terminal.close() }
            _ = try await terminal.waitFor("leadsh[online]>")

            terminal.type("load 5811f6")
            terminal.press(.tab)
            _ = try await terminal.waitFor("> load \(obrien)")
            terminal.press(.ctrlU)

            terminal.type("load email=jul")
            terminal.press(.tab)
            _ = try await terminal.waitFor("> load email=julia@ministry.example")
            terminal.press(.ctrlU)

            terminal.type("load OBr")
            terminal.press(.tab)
            _ = try await terminal.waitFor("> load \(obrien)")
            terminal.press(.enter)
            _ = try await terminal.waitFor("loaded \(obrien) (OBrien)")
            terminal.press(.ctrlD)
            _ = try await terminal.waitForExit()
            #expect(
                !rig.fake.requests.contains { $0.path == "/contacts/search" || $0.rawQuery?.contains("email") == true },
                "completion reads the cache, not Intercom")
        }
    }
}
