import FakeIntercom
import Foundation
import Journal
import LeadModel
import LeadshApp
import TestSupport
import Testing

@Suite("Replay that merges, detects conflicts and paces itself")
struct SmartReplayTests {
    @Test("10 edits to each of 20 leads offline are merged: queue shows 20 rows and sync sends 20 updates with the last values", arguments: apiVersions)
    func coalescing(version: String) async throws {
        let leads = try generatedLeads(20)
        var configuration = FakeIntercomConfiguration(leads: leads)
        configuration.dataAttributes += [DataAttribute(name: "round", dataType: "integer"), DataAttribute(name: "odd_round", dataType: "integer")]
        try await withRig(configuration, version: version) { rig in
            let load = try await rig.run(leads.map { "load \($0.id)" })
            #expect(load.status == 0, "\(load.stderr)")
            rig.fake.clearRequests()

            var script = ""
            for round in 1...10 {
                for (n, lead) in leads.enumerated() {
                    // Alternate fields, so a merge must keep every field, the later value winning.
                    script += "load \(lead.id)\nattr round \(round)\n"
                    script += round.isMultiple(of: 2) ? "set name \"Lead \(n) r\(round)\"\n" : "attr odd_round \(round)\n"
                    script += "push\n"
                }
            }
            let batch = rig.home.write("batch.leadsh", script)
            let offline = try await leadsh(rig.args + ["--offline", batch], environment: rig.env)
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(offline.stdout.contains("(merged into #1)"), "a later push names the row it merged into")

            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            guard case .array(let rows) = try JSONText.parse(queue.stdout) else {
                Issue.record("queue --json: \(queue.stdout)")
                return
            }
            #expect(rows.count == 20, "one row per lead")

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(rig.posts.count == 20)
            for (n, lead) in leads.enumerated() {
                let stored = try #require(rig.fake.lead(id: lead.id))
                #expect(stored.customAttributes["round"] == 10)
                #expect(stored.customAttributes["odd_round"] == 9)
                #expect(stored.name == "Lead \(n) r10")
            }
        }
    }

