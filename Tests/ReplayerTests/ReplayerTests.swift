import FakeIntercom
import Foundation
import IntercomClient
import Journal
import LeadModel
import Replayer
import Synchronization
import TestSupport
import Testing

struct FixedJitter: JitterSource {
    var value: Double = 0.5
    func unit() -> Double { value }
}

let leadA = "5811f6bbe6b4704ddfa84ac0"
let leadB = "5811f7c1e6b4704ddfa84ad2"
let leadC = "5811f80ae6b4704ddfa84ae7"

/// A journal in a temp folder, a client for the fake, and a replayer over both.
struct ReplayRig {
    let dir = TempDirectory("leadsh-replay")
    let fake: FakeIntercom
    let journal: Journal
    let api: IntercomAPI
    let clock = JumpingClock()

    init(fake: FakeIntercom) throws {
        self.fake = fake
        journal = try Journal(path: dir.file("journal.sqlite"))
        // Pinned to 1.4: these tests read the seed's call (`POST /contacts`, the lead's `id` in the
        // body); the 2.x replay has its own test below and in APIVersionTests/UpgradeTests.
        var configuration = IntercomConfiguration(
            endpoint: try Endpoint(fake.baseURL), token: fake.configuration.token, apiVersion: try APIVersion("1.4"), requestTimeout: .seconds(2))
        configuration.clock = clock
        api = IntercomAPI(configuration: configuration)
    }

    func replayer() -> Replayer { Replayer(journal: journal, api: api, clock: clock, jitter: FixedJitter()) }

    @discardableResult
    func push(_ lead: String, _ changes: [(FieldKey, JSONValue)], coalesce: Bool = false) throws -> JournalEntry {
        let update = try LeadUpdate(lead: LeadReference(id: lead), changes: FieldChanges(changes))
        return try journal.append(NewUpdate(update: update, base: FieldChanges(), baseUpdatedAt: nil), coalesce: coalesce).entry
    }

    var posts: [RecordedRequest] { fake.requests.filter { $0.method == "POST" } }
}

func withReplayRig(_ body: (ReplayRig) async throws -> Void) async throws {
    try await withFakeIntercom { fake in
        let rig = try ReplayRig(fake: fake)
        do {
            try await body(rig)
        } catch {
            await rig.api.shutdown()
            throw error
        }
        await rig.api.shutdown()
    }
}

@Suite("Replay: the response table")
struct ReplayResponseTests {
    @Test("connection refused: stop, keep pending, no attempt; back online: delivered in order")
    func unreachable() async throws {
        try await withReplayRig { rig in
            try rig.push(leadA, [(.standard("name"), "one")])
            try rig.push(leadA, [(.standard("name"), "two")])
            await rig.fake.stopListening()
            let offline = await rig.replayer().drain()
            guard case .unreachable = offline.stop else {
                Issue.record("expected unreachable, got \(offline.stop)")
                return
            }
            let rows = try rig.journal.entries()
            #expect(rows.map(\.state) == [.pending, .pending])
            #expect(rows.map(\.attempts) == [0, 0])
            try await rig.fake.resumeListening()
            let online = await rig.replayer().drain()
            #expect(online.stop == .finished)
            #expect(online.sent == 2)
            #expect(rig.posts.compactMap { $0.bodyJSON?["name"] } == ["one", "two"])
            #expect(rig.fake.lead(id: leadA)?.name == "two")
            #expect(try rig.journal.entries(all: true).map(\.state) == [.sent, .sent])
        }
    }

    @Test("5xx backs off with full jitter and fails after 8 attempts")
    func serverErrors() async throws {
        try await withReplayRig { rig in
            try rig.push(leadA, [(.standard("name"), "x")])
            rig.fake.inject(.serverError, times: 20)
            let report = await rig.replayer().drain(ReplayOptions(maxWait: 100_000))
            #expect(report.failed == 1)
            let row = try #require(try rig.journal.entry(seq: 1))
            #expect(row.state == .failed)
            #expect(row.attempts == 8)
            #expect(row.lastStatus == 500)
            #expect(rig.posts.count == 8)
            // Waits are half the ceiling (jitter 0.5): 1, 2, 4, ... seconds.
            #expect(rig.clock.waited.prefix(3).map { ($0 * 10).rounded() / 10 } == [0.5, 1, 2])
        }
    }

