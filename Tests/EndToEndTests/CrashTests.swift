import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

/// Crash safety: `leadsh` killed with SIGKILL at random moments loses nothing and sends nothing wrongly.
///
/// `LEADSH_CRASH_ROUNDS` sets how many kill-and-restart rounds the sync test runs (default 4, 6 with `LEADSH_LONG=1`);
/// `LEADSH_SEED` replays a failing run (the seed is printed in every failure).
@Suite("Crashes: SIGKILL at random moments")
struct CrashTests {
    /// Eight leads: the four samples and four copies with their own ids.
    static func addLeads(to fake: FakeIntercom) -> [String] {
        let copies = try! generatedLeads(4)
        for lead in copies { fake.insert(lead) }
        return allSampleIDs + copies.map(\.id)
    }

    @Test(
        "leadsh sync killed at random moments (300 pending, then more each round): the end state is exact, every row is sent, nothing was sent wrongly",
        arguments: apiVersions)
    func syncKilledRepeatedly(version: String) async throws {
        let rounds = environmentInt("LEADSH_CRASH_ROUNDS", default: TestSize.pick(4, long: 6))
        // A few hundred pending updates at the first kill, and more journaled before each restart.
        func batch(_ round: Int) -> Int { round == 0 ? 300 : 40 }
        let seed = reliabilitySeed()
        var rng = SeededGenerator(state: seed)
        let seedNote = "LEADSH_SEED=\(seed)"
        let context = Comment(rawValue: seedNote)
        try await withRig(version: version) { rig in
            let leads = Self.addLeads(to: rig.fake)
            rig.fake.setDelay(.milliseconds(8))
            var expected: [String: Int64] = [:]
            var journaled = 0
            var killedWhileSending = 0
            for round in 0..<rounds {
                // A batch of updates spread over the leads, continuing the counter.
                do {
                    let journal = try Journal(path: rig.journal)
                    for _ in 0..<batch(round) {
                        let lead = leads[Int.random(in: 0..<leads.count, using: &rng)]
                        let update = try LeadUpdate(lead: LeadReference(id: lead), changes: FieldChanges([(.custom("n"), .integer(Int64(journaled)))]))
                        _ = try journal.append(NewUpdate(update: update, base: FieldChanges(), baseUpdatedAt: nil), coalesce: false)
                        expected[lead] = Int64(journaled)
                        journaled += 1
                    }
                    journal.close()
                }
                // Kill anywhere from start-up (reconciling orphans) to mid-replay.
                let sentBefore = rig.fake.requests.count
                let sync = try RunningProduct("leadsh", rig.args + ["sync"], environment: rig.env)
                if round % 3 == 0 {
                    // Waits on the leadsh child: the kill lands at a random point of its start.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...60, using: &rng)))
                } else {
                    // Mid-replay: once the first update has reached the fake (however slowly a
                    // loaded machine starts the child), then a random moment of the sends.
                    let deadline = ContinuousClock.now + .seconds(20)
                    while rig.fake.requests.count <= sentBefore + 1, ContinuousClock.now < deadline, sync.process.isRunning {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...400, using: &rng)))
                }
                sync.signal(SIGKILL)
                _ = await sync.wait()

                #expect(try integrityCheck(rig.journal) == "ok", context)
                let journal = try Journal(path: rig.journal)
                let rows = try journal.entries(all: true, limit: 1_000_000)
                journal.close()
                #expect(rows.count == journaled, "round \(round): rows lost or added [\(seedNote)]")
                #expect(rows.map(\.n) == (0..<journaled).map { Int64?(Int64($0)) }, "round \(round): a row's fields changed [\(seedNote)]")
                if rows.contains(where: { $0.state == .sending }) { killedWhileSending += 1 }
            }
            if rounds >= 4 {
                #expect(killedWhileSending > 0, "some kill should land while a row is sending [\(seedNote)]")
            }

            rig.fake.setDelay(.zero)
            let final = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(final.status == 0, "\(final.stderr) [\(seedNote)]")
            for (lead, n) in expected {
                #expect(rig.fake.lead(id: lead)?.customAttributes["n"] == .integer(n), "lead \(lead) [\(seedNote)]")
            }
            let journal = try Journal(path: rig.journal)
            defer { journal.close() }
            let rows = try journal.entries(all: true, limit: 1_000_000)
            #expect(rows.count == journaled)
            #expect(rows.allSatisfy { $0.state == .sent }, "every row is sent [\(seedNote)]")
            #expect(try integrityCheck(rig.journal) == "ok")