    @Test("with --no-coalesce every push is its own row and its own update call, in order", arguments: apiVersions)
    func noCoalesce(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            rig.fake.clearRequests()
            let offline = try await rig.run(
                ["load \(obrien)", "attr n 1", "push", "attr n 2", "push", "attr n 3", "push"], extra: ["--offline", "--no-coalesce"])
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(!offline.stdout.contains("merged"))
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0)
            #expect(rig.posts.compactMap { $0.bodyJSON?["custom_attributes"]?["n"] } == [1, 2, 3])
        }
    }

    @Test("a lead changed in Intercom while we were offline: conflict, sent, or already equal; resolve mine and theirs; sync --blind", arguments: apiVersions)
    func conflicts(version: String) async throws {
        let extra = try generatedLeads(1)[0]
        try await withRig(version: version) { rig in
            rig.fake.insert(extra)
            let (a, b, c, d) = (allSampleIDs[0], allSampleIDs[1], allSampleIDs[2], allSampleIDs[3])
            let blindJournal = rig.home.file("blind.sqlite")
            let loaded = try await rig.run(allSampleIDs.map { "load \($0)" })
            #expect(loaded.status == 0, "\(loaded.stderr)")
            let loadedBlind = try await leadsh(
                ["--base-url", rig.fake.baseURL, "--journal", blindJournal, "--api-version", version, "-c", "load \(extra.id)"], environment: rig.env)
            #expect(loadedBlind.status == 0)

            // Our edits, made offline: seq 1 to 4.
            let offline = try await rig.run(
                [
                    "load \(a)", "set name Mine", "push",
                    "load \(b)", "set name MineB", "push",
                    "load \(c)", "set name SameC", "push",
                    "load \(d)", "set name MineD", "set phone 999", "push",
                ], extra: ["--offline"])
            #expect(offline.status == 0, "\(offline.stderr)")
            let blindOffline = try await leadsh(
                [
                    "--base-url", rig.fake.baseURL, "--journal", blindJournal, "--api-version", version, "--offline", "-c", "load \(extra.id)", "-c",
                    "set name MineX", "-c", "push",
                ],
                environment: rig.env)
            #expect(blindOffline.status == 0)

            // Meanwhile a teammate edits the same leads in Intercom.
            _ = rig.fake.edit(leadID: a, FieldChanges([(.standard("name"), "Theirs")]))
            _ = rig.fake.edit(leadID: b, FieldChanges([(.standard("phone"), "111")]))
            _ = rig.fake.edit(leadID: c, FieldChanges([(.standard("name"), "SameC")]))
            _ = rig.fake.edit(leadID: d, FieldChanges([(.standard("name"), "TheirsD")]))
            _ = rig.fake.edit(leadID: extra.id, FieldChanges([(.standard("name"), "TheirsX")]))
            // The replayer re-reads a lead whose cached copy is more than 5 s old: age it.
            try ageCache(rig.journal)
            rig.fake.clearRequests()

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 5, "conflicts leave sync with exit 5: \(sync.stdout) \(sync.stderr)")
            #expect(sync.stdout.contains("conflicts 2"), "\(sync.stdout)")
            // Each lead was re-read once; only B's update was posted.
            #expect(Set(rig.fake.requests.filter { $0.method == "GET" && $0.path != "/me" }.map(\.path)) == Set(allSampleIDs.map { "/contacts/\($0)" }))
            #expect(rig.posts.map(\.leadID) == [b])
            #expect(rig.fake.lead(id: b)?.name == "MineB")
            #expect(rig.fake.lead(id: b)?.phone == "111", "their change to another field stays")
            #expect(rig.fake.lead(id: a)?.name == "Theirs")
            #expect(rig.fake.lead(id: c)?.name == "SameC")

            let queue = try await leadsh(rig.args + ["queue", "--all", "--json"], environment: rig.env)
            guard case .array(let rows) = try JSONText.parse(queue.stdout) else {
                Issue.record("queue: \(queue.stdout)")
                return
            }
            let states = Dictionary(
                uniqueKeysWithValues: rows.compactMap { row -> (Int64, String)? in
                    guard let seq = row["seq"]?.integerValue, let state = row["state"]?.stringValue else { return nil }
                    return (seq, state)
                })
            #expect(states == [1: "conflict", 2: "sent", 3: "sent", 4: "conflict"], "C was already equal: sent without a POST")

            // The three-way view.
            let view = try await rig.run(["conflicts"])
            #expect(view.status == 0)
            #expect(view.stdout.contains("BASE") && view.stdout.contains("THEIRS") && view.stdout.contains("MINE"))
            let viewRows = view.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(viewRows.contains(#"name "OBrien" "Theirs" "Mine""#), "base / theirs / mine: \(view.stdout)")
            #expect(viewRows.contains(#"phone null (unchanged) "999""#), "a field they did not change: \(view.stdout)")
            let json = try await rig.run(["conflicts"], extra: ["--json"])
            guard case .array(let items) = try JSONText.parse(String(json.stdout.split(separator: "\n")[0])) else {
                Issue.record("\(json.stdout)")
                return
            }
            #expect(items.count == 2)
            let first = try #require(items.first)
            #expect(first["seq"] == 1)
            #expect(first["base"]?["name"] == "OBrien")
            #expect(first["theirs"]?["name"] == "Theirs")
            #expect(first["fields"]?["name"] == "Mine")

            // resolve mine sends ours; resolve theirs keeps theirs for the conflicting field, and the rest still goes.
            rig.fake.clearRequests()
            let resolved = try await rig.run(["resolve 1 mine", "resolve 4 theirs"])
            #expect(resolved.status == 0, "\(resolved.stderr)")
            #expect(resolved.stdout.contains("now sent"), "\(resolved.stdout)")
            #expect(rig.fake.lead(id: a)?.name == "Mine")
            #expect(rig.fake.lead(id: d)?.name == "TheirsD")
            #expect(rig.fake.lead(id: d)?.phone == "999")
            let dPost = try #require(rig.posts.first { $0.leadID == d })
            #expect(dPost.bodyJSON?["name"] == nil, "theirs: our name is not sent")
            #expect(dPost.bodyJSON?["phone"] == "999")
            let after = try await rig.run(["conflicts"])
            #expect(after.stdout.contains("no conflicts"))
            let resolvedAgain = try await rig.run(["resolve 2 mine"])
            #expect(resolvedAgain.status == 1)
            #expect(resolvedAgain.stderr.contains("update #2 is sent, not in conflict"))

            // sync --blind: no re-read, last writer wins.
            rig.fake.clearRequests()
            let blind = try await leadsh(["--base-url", rig.fake.baseURL, "--journal", blindJournal, "sync", "--blind"], environment: rig.env)
            #expect(blind.status == 0, "\(blind.stderr)")
            #expect(rig.fake.requests.filter { $0.method == "GET" && $0.path != "/me" }.isEmpty, "no re-read (only the app check)")
            #expect(rig.fake.lead(id: extra.id)?.name == "MineX")
        }
    }

    /// A sync of `count` journaled updates, in this process, against a fake in memory whose
    /// rate window runs on the same virtual clock as leadsh's waits: pacing without sleeping.
    static func pacedSync(count: Int, limit: Int, window: Double, terminal: TerminalCapabilities = .none) async throws
        -> (sync: ProcessResult, elapsed: Double, requests: [RecordedRequest], last: [String: Int64], workspace: FakeWorkspace)
    {
        let clock = JumpingClock(start: 1_800_000_000)
        var configuration = FakeIntercomConfiguration(rateLimit: RateLimit(limit: limit, window: .seconds(window)))
        configuration.dataAttributes += testAttributes
        configuration.clock = clock
        let workspace = FakeWorkspace(configuration: configuration)
        let home = TempDirectory("leadsh-paced")
        let journal = home.file("journal.sqlite")
        let last = try journalUpdates(journal, count: count, leads: allSampleIDs)
        let started = clock.now()
        let sync = await leadshInProcess(
            ["--base-url", "https://api.intercom.test", "--journal", journal, "sync"],
            environment: leadshEnvironment(home: home.path, token: configuration.token), terminal: terminal,
            transport: InMemoryTransport(workspace: workspace), clock: clock)
        return (sync, clock.now() - started, workspace.requests, last, workspace)
    }

    @Test("a paced replay of 300 updates against 60 requests a second: no 429 storm, and it takes windows, not minutes (virtual time)")
    func pacedReplay() async throws {
        let (window, limit, count) = (1.0, 60, 300)
        let run = try await Self.pacedSync(count: count, limit: limit, window: window)
        #expect(run.sync.status == 0, "\(run.sync.stderr)")
        let updates = run.requests.filter { $0.path != "/me" }
        #expect(updates.count >= count)
        #expect(updates.count - count <= 1, "at most one request beyond the \(count) updates, i.e. at most one 429")
        for (lead, n) in run.last { #expect(run.workspace.lead(id: lead)?.customAttributes["n"] == .integer(n)) }
        // On the virtual clock: the replay was spread over the windows, not burst, and did
        // not wait for minutes.
        let minimum = Double(count) / Double(limit) * window
        #expect(run.elapsed > minimum - 2 * window, "\(run.elapsed) s: the limit was not respected")
        #expect(run.elapsed < minimum * 3, "\(run.elapsed) s for a theoretical \(minimum) s")
    }

    @Test("progress on a terminal says when a paced replay waits for the rate window, and until when (virtual time)")
    func pacingProgress() async throws {
        let run = try await Self.pacedSync(count: 60, limit: 20, window: 2, terminal: TerminalCapabilities(stdin: false, stdout: false, stderr: true))
        #expect(run.sync.status == 0, "\(run.sync.stderr)")
        #expect(run.sync.stderr.contains("waiting for the rate window until"), "\(run.sync.stderr)")
        #expect(run.sync.stderr.range(of: #"until \d\d:\d\d:\d\d"#, options: .regularExpression) != nil, "\(run.sync.stderr)")
        #expect(run.sync.stderr.contains("60/60"), "the progress line reaches the total: \(run.sync.stderr)")
    }
}