    @Test("a 503 then success: sent, and the failed try counted as an attempt")
    func transientThenSuccess() async throws {
        try await withReplayRig { rig in
            try rig.push(leadA, [(.standard("name"), "x")])
            rig.fake.inject(.serviceUnavailable)
            let report = await rig.replayer().drain(ReplayOptions(maxWait: 60))
            #expect(report.sent == 1)
            #expect(try rig.journal.entry(seq: 1)?.attempts == 2)
        }
    }

    @Test("429 waits for Retry-After or the reset and costs no attempt")
    func rateLimited() async throws {
        try await withReplayRig { rig in
            try rig.push(leadA, [(.standard("name"), "x")])
            rig.fake.inject(.rateLimited(retryAfter: 7, withHeaders: true))
            let report = await rig.replayer().drain(ReplayOptions(maxWait: 60))
            #expect(report.sent == 1)
            #expect(report.rateLimitedResponses == 1)
            #expect(try rig.journal.entry(seq: 1)?.attempts == 1)
            #expect(rig.clock.waited.contains { $0 >= 7 })
        }
    }

    @Test("429 beyond the allowed wait leaves the update pending")
    func rateLimitedNoWait() async throws {
        try await withReplayRig { rig in
            try rig.push(leadA, [(.standard("name"), "x")])
            rig.fake.inject(.rateLimited(retryAfter: 30, withHeaders: false))
            let report = await rig.replayer().drain(ReplayOptions(maxWait: 0))
            guard case .waiting = report.stop else {
                Issue.record("expected waiting, got \(report.stop)")
                return
            }
            #expect(try rig.journal.entry(seq: 1)?.state == .pending)
            #expect(try rig.journal.entry(seq: 1)?.attempts == 0)
        }
    }

    @Test("401 and 403 stop the whole replay and keep everything pending")
    func unauthorized() async throws {
        for status in [401, 403] {
            try await withReplayRig { rig in
                try rig.push(leadA, [(.standard("name"), "x")])
                try rig.push(leadB, [(.standard("name"), "y")])
                rig.fake.inject(.status(status, code: status == 401 ? "unauthorized" : "forbidden", message: "no"), times: 10)
                let report = await rig.replayer().drain(ReplayOptions(concurrency: 1))
                guard case .unauthorized = report.stop else {
                    Issue.record("\(status): expected unauthorized, got \(report.stop)")
                    return
                }
                #expect(rig.posts.count == 1, "the replay stops at the first \(status)")
                #expect(try rig.journal.entries().map(\.state) == [.pending, .pending])
                #expect(try rig.journal.entries().map(\.attempts) == [0, 0])
            }
        }
    }

