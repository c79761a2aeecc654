import CommandParser
import FakeIntercom
import Foundation
import IntercomClient
import Journal
import LeadModel
import Replayer
import Session
import TestSupport
import Testing

let obrien = "5811f6bbe6b4704ddfa84ac0"

/// A session on a temporary journal, talking to the in-process fake over loopback, on a
/// clock the test moves.
struct SessionRig {
    let session: Session
    let fake: FakeIntercom
    let clock: ManualClock
    let journalPath: String

    /// Runs a line as the shell would parse it.
    func run(_ line: String) async throws -> Reply {
        let command = try #require(try CommandParser.parse(line, dialect: session.dialect))
        return try await session.execute(command)
    }

    /// The failure a line ends in.
    func failure(_ line: String) async throws -> CommandFailure {
        let command = try #require(try CommandParser.parse(line, dialect: session.dialect))
        do {
            let reply = try await session.execute(command)
            Issue.record("`\(line)` succeeded: \(reply.result)")
            throw CancellationError()
        } catch let failure as CommandFailure {
            return failure
        }
    }
}

func withSession(
    version: String = "1.4", offline: Bool = false, _ body: (SessionRig) async throws -> Void
) async throws {
    let home = TempDirectory()
    let clock = ManualClock()
    var configuration = FakeIntercomConfiguration(appVersion: version)
    configuration.clock = clock
    try await withFakeIntercom(configuration) { fake in
        let api = IntercomAPI(
            configuration: IntercomConfiguration(
                endpoint: try Endpoint(fake.baseURL), token: fake.configuration.token,
                // No test here waits on a timeout: generous, so a loaded machine (the end-to-end
                // imports run beside these tests) is not taken for an unreachable Intercom.
                apiVersion: try APIVersion(version), requestTimeout: .seconds(20)))
        let journal = try Journal(path: home.file("journal.db"))
        var settings = SessionSettings(startOffline: offline)
        settings.apiVersion = try APIVersion(version)
        let session = Session(journal: journal, api: api, settings: settings, clock: clock)
        do {
            try await body(SessionRig(session: session, fake: fake, clock: clock, journalPath: home.file("journal.db")))
        } catch {
            await api.shutdown()
            journal.close()
            throw error
        }
        await api.shutdown()
        journal.close()
    }
}

@Suite("Session: each command's typed result")
struct SessionTests {
    @Test("load returns the fetched lead; offline, the cached copy with a notice once")
    func load() async throws {
        try await withSession { rig in
            guard case .loaded(let fresh) = try await rig.run("load \(obrien)").result else { throw Unexpected() }
            #expect(fresh.fresh && fresh.lead.id == obrien && fresh.lead.name == "OBrien")
            #expect(fresh.fetchedAt == rig.clock.now())

            _ = try await rig.run("offline")
            rig.clock.advance(by: 120)
            let again = try await rig.run("load \(obrien)")
            guard case .loaded(let cached) = again.result else { throw Unexpected() }
            #expect(!cached.fresh)
            #expect(again.notices == [.usingCachedCopy(fetchedAt: fresh.fetchedAt, now: rig.clock.now())])
            #expect(try await rig.run("load \(obrien)").notices.isEmpty, "the cached-copy notice is given once per lead")
        }
    }

    @Test("set, show, diff and discard return the edit, the lead, the changes and the count")
    func edits() async throws {
        try await withSession { rig in
            _ = try await rig.run("load \(obrien)")
            guard case .edited(let edit) = try await rig.run("set name Smith").result else { throw Unexpected() }
            #expect(edit.changed && edit.old == .string("OBrien") && edit.new == .string("Smith"))
            guard case .edited(let same) = try await rig.run("set email obrien@truth.org").result else { throw Unexpected() }
            #expect(!same.changed)

            guard case .field(let field) = try await rig.run("show name").result else { throw Unexpected() }
            #expect(field.value == .string("Smith") && field.was == .string("OBrien") && field.pending)
            guard case .lead(let lead) = try await rig.run("show").result else { throw Unexpected() }
            #expect(lead.shown.name == "Smith" && lead.loaded.name == "OBrien" && lead.edits.count == 1)
            guard case .changes(let changes) = try await rig.run("diff").result else { throw Unexpected() }
            #expect(changes.leadID == obrien && changes.changes.map(\.key) == [.standard("name")])
            guard case .discarded(let count) = try await rig.run("discard").result else { throw Unexpected() }
            #expect(count == 1)
            #expect(try await rig.failure("push").code == .nothingToPush)
        }
    }

    @Test("push --dry-run previews the call of each dialect; push sends it", arguments: ["1.4", "2.14"])
    func push(version: String) async throws {
        try await withSession(version: version) { rig in
            _ = try await rig.run("load \(obrien)")
            _ = try await rig.run("set name Smith")
            guard case .preview(let preview) = try await rig.run("push --dry-run").result else { throw Unexpected() }
            #expect(preview.method == (version == "1.4" ? "POST" : "PUT"))
            #expect(preview.path == (version == "1.4" ? "/contacts" : "/contacts/\(obrien)"))
            #expect(rig.fake.lead(id: obrien)?.name == "OBrien", "a dry run sends nothing")

            guard case .pushed(let outcome) = try await rig.run("push").result else { throw Unexpected() }
            #expect(outcome.entry.state == .sent && outcome.waiting == nil && outcome.unsent == 0)
            #expect(rig.fake.lead(id: obrien)?.name == "Smith")
        }
    }

