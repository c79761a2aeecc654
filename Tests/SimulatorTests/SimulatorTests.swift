import Foundation
import IntercomClient
import TestSupport
import Testing

@testable import ReplaySimulator

/// The deterministic replay simulator (`scripts/simulate`): seeded schedules of faults against
/// the real Session, Replayer and Journal, with the fake Intercom in memory.
///
/// Serialized, and run by `scripts/test` in a process of its own after the rest: a run's
/// virtual clock moves when its serial executor is idle (that is what makes a seed repeat
/// exactly), and a busy process (the rest of the suite, in parallel) delays that.
@Suite("The replay simulator", .serialized)
struct SimulatorTests {
    /// The fixed range CI runs on every change, in two `leadsh-simulate` processes at once (a
    /// process runs its schedules on one serial executor, so one process uses one core).
    static let seeds = 2_000

    @Test("seeds 1-2000: every invariant holds")
    func fixedRange() async throws {
        let half = Self.seeds / 2
        async let low = runProduct(
            "leadsh-simulate", ["--seeds", "\(half)", "--first", "1", "--quiet"], environment: ProcessInfo.processInfo.environment,
            timeout: .seconds(600))
        async let high = runProduct(
            "leadsh-simulate", ["--seeds", "\(Self.seeds - half)", "--first", "\(half + 1)", "--quiet"],
            environment: ProcessInfo.processInfo.environment, timeout: .seconds(600))
        for run in try await [low, high] {
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains(" 0 violations"), "\(run.stdout)")
        }
    }

    /// Schedules the simulator found breaking an invariant, shrunk, kept after their fix.
    static let found: [(String, Schedule)] = [
        (
            "a 429 on the app check waits within --wait instead of giving up (it exited 4 at once)",
            Schedule(
                seed: 107, apiVersion: "2.14",
                steps: [.goOffline, .edit(lead: 0, field: 0), .restart, .network([.status(429, resetIn: 3, retryAfter: nil)]), .sync(wait: 600)])
        ),
        (
            "a second process does not send before the reset the first one met",
            Schedule(
                seed: 2, apiVersion: "1.4",
                steps: [
                    .goOffline, .edit(lead: 1, field: 1), .restart, .network([.status(429, resetIn: 20, retryAfter: nil)]), .sync(wait: 0),
                    .restart, .sync(wait: 0), .editElsewhere(lead: 2, field: 0),
                ])
        ),
        (
            "a full disk while recording stops the sync (exit 3) instead of spinning",
            Schedule(
                seed: 158, apiVersion: "1.4", steps: [.goOffline, .edit(lead: 0, field: 1), .edit(lead: 1, field: 0), .restart, .diskFull, .sync(wait: 30)])
        ),
        (
            "an I/O error at one write mid-replay leaves the row for the next sync, counted once",
            Schedule(
                seed: 256, apiVersion: "2.14",
                steps: [.goOffline, .edit(lead: 0, field: 0), .edit(lead: 1, field: 1), .restart, .disk(.ioError, after: 2), .sync(wait: 30)])
        ),
        (
            "a load right after a window ran out waits for its reset (seed 1)",
            Schedule(seed: 1, apiVersion: "2.14", steps: [.rateLimit(limit: 2, window: 2), .edit(lead: 2, field: 1), .edit(lead: 0, field: 1)])
        ),
        (
            "a replay into a window it knows nothing of sends one request first, not a burst of 429s (seed 798)",
            Schedule(
                seed: 798, apiVersion: "1.4",
                steps: [.rateLimit(limit: 2, window: 2), .goOffline, .edit(lead: 2, field: 0), .edit(lead: 0, field: 1), .edit(lead: 1, field: 0)])
        ),
        (
            "a sync that could not record names it in its summary, not as sent (seed 668)",
            Schedule(
                seed: 668, apiVersion: "2.14",
                steps: [
                    .network([.status(429, resetIn: nil, retryAfter: nil), .refuse]), .edit(lead: 0, field: 0), .edit(lead: 2, field: 0),
                    .disk(.full, after: 4), .edit(lead: 1, field: 0), .network([.status(410, resetIn: nil, retryAfter: nil)]), .sync(wait: 0),
                ])
        ),
        (
            "a request that slept through one window re-checks the hold before it sends (seed 900)",
            Schedule(
                seed: 900, apiVersion: "2.14",
                steps: [
                    .edit(lead: 1, field: 1), .rateLimit(limit: 2, window: 2), .crash(after: 4), .edit(lead: 0, field: 1),
                    .syncWhileEditing(wait: 5, lead: 2, field: 0),
                ])
        ),
        (
            "sync --wait 0 does not wait out another request's 429 in flight (seed 4429)",
            Schedule(
                seed: 4429, apiVersion: "1.4",
                steps: [
                    .edit(lead: 2, field: 1), .network([.refuse, .refuse, .status(429, resetIn: nil, retryAfter: nil)]),
                    .network([
                        .refuse, .status(429, resetIn: 5, retryAfter: nil), .status(429, resetIn: nil, retryAfter: nil),
                        .status(429, resetIn: 16, retryAfter: nil),
                    ]),
                    .edit(lead: 0, field: 0), .sync(wait: 5), .editElsewhere(lead: 1, field: 0), .network([.hang]),
                    .editElsewhere(lead: 2, field: 0), .sync(wait: 0),
                ])
        ),
        (
            "a row whose rate-limit slot comes after --wait is held, not sent late (seed 18788)",
            Schedule(
                seed: 18788, apiVersion: "2.14",
                steps: [
                    .diskFull, .edit(lead: 0, field: 1), .diskFreed,
                    .network([
                        .status(502, resetIn: nil, retryAfter: nil), .status(429, resetIn: nil, retryAfter: nil), .refuse,
                        .status(429, resetIn: nil, retryAfter: 2),
                    ]),
                    .editElsewhere(lead: 2, field: 1),
                    .network([.hang, .status(422, resetIn: nil, retryAfter: nil), .status(401, resetIn: nil, retryAfter: nil), .refuse]),
                    .edit(lead: 2, field: 1), .edit(lead: 1, field: 1), .sync(wait: 0),
                ])
        ),
        (
            "a note whose answer never came (it landed) is checked before it is sent again, not sent twice (seed 137)",
            Schedule(seed: 137, apiVersion: "2.14", steps: [.note(lead: 2, faults: [.appliedHang])])
        ),
        (
            "the same under 1.x: a timed-out POST /notes counts as an attempt (seed 304)",
            Schedule(seed: 304, apiVersion: "1.4", steps: [.note(lead: 1, faults: [.appliedHang])])
        ),
        (
            "a merge whose answer never came (it landed) is found landed, not sent again and failed as not found (seed 834)",
            Schedule(seed: 834, apiVersion: "2.14", steps: [.merge(lead: 0, user: 1, faults: [.appliedHang])])
        ),
        (
            "a timed-out note after a refused connection, synced later, lands once (seed 1270)",
            Schedule(
                seed: 1270, apiVersion: "2.14", steps: [.goOnline, .network([.refuse, .appliedHang]), .note(lead: 2, faults: []), .sync(wait: 5)])
        ),
        (
            "sync --wait 5 whose app check (GET /me) met another process's rate-limit hold waited it out past the deadline (seed 15229)",
            Schedule(
                seed: 15229, apiVersion: "1.4",
                steps: [
                    .network([
                        .status(400, resetIn: nil, retryAfter: nil), .status(429, resetIn: 10, retryAfter: nil), .status(403, resetIn: nil, retryAfter: nil),
                        .status(403, resetIn: nil, retryAfter: nil),
                    ]),
                    .merge(lead: 0, user: 0, faults: [.status(429, resetIn: nil, retryAfter: 5)]), .edit(lead: 0, field: 1), .editElsewhere(lead: 2, field: 0),
                    .network([.status(408, resetIn: nil, retryAfter: nil), .status(429, resetIn: 9, retryAfter: nil)]), .goOffline,
                    .edit(lead: 1, field: 1), .network([.appliedHang, .cut, .status(500, resetIn: nil, retryAfter: nil), .hang]),
                    .syncWhileEditing(wait: 5, lead: 2, field: 1),
                ])
        ),
        (
            "an edit a second process journals for a lead after its merge was sent follows the lead to the user, not fails as not found (seed 882)",
            Schedule(seed: 882, apiVersion: "2.14", steps: [.merge(lead: 0, user: 1, faults: [.refuse]), .syncWhileEditing(wait: 5, lead: 0, field: 0)])
        ),
    ]

    @Test("the schedules that found faults hold every invariant", arguments: 0..<found.count)
    func foundFaults(_ index: Int) async {
        defer { Simulator.cleanUp() }
        let (what, schedule) = Self.found[index]
        let violation = await Simulation.run(schedule, directory: Simulator.defaultDirectory)
        #expect(violation == nil, "\(what): \(violation.map(\.description) ?? "")")
    }

    @Test("a seed replays exactly: the same requests at the same times, the same values applied")
    func deterministic() async {
        defer { Simulator.cleanUp() }
        for seed: UInt64 in [3, 44, 372, 1286] {
            let schedule = Schedule.generate(seed: seed)
            let first = await Simulation.runWithRecord(schedule, directory: Simulator.defaultDirectory)
            let second = await Simulation.runWithRecord(schedule, directory: Simulator.defaultDirectory)
            #expect(first.record == second.record, "seed \(seed)")
            #expect(!first.record.isEmpty)
        }
    }

    @Test("the invariants catch what they promise to: a request before a recorded reset, a second 429 in a window")
    func invariantsCatch() {
        let world = World(now: Simulation.start, tracing: false)
        world.watchHold { Simulation.start + 5 }
        let request = TransportRequest(method: "GET", url: "https://api.intercom.io/contacts/x", path: "/contacts/x", headers: [], body: nil)
        world.issued(request)
        #expect(world.violations.first?.contains("before the rate-limit reset") == true)

        let other = World(now: Simulation.start, tracing: false)
        let reset = String(Int64(Simulation.start) + 10)
        let answer = TransportResponse(status: 429, headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)], body: [])
        other.received(answer, for: request, injected: false)
        #expect(other.violations.isEmpty)
        other.received(answer, for: request, injected: false)
        #expect(other.violations.first?.contains("a second 429") == true)
    }

    @Test("the invariants of notes and tags catch what they promise to: a note twice, a tag against its last row")
    func kindInvariantsCatch() async {
        defer { Simulator.cleanUp() }
        let schedule = Schedule(
            seed: 9, apiVersion: "2.14", steps: [.note(lead: 0, faults: []), .tag(lead: 1, tag: 0, add: false, field: 1), .merge(lead: 2, user: 0, faults: [])])
        let path = Simulator.defaultDirectory + "/sim-invariants-\(UInt32.random(in: 0...UInt32.max)).journal"
        defer {
            for suffix in ["", "-wal", "-shm", ".lock"] { unlink(path + suffix) }
        }
        let run = Run(schedule: schedule, path: path, tracing: false)
        let violation = await withTaskExecutorPreference(SimulationExecutor(clock: run.clock)) { await run.execute() }
        #expect(violation == nil, "\(violation.map(\.description) ?? "")")
        await run.restart()
        let rows = await run.rows() ?? []
        #expect(rows.map(\.kind) == [.note, .update, .tags, .merge])
        #expect(rows.allSatisfy { $0.state == .sent })
        #expect(await run.otherKinds(rows, final: true) == nil)

        // A teammate tags the lead: the last row untagged it.
        let workspace = await run.workspace
        let leads = await run.leads
        let tagged = workspace.tag(leadID: leads[1], with: Schedule.tagName(0, lead: 1))
        #expect(tagged != nil)
        #expect(await run.tagsFollowLastRow(rows)?.contains("the lead carries it") == true)

        // The note again: it is in Intercom twice.
        workspace.addNote(leadID: leads[0], body: rows[0].changes.noteBody)
        #expect(await run.notesLandOnce(rows)?.contains("2 times") == true)
    }

    @Test("shrinking keeps a failing schedule failing and drops the steps that do not matter")
    func shrinking() async {
        // leadsh breaks no invariant on purpose, so a predicate stands in for a failing run.
        let steps: [Step] = [.goOffline, .clockJump(seconds: 1), .edit(lead: 0, field: 0), .restart, .clockJump(seconds: 30), .goOnline]
        let shrunk = await Simulator.shrinkSteps(steps) { candidate in candidate.contains(.edit(lead: 0, field: 0)) && candidate.contains(.restart) }
        #expect(shrunk == [.edit(lead: 0, field: 0), .restart])
    }
}