            // Nothing was sent wrongly: every POST carried exactly one journaled update, and
            // each lead's updates reached the fake in sequence order (a killed send may repeat).
            let byValue = Dictionary(uniqueKeysWithValues: rows.map { ($0.n!, $0.lead.id!) })
            for post in rig.posts {
                let id = post.leadID
                let n = post.bodyJSON?["custom_attributes"]?["n"]?.integerValue
                #expect(n.flatMap { byValue[$0] } == id, "a POST that matches no journaled update: \(String(decoding: post.body, as: UTF8.self)) [\(seedNote)]")
            }
            for lead in leads {
                let values = rig.posts.filter { $0.leadID == lead }.compactMap { $0.bodyJSON?["custom_attributes"]?["n"]?.integerValue }
                #expect(values == values.sorted(), "lead \(lead) out of order [\(seedNote)]")
                #expect(Set(values) == Set(rows.filter { $0.lead.id == lead }.map { $0.n! }), "lead \(lead): every update delivered [\(seedNote)]")
            }
        }
    }

    enum PushMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case online, offline
        var testDescription: String { rawValue }
    }

    @Test(
        "a script of pushes killed with SIGKILL: every push acknowledged before the kill is in the journal, intact, and the journal passes integrity_check",
        arguments: PushMode.allCases, apiVersions)
    func scriptKilledMidPushes(mode: PushMode, version: String) async throws {
        let seed = reliabilitySeed()
        var rng = SeededGenerator(state: seed)
        let seedNote = "LEADSH_SEED=\(seed)"
        let context = Comment(rawValue: seedNote)
        try await withRig(version: version) { rig in
            let load = try await rig.run(["load \(obrien)"])
            #expect(load.status == 0, "\(load.stderr)")
            rig.fake.setDelay(.milliseconds(3))
            // More than any machine journals before the kill (at most 0.8 s after the first acknowledgement).
            let pushes = 20_000
            var script = "load \(obrien)\n"
            for n in 0..<pushes { script += "attr n \(n)\npush\n" }
            let path = rig.home.write("pushes.leadsh", script)
            let extra = mode == .offline ? ["--offline"] : []
            let run = try RunningProduct("leadsh", rig.args + extra + ["--json", "--no-coalesce", path], environment: rig.env)
            // Let some pushes through, then kill at a random moment.
            _ = try await run.waitForOutput { $0.contains("\"op_id\"") }
            // Waits on the leadsh child: the kill lands at a random point of its run.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...800, using: &rng)))
            run.signal(SIGKILL)
            let status = await run.wait()
            #expect(status == SIGKILL || run.process.terminationReason == .uncaughtSignal, context)

            let acknowledged = jsonLines(run.stdout).filter { $0["op_id"] != nil }
            #expect(!acknowledged.isEmpty)
            #expect(acknowledged.count < pushes, "the kill landed before the script ended [\(seedNote)]")
            #expect(try integrityCheck(rig.journal) == "ok", context)
            let journal = try Journal(path: rig.journal)
            for (n, ack) in acknowledged.enumerated() {
                let seq = try #require(ack["seq"]?.integerValue)
                let row = try journal.entry(seq: seq)
                #expect(row?.opID == ack["op_id"]?.stringValue, "acknowledged push #\(seq) is missing [\(seedNote)]")
                #expect(row?.n == Int64(n), "acknowledged push #\(seq) holds the wrong value [\(seedNote)]")
            }
            let rows = try journal.entries(all: true, limit: 1_000_000)
            journal.close()
            // At most one push was journaled but not yet acknowledged when the kill came.
            #expect(rows.count == acknowledged.count || rows.count == acknowledged.count + 1, context)
            #expect(rows.map(\.n) == (0..<rows.count).map { Int64?(Int64($0)) }, context)

            rig.fake.setDelay(.zero)
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr) [\(seedNote)]")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["n"] == .integer(Int64(rows.count - 1)), context)
        }
    }
}