    @Test("400, 404, 409, 422 fail at once with Intercom's code and message")
    func permanentFailures() async throws {
        let cases: [(Int, String, String)] = [
            (400, "parameter_invalid", "Value: not of type Numeric, String or Boolean"),
            (404, "not_found", "Contact Not Found"),
            (409, "conflict", "A contact matching those details already exists"),
            (422, "unprocessable_entity", "Unprocessable"),
        ]
        for (status, code, message) in cases {
            try await withReplayRig { rig in
                try rig.push(leadA, [(.standard("name"), "x")])
                rig.fake.inject(.status(status, code: code, message: message))
                let report = await rig.replayer().drain(ReplayOptions(maxWait: 60))
                #expect(report.failed == 1)
                let row = try #require(try rig.journal.entry(seq: 1))
                #expect(row.state == .failed)
                #expect(row.lastStatus == status)
                #expect(row.lastErrorCode == code)
                #expect(row.lastError?.contains(message) == true)
                if status == 404 { #expect(row.lastError?.contains("merged, converted or deleted?") == true) }
                #expect(rig.posts.count == 1)
            }
        }
    }

    @Test("a response cut mid-body is retried; the body sets absolute values so a repeat is harmless")
    func droppedResponse() async throws {
        try await withReplayRig { rig in
            try rig.push(leadA, [(.custom("seats"), 9)])
            rig.fake.inject(.dropMidResponse)
            let report = await rig.replayer().drain(ReplayOptions(maxWait: 60))
            #expect(report.sent == 1)
            #expect(rig.fake.lead(id: leadA)?.customAttributes["seats"] == 9)
        }
    }
}

@Suite("Replay: ordering and exclusion")
struct ReplayOrderingTests {
    @Test("updates to each lead arrive in sequence order, leads interleaved")
    func perLeadOrder() async throws {
        try await withReplayRig { rig in
            for n in 0..<5 {
                for lead in [leadA, leadB, leadC] { try rig.push(lead, [(.custom("step"), .integer(Int64(n)))]) }
            }
            let report = await rig.replayer().drain(ReplayOptions(concurrency: 3))
            #expect(report.sent == 15)
            for lead in [leadA, leadB, leadC] {
                let steps = rig.posts.filter { $0.bodyJSON?["id"] == .string(lead) }.compactMap { $0.bodyJSON?["custom_attributes"]?["step"] }
                #expect(steps == [0, 1, 2, 3, 4])
                #expect(rig.fake.lead(id: lead)?.customAttributes["step"] == 4)
            }
        }
    }

    @Test("two replayers on one journal never send a row twice")
    func exclusion() async throws {
        try await withReplayRig { rig in
            rig.fake.setDelay(.milliseconds(20))
            for n in 0..<20 { try rig.push([leadA, leadB, leadC][n % 3], [(.custom("n"), .integer(Int64(n)))]) }
            let second = try Journal(path: rig.journal.path)
            let other = Replayer(journal: second, api: rig.api)
            async let one = rig.replayer().drain()
            async let two = other.drain()
            let reports = await [one, two]
            #expect(reports.contains { $0.stop == .busy })
            #expect(rig.posts.count == 20, "\(reports.map { "\($0.stop) sent \($0.sent) failed \($0.failed) \($0.counts.byState)" })")
            #expect(Set(rig.posts.compactMap { $0.bodyJSON?["custom_attributes"]?["n"] }).count == 20)
        }
    }

    @Test("a lead changed in Intercom since it was loaded: same field conflicts, other field is sent, equal is not re-sent")
    func conflicts() async throws {
        try await withReplayRig { rig in
            let original = try #require(rig.fake.lead(id: leadA))
            try rig.journal.cache(original, fetchedAt: rig.clock.now() - 3600)
            func push(_ changes: [(FieldKey, JSONValue)]) throws {
                var base = FieldChanges()
                for (key, _) in changes { base[key] = original.value(of: key) }
                let update = try LeadUpdate(lead: original.reference, changes: FieldChanges(changes))
                _ = try rig.journal.append(NewUpdate(update: update, base: base, baseUpdatedAt: original.updatedAt), coalesce: false)
            }
            try push([(.standard("name"), "Mine")])
            _ = rig.fake.edit(leadID: leadA, FieldChanges([(.standard("name"), "Theirs")]))
            let report = await rig.replayer().drain()
            #expect(report.conflicts == 1)
            #expect(try rig.journal.entry(seq: 1)?.theirs?[.standard("name")] == "Theirs")
            #expect(rig.posts.isEmpty)
            try push([(.standard("phone"), "555")])
            let second = await rig.replayer().drain()
            #expect(second.sent == 1)
            try push([(.standard("phone"), "555")])
            let third = await rig.replayer().drain(ReplayOptions(conflictCheckAge: -1))
            #expect(third.alreadyApplied == 1)
            #expect(rig.posts.count == 1)
        }
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("ceilings double from 1 s and stop at 10 minutes")
    func ceilings() {
        let backoff = BackoffPolicy.replayRetry
        #expect((1...12).map { backoff.ceiling(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600])
        #expect(backoff.delay(afterAttempt: 3, jitter: FixedJitter(value: 0.25)) == 1)
        #expect(backoff.isExhausted(afterAttempts: 8) && !backoff.isExhausted(afterAttempts: 7))
    }

    @Test("the probe waits 2 s growing x1.5 to 5 minutes; a hintless 429 waits 1 s doubling to a minute, plus jitter")
    func probeAndRateLimit() {
        let probe = BackoffPolicy.probe
        #expect((1...4).map { probe.delay(afterAttempt: $0) } == [2, 3, 4.5, 6.75])
        #expect(probe.delay(afterAttempt: 40) == 300)
        #expect(!probe.isExhausted(afterAttempts: 1000))
        let limit = BackoffPolicy.rateLimit
        #expect((1...8).map { limit.ceiling(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 60, 60])
        #expect(limit.delay(afterAttempt: 2, jitter: FixedJitter(value: 0.5)) == 2.175)
    }
}

@Suite("Replay in the 2.x dialect")
struct V2ReplayTests {
    /// A replayer that speaks 2.14 to the fake.
    static func v2Rig(_ fake: FakeIntercom) throws -> (ReplayRig, IntercomAPI) {
        let rig = try ReplayRig(fake: fake)
        let api = IntercomAPI(
            configuration: IntercomConfiguration(
                endpoint: try Endpoint(fake.baseURL), token: fake.configuration.token,
                apiVersion: try APIVersion("2.14"), requestTimeout: .seconds(2)))
        return (rig, api)
    }