    @Test("offline: push waits, queue pages it, sync sends it")
    func offlineThenSync() async throws {
        try await withSession { rig in
            _ = try await rig.run("load \(obrien)")
            guard case .offline = try await rig.run("offline").result else { throw Unexpected() }
            _ = try await rig.run("attr monthly_spend 200.5")
            guard case .pushed(let outcome) = try await rig.run("push").result else { throw Unexpected() }
            guard case .offline = outcome.waiting else { throw Unexpected() }
            #expect(outcome.unsent == 1)
            guard case .queue(.page(let entries, let all, let more, _)) = try await rig.run("queue").result else { throw Unexpected() }
            #expect(entries.map(\.seq) == [outcome.entry.seq] && !all && more == 0)
            guard case .synced(let report) = try await rig.run("sync").result else { throw Unexpected() }
            #expect(report.sent == 1 && report.pending == 0 && report.stop == .finished)
            #expect(ExitCode.afterSync(report) == ExitCode.success)
            #expect(rig.fake.lead(id: obrien)?.customAttributes["monthly_spend"] == .double(200.5))
        }
    }

    @Test("a refused push is kept as failed with Intercom's code; retry requeues it, drop drops it")
    func retryAndDrop() async throws {
        try await withSession { rig in
            _ = try await rig.run("load \(obrien)")
            _ = try await rig.run("set name Smith")
            rig.fake.inject(.status(400, code: "parameter_invalid", message: "bad"))
            let failure = try await rig.failure("push")
            #expect(failure.code == .intercom && failure.name == "parameter_invalid")
            guard case .requeued(let requeued) = try await rig.run("retry 1").result else { throw Unexpected() }
            #expect(requeued.entry.seq == 1 && requeued.after == .sent)
            #expect(try await rig.failure("drop 1").code == .invalidState)
            #expect(try await rig.failure("retry 9").code == .noSuchUpdate)
        }
    }

    @Test("a conflict is listed by conflicts and resolved by resolve mine")
    func conflicts() async throws {
        try await withSession { rig in
            _ = try await rig.run("load \(obrien)")
            _ = try await rig.run("set name Smith")
            _ = rig.fake.edit(leadID: obrien, FieldChanges([(.standard("name"), .string("Theirs"))]))
            rig.clock.advance(by: 60)
            #expect(try await rig.failure("push").code == .conflict)
            guard case .conflicts(let entries) = try await rig.run("conflicts").result else { throw Unexpected() }
            #expect(entries.map(\.seq) == [1] && entries[0].theirs?[.standard("name")] == .string("Theirs"))
            guard case .resolved(let resolved) = try await rig.run("resolve 1 mine").result else { throw Unexpected() }
            #expect(!resolved.dropped && resolved.after == .sent)
            #expect(rig.fake.lead(id: obrien)?.name == "Smith")
        }
    }

    @Test("status, help and attributes report the session, the commands and the workspace's attributes")
    func statusHelpAttributes() async throws {
        try await withSession(version: "2.14") { rig in
            _ = try await rig.run("load \(obrien)")
            guard case .status(let status) = try await rig.run("status").result else { throw Unexpected() }
            #expect(status.mode == .online && status.dialect == .v2 && status.leadID == obrien && status.journalApp == "ja43hiec")
            #expect(status.reachable == true && status.journalPath == rig.journalPath)
            guard case .help(let overview) = try await rig.run("help").result, overview.spec == nil else { throw Unexpected() }
            guard case .help(let set) = try await rig.run("help set").result else { throw Unexpected() }
            #expect(set.spec?.name == "set" && set.dialect == .v2)
            guard case .attributes(let attributes) = try await rig.run("attributes").result else { throw Unexpected() }
            #expect(attributes.contains { $0.name == "monthly_spend" })
            #expect(try await rig.failure("attr monthly_spnd 3").code == .unknownAttribute)
        }
    }

    @Test("the API goes away: push waits, the probe backs off on the session's clock, then replays when it answers")
    func probeBackoff() async throws {
        try await withSession { rig in
            _ = try await rig.run("load \(obrien)")
            _ = try await rig.run("set name Smith")
            await rig.fake.stopListening()
            let pushed = try await rig.run("push")
            guard case .pushed(let outcome) = pushed.result, case .offline = outcome.waiting else { throw Unexpected() }
            guard case .replayStopped(.unreachable, _) = pushed.notices.first else { throw Unexpected() }
            #expect(await rig.session.mode == .offline)

            var waits: [Double] = []
            for _ in 0..<3 {
                waits.append(await rig.session.backgroundWait())
                #expect(await rig.session.backgroundTick() == nil)
            }
            #expect(waits == [2, 3, 4.5])

            try await rig.fake.resumeListening()
            guard case .reachableAgain(let sent, let pending, _) = await rig.session.backgroundTick() else { throw Unexpected() }
            #expect(sent == 1 && pending == 0)
            #expect(await rig.session.mode == .online && rig.fake.lead(id: obrien)?.name == "Smith")
            #expect(await rig.session.backgroundWait() == 2)
        }
    }

