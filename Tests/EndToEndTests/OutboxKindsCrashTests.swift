import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

/// Issue 25: `leadsh sync` killed with SIGKILL in the middle of 500 mixed operations (updates,
/// tags, untags, notes and a merge), then run again: every operation applied exactly as journaled.
@Suite("Crashes with every kind of row")
struct OutboxKindsCrashTests {
    @Test(
        "a sync of 250 mixed updates, tags, notes and a merge (500 with LEADSH_LONG=1) killed at random moments, then rerun: each applied exactly once, as journaled",
        arguments: apiVersions)
    func mixedKilled(version: String) async throws {
        let rounds = environmentInt("LEADSH_CRASH_ROUNDS", default: TestSize.pick(4, long: 6))
        let seed = reliabilitySeed()
        var rng = SeededGenerator(state: seed)
        let seedNote = "LEADSH_SEED=\(seed)"
        try await withRig(version: version) { rig in
            let copies = try generatedLeads(4)
            for lead in copies { rig.fake.insert(lead) }
            // The first sample lead is merged into a user (the last copy) part way through.
            let merged = allSampleIDs[0]
            let user = copies[3].id
            rig.fake.setRole("user", ofLead: user)
            let leads = allSampleIDs + copies.dropLast().map(\.id)
            rig.fake.setDelay(.milliseconds(6))

            var journaledRows: [NewUpdate] = []
            var lastN: [String: Int64] = [:]
            var lastTag: [String: [String: Bool]] = [:]
            var notes: Set<String> = []
            let tagNames = ["red", "green", "blue"]
            let count = TestSize.pick(250, long: 500)
            for index in 0..<count {
                let lead = leads[Int.random(in: 0..<leads.count, using: &rng)]
                let reference = LeadReference(id: lead)
                let row: NewUpdate
                if index == count / 2 {
                    row = NewUpdate(
                        update: LeadUpdate(unchecked: LeadReference(id: merged), changes: .merge(into: LeadReference(id: user))), base: FieldChanges(),
                        baseUpdatedAt: nil, kind: .merge)
                } else {
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0..<5:
                        row = NewUpdate(
                            update: try LeadUpdate(lead: reference, changes: FieldChanges([(.custom("n"), .integer(Int64(index)))])), base: FieldChanges(),
                            baseUpdatedAt: nil)
                        lastN[lead] = Int64(index)
                    case 5..<8:
                        var tags = TagChanges()
                        let name = tagNames[Int.random(in: 0..<tagNames.count, using: &rng)]
                        tags[name] = Bool.random(using: &rng)
                        row = NewUpdate(update: LeadUpdate(unchecked: reference, changes: tags.fields), base: FieldChanges(), baseUpdatedAt: nil, kind: .tags)
                        lastTag[lead, default: [:]][name] = tags[name]
                    default:
                        let body = "note \(index) for \(lead)"
                        row = NewUpdate(update: LeadUpdate(unchecked: reference, changes: .note(body)), base: FieldChanges(), baseUpdatedAt: nil, kind: .note)
                        notes.insert(body)
                    }
                }
                journaledRows.append(row)
            }
            do {
                let journal = try Journal(path: rig.journal)
                for row in journaledRows { _ = try journal.append(row, coalesce: false) }
                journal.close()
            }
            let journaledPayloads = try Self.payloads(rig.journal)

            var killedWhileSending = 0
            for round in 0..<rounds {
                let before = rig.fake.requests.count
                let sync = try RunningProduct("leadsh", rig.args + ["sync"], environment: rig.env)
                let deadline = ContinuousClock.now + .seconds(20)
                while rig.fake.requests.count <= before + 1, ContinuousClock.now < deadline, sync.process.isRunning {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...300, using: &rng)))
                sync.signal(SIGKILL)
                _ = await sync.wait()
                #expect(try integrityCheck(rig.journal) == "ok", "round \(round) [\(seedNote)]")
                #expect(try Self.payloads(rig.journal) == journaledPayloads, "round \(round): a row lost, added or changed [\(seedNote)]")
                let journal = try Journal(path: rig.journal)
                if try journal.entries(all: true, limit: 10_000).contains(where: { $0.state == .sending }) { killedWhileSending += 1 }
                journal.close()
            }
            #expect(killedWhileSending > 0, "some kill should land while a row is sending [\(seedNote)]")

            rig.fake.setDelay(.zero)
            let final = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(final.status == 0, "\(final.stdout)\(final.stderr) [\(seedNote)]")
            let journal = try Journal(path: rig.journal)
            let rows = try journal.entries(all: true, limit: 10_000)
            journal.close()
            #expect(
                rows.allSatisfy { $0.state == .sent },
                "every row sent: \(rows.filter { $0.state != .sent }.map { "#\($0.seq) \($0.state) \($0.lastError ?? "")" }) [\(seedNote)]")

            // The lead merged into the user: its values, tags and notes are the user's now.
            #expect(rig.fake.isMerged(leadID: merged), "[\(seedNote)]")
            func home(_ lead: String) -> String { lead == merged ? user : lead }
            for (lead, n) in lastN {
                #expect(rig.fake.lead(id: home(lead))?.customAttributes["n"] == .integer(n), "lead \(lead): the last update [\(seedNote)]")
            }
            for (lead, tags) in lastTag {
                let carried = Set(rig.fake.tagNames(leadID: home(lead)))
                for (name, present) in tags {
                    #expect(carried.contains(name) == present, "lead \(lead), tag \(name): the last operation [\(seedNote)]")
                }
            }
            var landed: [String: Int] = [:]
            for lead in Set(leads.map(home)) {
                for note in rig.fake.notes(leadID: lead) { landed[IntercomNoteText.plain(note.body), default: 0] += 1 }
            }
            for body in notes {
                #expect(landed[body] == 1, "note \(body) landed \(landed[body] ?? 0) times [\(seedNote)]")
            }
        }
    }

    /// Each row's kind, lead as journaled (`op_id`) and payload, in order: what a kill must never change.
    static func payloads(_ path: String) throws -> [String] {
        let journal = try Journal(path: path)
        defer { journal.close() }
        return try journal.entries(all: true, limit: 10_000).map { "\($0.seq) \($0.opID) \($0.kind) \(JSONText.serialize(.object($0.changes.jsonObject)))" }
    }
}

/// A note's body as a person reads it (the fake stores `<p>TEXT</p>`, escaped).
enum IntercomNoteText {
    static func plain(_ html: String) -> String {
        var text = html
        for (entity, character) in [("<p>", ""), ("</p>", ""), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text
    }
}
