import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

/// Issue 25: every new kind of request goes through the one failure policy, with its 429, 5xx,
/// refused and 401 cases, as an update's does.
@Suite("The failure policy for tags, notes and merges")
struct OutboxKindsPolicyTests {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case tags, note, merge
        var testDescription: String { rawValue }

        /// The commands that journal one row of this kind for the seed's OBrien.
        var commands: [String] {
            switch self {
            case .tags: ["load \(obrien)", "tag vip", "push"]
            case .note: ["load \(obrien)", "note 'Policy check'"]
            case .merge: ["load \(obrien)", "merge into \(OutboxKindsTests.winston)"]
            }
        }

        /// Whether the row's effect is on the fake.
        func landed(_ fake: FakeIntercom) -> Bool {
            switch self {
            case .tags: fake.tagNames(leadID: obrien).contains("vip")
            case .note: (fake.notes(leadID: obrien) + fake.notes(leadID: OutboxKindsTests.winston)).contains { $0.body.contains("Policy check") }
            case .merge: fake.isMerged(leadID: obrien)
            }
        }
    }

    enum Failure: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case rateLimited, serverError, refused, unauthorized
        var testDescription: String { rawValue }
    }

    static let cases: [(Kind, Failure, String)] = Kind.allCases.flatMap { kind in
        Failure.allCases.flatMap { failure in apiVersions.map { (kind, failure, $0) } }
    }

    @Test("429 waits for the window, 5xx is retried, a refused connection keeps the row pending (exit 4), 401 stops the replay and keeps it", arguments: cases)
    func policy(kind: Kind, failure: Failure, version: String) async throws {
        try await withRig(version: version) { rig in
            rig.fake.setRole("user", ofLead: OutboxKindsTests.winston)
            _ = try await rig.run(["load \(obrien)"])
            let journaled = try await rig.run(kind.commands, extra: ["--offline"])
            #expect(journaled.status == 0, "\(journaled.stderr)")
            switch failure {
            case .rateLimited:
                rig.fake.inject(.rateLimited(retryAfter: 1, withHeaders: true))
                let sync = try await leadsh(rig.args + ["sync", "--wait", "30"], environment: rig.env)
                #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
                #expect(kind.landed(rig.fake), "delivered after the window")
            case .serverError:
                rig.fake.inject(.serverError)
                let sync = try await leadsh(rig.args + ["sync", "--wait", "60"], environment: rig.env)
                #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
                #expect(kind.landed(rig.fake), "retried and delivered")
            case .refused:
                await rig.fake.stopListening()
                let sync = try await leadsh(rig.args + ["sync", "--wait", "0"], environment: rig.env)
                #expect(sync.status == 4, "\(sync.stdout)\(sync.stderr)")
                try await rig.fake.resumeListening()
                #expect(!kind.landed(rig.fake))
                let after = try await leadsh(rig.args + ["sync"], environment: rig.env)
                #expect(after.status == 0 && kind.landed(rig.fake), "\(after.stdout)\(after.stderr)")
            case .unauthorized:
                var env = rig.env
                env["INTERCOM_TOKEN"] = "a-wrong-token"
                let sync = try await leadsh(rig.args + ["sync", "--wait", "0"], environment: env)
                #expect(sync.status != 0 && sync.stderr.contains("401"), "\(sync.stdout)\(sync.stderr)")
                #expect(!kind.landed(rig.fake))
                let after = try await leadsh(rig.args + ["sync"], environment: rig.env)
                #expect(after.status == 0 && kind.landed(rig.fake), "kept, then delivered with the right token: \(after.stdout)\(after.stderr)")
            }
            // A note landed once, whatever the fault.
            if kind == .note {
                let notes = rig.fake.notes(leadID: obrien) + rig.fake.notes(leadID: OutboxKindsTests.winston)
                #expect(notes.filter { $0.body.contains("Policy check") }.count == 1)
            }
        }
    }

    @Test("a 403 on a note call fails that row, naming the permission; the update behind it is still sent", arguments: apiVersions)
    func forbiddenNote(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            _ = try await rig.run(["load \(obrien)", "note 'Denied'", "attr plan gold", "push"], extra: ["--offline"])
            rig.fake.inject(.status(403, code: "forbidden", message: "Access denied to this resource"))
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 5, "\(sync.stdout)\(sync.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "gold")
            let queue = try await leadsh(rig.args + ["queue"], environment: rig.env)
            #expect(queue.stdout.contains("may not write notes"), "\(queue.stdout)")
        }
    }

    @Test("a tag then an untag of the same name, both unsent, coalesce to the untag: a lead that had the tag loses it", arguments: apiVersions)
    func tagThenUntagCoalesce(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)", "tag vip", "push"])
            #expect(rig.fake.tagNames(leadID: obrien).contains("vip"))
            let offline = try await rig.run(["load \(obrien)", "tag vip", "push", "untag vip", "push", "queue"], extra: ["--offline"])
            #expect(offline.stdout.contains("tags -vip"), "one row, the later change: \(offline.stdout)")
            #expect(offline.stdout.contains("(merged into #"), "\(offline.stdout)")
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(!rig.fake.tagNames(leadID: obrien).contains("vip"))
        }
    }
}