    @Test("a row that names its lead only by user_id is found by external_id, then updated with PUT /contacts/{id}")
    func userIDOnlyRow() async throws {
        try await withFakeIntercom { fake in
            let (rig, api) = try Self.v2Rig(fake)
            defer { Task { await api.shutdown() } }
            let update = try LeadUpdate(
                lead: LeadReference(userID: "77177570-cf5d-4f1a-bc75-75202af47d4f"),
                changes: FieldChanges([(.standard("name"), "Found")]))
            _ = try rig.journal.append(NewUpdate(update: update, base: FieldChanges(), baseUpdatedAt: nil, apiVersion: "1.4"))
            let report = await Replayer(journal: rig.journal, api: api, clock: rig.clock, jitter: FixedJitter()).drain()
            #expect(report.sent == 1)
            #expect(fake.requests.map { "\($0.method) \($0.path)" } == ["GET /me", "POST /contacts/search", "PUT /contacts/\(leadA)"])
            #expect(fake.requests.last?.bodyJSON == ["name": "Found"])
            #expect(fake.lead(id: leadA)?.name == "Found")
        }
    }

    @Test("a user_id that no contact has, or several have, fails the row with what to do; nothing is updated")
    func userIDNotFoundOrAmbiguous() async throws {
        try await withFakeIntercom { fake in
            let (rig, api) = try Self.v2Rig(fake)
            defer { Task { await api.shutdown() } }
            var twin = try #require(fake.lead(id: leadA))
            twin.fields["id"] = "5811f6bbe6b4704ddfa84ff0"
            twin.fields["email"] = "twin@truth.org"
            fake.insert(twin)
            for userID in ["nobody-has-this", "77177570-cf5d-4f1a-bc75-75202af47d4f"] {
                let update = try LeadUpdate(lead: LeadReference(userID: userID), changes: FieldChanges([(.standard("name"), "X")]))
                _ = try rig.journal.append(NewUpdate(update: update, base: FieldChanges(), baseUpdatedAt: nil))
            }
            let report = await Replayer(journal: rig.journal, api: api, clock: rig.clock, jitter: FixedJitter()).drain()
            #expect(report.failed == 2)
            #expect(!fake.requests.contains { $0.method == "PUT" })
            let rows = try rig.journal.entries(all: true)
            #expect(rows[0].lastError?.contains("no contact has external_id nobody-has-this") == true, "\(rows[0].lastError ?? "")")
            #expect(rows[1].lastError?.contains("2 contacts have external_id") == true, "\(rows[1].lastError ?? "")")
        }
    }
}
