import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

// Issue 24, items 3 and 4, end to end: export the cached leads, edit the file as a spreadsheet
// would, import it back. The app in process against the fake, with real SQLite journals,
// under 1.4 and 2.14.

private let juliaID = "5811f7c1e6b4704ddfa84ad2"

extension Rig {
    /// Caches the four sample leads (`load` each), as a user does before exporting them.
    func cacheSampleLeads() async throws {
        let loaded = try await run([obrien, juliaID, winston, syme].map { "load \($0)" })
        #expect(loaded.status == 0, "\(loaded.stderr)")
    }
}

/// The lines of a CSV file, split at its row ends (CR LF), the header first.
private func csvLines(_ path: String) -> [String] {
    (contents(of: path) ?? "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
}

/// The file with `replacements` made line by line (whole cells, found by their text).
private func edit(_ path: String, _ replacements: [(line: String, old: String, new: String)]) throws {
    var lines = csvLines(path)
    for replacement in replacements {
        let index = try #require(lines.firstIndex { $0.hasPrefix(replacement.line) }, "no line starting \(replacement.line)")
        var cells = lines[index].components(separatedBy: ",")
        let cell = try #require(cells.firstIndex(of: replacement.old), "no cell \(replacement.old) in \(lines[index])")
        cells[cell] = replacement.new
        lines[index] = cells.joined(separator: ",")
    }
    try Data((lines.joined(separator: "\r\n") + "\r\n").utf8).write(to: URL(fileURLWithPath: path))
}

@Suite("Issue 24: export, and a spreadsheet round trip with a conflict check (the app, the fake, real journals)")
struct ExportRoundTripTests {
    @Test("export writes the cached leads as CSV, mode 0600, in import's column names", arguments: apiVersions)
    func exportWrites(version: String) async throws {
        try await withRig(version: version) { rig in
            try await rig.cacheSampleLeads()
            let path = rig.home.file("leads.csv")
            let old = umask(0o022)
            defer { umask(old) }
            let result = try await rig.run(["export \(path)"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(permissions(of: path) == 0o600, "it holds personal data")
            let lines = csvLines(path)
            #expect(lines.count == 5, "a header and four leads: \(lines)")
            let header = lines[0].components(separatedBy: ",")
            #expect(header[0].hasPrefix("id@"))
            #expect(
                Array(header.dropFirst())
                    == [
                        rig.userIDColumn, "name", "email", "custom_attributes.monthly_spend:decimal", "custom_attributes.paid_subscriber:boolean",
                        "custom_attributes.plan", "custom_attributes.team_mates:integer",
                    ], "\(lines[0])")
            #expect(lines.contains("\(obrien),\(obrienUserID),OBrien,obrien@truth.org,155.5,true,,9"), "\(lines)")
            #expect(result.stdout.contains("exported 4 cached leads to \(path)"), "\(result.stdout)")
            let exportID = String(header[0].dropFirst(3))
            #expect(try sqlite(rig.journal, "SELECT COUNT(*) FROM exported_leads WHERE export_id = '\(exportID)'", as: Int.self) == 4)

            // --filter keeps the leads `leads TEXT` lists; the columns asked for, in order; --json.
            let some = rig.home.file("some.csv")
            let filtered = try await rig.run(["export \(some) custom_attributes.team_mates name --filter MINISTRY"], extra: ["--json"])
            #expect(filtered.status == 0, "\(filtered.stderr)")
            let report = try JSONText.parse(filtered.stdout)
            #expect(report["leads"] == .integer(1), "\(filtered.stdout)")
            #expect(report["file"] == .string(some))
            #expect(csvLines(some).dropFirst() == ["\(juliaID),\(rig.fake.lead(id: juliaID)?.userID ?? ""),1,Julia"], "\(csvLines(some))")
            #expect(csvLines(some)[0].hasSuffix(",\(rig.userIDColumn),custom_attributes.team_mates:integer,name"))

            // A column an import would refuse: nothing written.
            let bad = try await rig.run(["export \(rig.home.file("bad.csv")) created_at"])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("read-only"), "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: rig.home.file("bad.csv")))
        }
    }

    @Test("an unchanged round trip sends nothing, even through a spreadsheet's rewrite", arguments: apiVersions)
    func unchangedRoundTrip(version: String) async throws {
        try await withRig(version: version) { rig in
            try await rig.cacheSampleLeads()
            let path = rig.home.file("leads.csv")
            let exported = try await rig.run(["export \(path)"])
            #expect(exported.status == 0, "\(exported.stderr)")
            rig.fake.clearRequests()

            let same = try await rig.run(["import \(path)"])
            #expect(same.status == 0, "\(same.stderr)")
            #expect(same.stdout.contains("imported 0"), "\(same.stdout)")
            #expect(same.stdout.contains("unchanged 4"), "\(same.stdout)")

            // As a spreadsheet saves it: a byte order mark, TRUE/FALSE, 155.50, 0 for 0.0.
            try edit(
                path,
                [
                    (obrien, "true", "TRUE"), (obrien, "155.5", "155.50"), (juliaID, "false", "FALSE"), (juliaID, "0.0", "0"),
                ])
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try (Data([0xEF, 0xBB, 0xBF]) + bytes).write(to: URL(fileURLWithPath: path))
            let rewritten = try await rig.run(["import \(path)"])
            #expect(rewritten.status == 0, "\(rewritten.stderr)")
            #expect(rewritten.stdout.contains("imported 0"), "\(rewritten.stdout)")
            #expect(rig.posts.isEmpty, "nothing sent: \(rig.posts.map(\.bodyText))")
            #expect(outboxCount(rig.journal) == 0, "nothing journaled")
        }
    }

    @Test(
        "export, a teammate's change in Intercom, edit, import: that lead's edited cell ends in conflict, every other edited cell is delivered",
        arguments: apiVersions)
    func roundTripWithConflict(version: String) async throws {
        try await withRig(version: version) { rig in
            try await rig.cacheSampleLeads()
            let path = rig.home.file("leads.csv")
            let exported = try await rig.run(["export \(path)"])
            #expect(exported.status == 0, "\(exported.stderr)")

            // Meanwhile, in Intercom: a teammate renames Winston.
            rig.fake.edit(leadID: winston, FieldChanges([(.standard("name"), "W. Smith")]))
            rig.fake.clearRequests()

            // In the spreadsheet: Winston renamed too; O'Brien's team grows; Julia renamed and
            // her team_mates emptied; O'Brien's spend and flag rewritten as a spreadsheet does.
            try edit(
                path,
                [
                    (winston, "Winston", "Winston Smith"), (obrien, "9", "12"), (obrien, "155.5", "155.50"), (obrien, "true", "TRUE"),
                    (juliaID, "Julia", "Julia Parsons"), (juliaID, "1", ""),
                ])
            let imported = try await rig.run(["import \(path)"])
            #expect(imported.stdout.contains("imported 3"), "\(imported.stdout) \(imported.stderr)")
            #expect(imported.stdout.contains("unchanged 1"), "Syme's row: \(imported.stdout)")
            #expect(imported.stdout.contains("conflicts 1"), "\(imported.stdout)")

            // The conflicting cell was not written over the teammate's.
            #expect(rig.fake.lead(id: winston)?.name == "W. Smith")
            #expect(!rig.posts.contains { $0.leadID == winston }, "nothing sent to Winston")
            // Every other edited cell was delivered, and nothing else.
            #expect(rig.fake.lead(id: obrien)?.customAttributes["team_mates"] == .integer(12))
            #expect(rig.fake.lead(id: obrien)?.customAttributes["monthly_spend"] == .double(155.5))
            #expect(rig.fake.lead(id: juliaID)?.name == "Julia Parsons")
            #expect(rig.fake.lead(id: juliaID)?.customAttributes["team_mates"] ?? .null == .null, "an emptied cell clears the value")
            #expect(rig.posts.count == 2, "\(rig.posts.map(\.bodyText))")
            for post in rig.posts {
                let body = post.bodyJSON
                let custom = body?["custom_attributes"]?.objectValue ?? JSONObject()
                #expect(custom["monthly_spend"] == nil && custom["paid_subscriber"] == nil, "unchanged cells are not sent: \(post.bodyText)")
                #expect(body?["email"] == nil, "\(post.bodyText)")
            }
            let obrienPost = try #require(rig.posts.first { $0.leadID == obrien })
            #expect(obrienPost.bodyJSON?["custom_attributes"]?["team_mates"] == .integer(12))
            #expect(obrienPost.bodyJSON?["name"] == nil, "\(obrienPost.bodyText)")
            let juliaPost = try #require(rig.posts.first { $0.leadID == juliaID })
            #expect(juliaPost.bodyJSON?["custom_attributes"]?["team_mates"] == .null, "\(juliaPost.bodyText)")

            // Three-way, as `resolve` settles it: base is the exported value.
            let conflicts = try await rig.run(["conflicts"])
            #expect(conflicts.stdout.contains(winston), "\(conflicts.stdout)")
            #expect(conflicts.stdout.contains("\"Winston\""), "base: \(conflicts.stdout)")
            #expect(conflicts.stdout.contains("\"W. Smith\""), "theirs: \(conflicts.stdout)")
            #expect(conflicts.stdout.contains("\"Winston Smith\""), "mine: \(conflicts.stdout)")
            let seq = try #require(
                try sqlite(rig.journal, "SELECT seq FROM updates WHERE lead_id = '\(winston)' AND state = 'conflict'", as: Int.self))
            let resolved = try await rig.run(["resolve \(seq) mine"])
            #expect(resolved.status == 0, "\(resolved.stderr)")
            #expect(rig.fake.lead(id: winston)?.name == "Winston Smith")

            // Importing the same file again journals nothing more.
            let again = try await rig.run(["import \(path)"])
            #expect(again.stdout.contains("3 rows already imported"), "\(again.stdout)")
        }
    }

    @Test("a file exported with another journal is refused and says how to import it anyway", arguments: ["2.14"])
    func otherJournal(version: String) async throws {
        try await withRig(version: version) { rig in
            try await rig.cacheSampleLeads()
            let path = rig.home.file("leads.csv")
            _ = try await rig.run(["export \(path)"])
            let other = try await leadsh(
                rig.args(journal: rig.home.file("other.sqlite")) + ["-c", "import \(path)"], environment: rig.env)
            #expect(other.status == 1)
            #expect(other.stderr.contains("\(path):1:") && other.stderr.contains("rename the column to id"), "\(other.stderr)")
        }
    }
}

@Suite("Issue 24: export writes the selection")
struct ExportSelectionTests {
    @Test("after find and load found, export writes the selected leads only; --filter then is refused", arguments: ["2.14"])
    func selection(version: String) async throws {
        try await withRig(version: version) { rig in
            try await rig.cacheSampleLeads()
            let path = rig.home.file("selected.csv")
            let result = try await rig.run(["find plan=pro", "load found", "export \(path) name custom_attributes.plan"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("exported selected 1 lead to \(path)"), "\(result.stdout)")
            #expect(csvLines(path).dropFirst() == ["\(winston),\(rig.fake.lead(id: winston)?.userID ?? ""),Winston,pro"], "\(csvLines(path))")
            #expect(permissions(of: path) == 0o600)

            let filtered = try await rig.run(["find plan=pro", "load found", "export \(path) --filter ministry"])
            #expect(filtered.status == 1)
            #expect(filtered.stderr.contains("--filter"), "\(filtered.stderr)")
        }
    }
}