    @Test("find and leads return the leads found and cached; load email= loads by id", arguments: ["1.4", "2.14"])
    func findAndLeads(version: String) async throws {
        try await withSession(version: version) { rig in
            guard case .found(let found) = try await rig.run("find email=obrien@truth.org").result else { throw Unexpected() }
            #expect(found.rows.map(\.id) == [obrien] && !found.fromCache)
            guard case .leads(let list) = try await rig.run("leads obri").result else { throw Unexpected() }
            #expect(list.leads.map(\.id) == [obrien] && list.leads[0].unsent == 0 && !list.json)
            guard case .loaded(let loaded) = try await rig.run("load email=obrien@truth.org").result else { throw Unexpected() }
            #expect(loaded.lead.id == obrien)
            _ = try await rig.run("offline")
            let offline = try await rig.run("find email=obrien@truth.org")
            guard case .found(let cached) = offline.result else { throw Unexpected() }
            #expect(cached.fromCache && cached.rows.map(\.id) == [obrien] && offline.notices.contains(.searchedCache))
        }
    }

    @Test("import returns its counts, a rerun journals nothing, a refused row fails the command with its line")
    func importFile() async throws {
        try await withSession(offline: true) { rig in
            let home = TempDirectory()
            let csv = home.write("rows.csv", "id,name\n\(obrien),Imported\nnot an id,X\n")
            let first = try await rig.run("import \(csv) --on-error continue")
            guard case .imported(let report) = first.result else { throw Unexpected() }
            #expect(report.imported == 1 && report.refused == 1 && report.alreadyImported == 0 && report.withoutBase == 1)
            #expect(first.failure?.code == .rowsRefused)
            #expect(first.notices.contains { if case .rowRefused(_, 3, _) = $0 { return true } else { return false } })
            guard case .imported(let again) = try await rig.run("import \(csv) --on-error continue").result else { throw Unexpected() }
            #expect(again.imported == 0 && again.alreadyImported == 1)
            guard case .synced(let synced) = try await rig.run("sync").result else { throw Unexpected() }
            #expect(synced.sent == 1 && rig.fake.lead(id: obrien)?.name == "Imported")
        }
    }

    @Test("revert queues the inverse of a sent update; drop drops a failed one; online replays")
    func revertDropOnline() async throws {
        try await withSession { rig in
            _ = try await rig.run("load \(obrien)")
            _ = try await rig.run("set name Smith")
            _ = try await rig.run("push")
            guard case .reverted(let reverted) = try await rig.run("revert 1").result else { throw Unexpected() }
            #expect(reverted.map(\.original) == [1] && reverted[0].after == .sent && rig.fake.lead(id: obrien)?.name == "OBrien")

            _ = try await rig.run("set name Other")
            rig.fake.inject(.status(400, code: "parameter_invalid", message: "bad"))
            _ = try? await rig.run("push")
            guard case .dropped(let dropped) = try await rig.run("drop 3").result else { throw Unexpected() }
            #expect(dropped.seq == 3 && dropped.state == .dropped)

            _ = try await rig.run("offline")
            guard case .online(let report) = try await rig.run("online").result else { throw Unexpected() }
            #expect(report.stop == .finished && report.pending == 0)
        }
    }

    @Test("failure codes name the problem: no lead, not found in the cache, not cached")
    func failures() async throws {
        try await withSession(offline: true) { rig in
            #expect(try await rig.failure("show").code == .noLead)
            #expect(try await rig.failure("load email=obrien@truth.org").code == .notFound, "offline, only the cache is searched")
            let notCached = try await rig.failure("load \(obrien)")
            #expect(notCached.code == .notCached && ExitCode.of(notCached) == ExitCode.commandFailed)
        }
    }
}

struct Unexpected: Error {}

@Suite("The catalog of failure codes")
struct FailureCatalogTests {
    @Test("README's table lists every failure code once, with the exit code the catalog gives it")
    func readmeTable() throws {
        let readme = try #require(contents(of: repositoryRoot() + "/README.md"))
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.split(separator: "|").count == 3 }
        var documented: [String: Int32] = [:]
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3, let exit = Int32(cells[1]) else { continue }
            let code = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(documented[code] == nil, "\(code) is listed twice")
            documented[code] = exit
        }
        for code in FailureCode.allCases {
            #expect(documented[code.rawValue] == code.exitCode, "README: \(code.rawValue) should be listed with exit \(code.exitCode)")
        }
        #expect(Set(documented.keys) == Set(FailureCode.allCases.map(\.rawValue)), "README lists codes leadsh does not have")
    }
}
