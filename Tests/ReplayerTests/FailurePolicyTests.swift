import FakeIntercom
import Foundation
import IntercomClient
import Journal
import LeadModel
import Replayer
import TestSupport
import Testing

@Suite("The failure policy")
struct FailurePolicyTests {
    /// Every error the client can raise, with the kind the policy must give it.
    static let intercomErrors: [(IntercomError, FailureKind)] = [
        (IntercomError(kind: .unreachable, detail: "refused"), .unreachable),
        (IntercomError(kind: .timeout, detail: "timed out"), .timeout),
        (IntercomError(kind: .connectionLost, detail: "cut"), .connectionLost),
        (IntercomError(kind: .invalidResponse, status: 200, detail: "not JSON"), .invalidResponse),
        (IntercomError(kind: .cancelled, detail: "cancelled"), .cancelled),
        (IntercomError(kind: .invalidRequest, detail: "no such field in 2.x"), .unsendable),
        (IntercomError(kind: .tls, detail: "untrusted"), .tls),
        (IntercomError(kind: .proxy, detail: "407"), .proxy),
        (IntercomError(kind: .http, status: 400, errors: [.init(code: "parameter_invalid", message: "")]), .badRequest),
        (IntercomError(kind: .http, status: 400, errors: [.init(code: "intercom_version_invalid", message: "")]), .versionRefused),
        (IntercomError(kind: .http, status: 401), .unauthorized),
        (IntercomError(kind: .http, status: 403), .forbidden),
        (IntercomError(kind: .http, status: 404), .notFound),
        (IntercomError(kind: .http, status: 408), .requestTimeout),
        (IntercomError(kind: .http, status: 409), .httpConflict),
        (IntercomError(kind: .http, status: 410), .gone),
        (IntercomError(kind: .http, status: 418), .otherClientError),
        (IntercomError(kind: .http, status: 422), .unprocessable),
        (IntercomError(kind: .http, status: 429), .rateLimited),
        (IntercomError(kind: .http, status: 500), .serverError),
        (IntercomError(kind: .http, status: 502), .serverError),
        (IntercomError(kind: .http, status: 503), .serverError),
    ]

    @Test("every error of the client, the transport and the journal has its kind, and every kind its rule")
    func everyErrorKind() {
        for (error, kind) in Self.intercomErrors {
            #expect(FailurePolicy.kind(of: error) == kind, "\(error.kind) \(error.status ?? 0)")
        }
        let journalErrors: [(JournalError, FailureKind)] = [
            (JournalError(.storage, "full", cause: .diskFull), .journalFull),
            (JournalError(.storage, "io", cause: .ioError), .journalIO),
            (JournalError(.storage, "busy", cause: .busy), .journalBusy),
            (JournalError(.storage, "other"), .journalOther),
        ]
        for (error, kind) in journalErrors {
            #expect(FailurePolicy.kind(of: error) == kind)
            #expect(FailurePolicy.rule(for: error).exitCode == ExitStatus.journal)
            #expect(FailurePolicy.rule(for: error).disposition == .stop(.journal))
        }
        // Every kind is reached by some error above, or is decided outside an error (another
        // app's token, the re-read's conflict).
        let reached = Set(Self.intercomErrors.map(\.1) + journalErrors.map(\.1) + [.wrongApp, .remoteChange])
        #expect(reached == Set(FailureKind.allCases))
    }

    @Test("the rules DESIGN promises: what each failure does to the row, the replay and the exit code")
    func rules() {
        func rule(_ kind: FailureKind) -> FailureRule { FailurePolicy.rule(for: kind) }
        #expect(rule(.unreachable).disposition == .stop(.unreachable) && !rule(.unreachable).countsAsAttempt)
        #expect(rule(.timeout).disposition == .stop(.unreachable))
        for kind in [FailureKind.serverError, .requestTimeout, .connectionLost, .invalidResponse] {
            #expect(rule(kind).disposition == .retry && rule(kind).countsAsAttempt, "\(kind)")
        }
        #expect(rule(.rateLimited).disposition == .wait && !rule(.rateLimited).countsAsAttempt)
        #expect(rule(.unauthorized).disposition == .stop(.unauthorized) && rule(.unauthorized).exitCode == ExitStatus.pending)
        #expect(rule(.forbidden).disposition == .stop(.unauthorized))
        for kind in [FailureKind.tls, .proxy, .versionRefused] { #expect(rule(kind).disposition == .stop(.setting)) }
        for kind in [FailureKind.badRequest, .notFound, .httpConflict, .gone, .unprocessable, .otherClientError, .unsendable] {
            #expect(rule(kind).disposition == .fail && rule(kind).exitCode == ExitStatus.failed, "\(kind)")
        }
        #expect(rule(.remoteChange).disposition == .conflict && rule(.remoteChange).exitCode == ExitStatus.failed)
        #expect(rule(.wrongApp).exitCode == ExitStatus.usage)
        #expect(rule(.journalFull).exitCode == ExitStatus.journal)
    }

    @Test("the rules of a row's kind: a note's or merge's unknown outcome counts as an attempt; a 403 fails a tags or note row alone")
    func rulesByRowKind() {
        for error in Self.intercomErrors.map(\.0) {
            for row in OutboxKind.allCases {
                let plain = FailurePolicy.rule(for: error)
                let rule = FailurePolicy.rule(for: error, row: row)
                switch (plain.kind, row) {
                case (.timeout, .note), (.timeout, .merge), (.cancelled, .note), (.cancelled, .merge):
                    #expect(rule.countsAsAttempt && rule.disposition == plain.disposition, "\(plain.kind) \(row)")
                case (.forbidden, .tags), (.forbidden, .note):
                    #expect(rule.disposition == .fail && rule.exitCode == ExitStatus.failed, "\(row)")
                default:
                    #expect(rule == plain, "\(plain.kind) \(row): the kind's own rule")
                }
            }
        }
        #expect(FailurePolicy.rule(for: IntercomError(kind: .http, status: 403), row: .update).disposition == .stop(.unauthorized))
        #expect(!FailurePolicy.rule(for: IntercomError(kind: .timeout, detail: "t"), row: .tags).countsAsAttempt)
    }

    @Test("README's policy table lists every kind once, with its rule's exit code")
    func readmeTable() throws {
        let readme = try #require(contents(of: repositoryRoot() + "/README.md"))
        var documented: [String: Int32] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            // | `kind` | what happens to the row | attempt | exit |
            guard cells.count == 4, let exit = Int32(cells[3]), cells[2] == "yes" || cells[2] == "no" else { continue }
            let kind = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(documented[kind] == nil, "\(kind) is listed twice")
            documented[kind] = exit
        }
        for rule in FailurePolicy.rules {
            #expect(documented[rule.kind.rawValue] == rule.exitCode, "README: \(rule.kind.rawValue) should be listed with exit \(rule.exitCode)")
        }
        #expect(Set(documented.keys) == Set(FailureKind.allCases.map(\.rawValue)), "README lists kinds leadsh does not have")
    }

    @Test("a 429 on the app check (GET /me) waits for the reset within the wait, then sends")
    func rateLimitedAppCheckWaits() async throws {
        try await withReplayRig { rig in
            let fake = rig.fake
            try rig.push(leadA, [(.standard("name"), "A1")])
            fake.injectOnMe(.rateLimited(retryAfter: 2, withHeaders: true))
            let started = rig.clock.now()
            let report = await rig.replayer().drain(ReplayOptions(maxWait: 120))
            #expect(report.stop == .finished)
            #expect(report.sent == 1)
            #expect(report.rateLimitedResponses == 1)
            #expect(rig.clock.now() - started >= 2, "the update waited for the window")
            #expect(try rig.journal.rateLimitHold() ?? 0 >= started + 2, "the window's reset is kept for the next process")
        }
    }

    @Test("a rate-limit reset kept in the journal holds a new replayer, even one in another process")
    func recordedHoldBindsTheNextReplayer() async throws {
        try await withReplayRig { rig in
            let fake = rig.fake
            try rig.push(leadA, [(.standard("name"), "A1")])
            try rig.journal.recordRateLimitHold(until: rig.clock.now() + 30)
            let short = await rig.replayer().drain(ReplayOptions(maxWait: 5))
            guard case .waiting(let until) = short.stop else { throw Unexpected("\(short.stop)") }
            #expect(until >= rig.clock.now() + 25)
            #expect(fake.requests.isEmpty, "nothing was sent before the recorded reset")
            let long = await rig.replayer().drain(ReplayOptions(maxWait: 60))
            #expect(long.stop == .finished && long.sent == 1)
        }
    }

    @Test("a full disk while recording stops the replay at once: nothing counted that was not recorded, no spin, re-sent later")
    func diskFullWhileRecording() async throws {
        try await withFakeIntercom { fake in
            let dir = TempDirectory("leadsh-disk")
            let faults = StorageFaults()
            let journal = try Journal(path: dir.file("journal.sqlite"), faults: faults)
            let clock = JumpingClock()
            var configuration = IntercomConfiguration(endpoint: try Endpoint(fake.baseURL), token: fake.configuration.token)
            configuration.clock = clock
            let api = IntercomAPI(configuration: configuration)
            let update = try LeadUpdate(lead: LeadReference(id: leadA), changes: FieldChanges([(.standard("name"), "A1")]))
            _ = try journal.append(NewUpdate(update: update, base: FieldChanges(), baseUpdatedAt: nil), coalesce: false)
            // The journal's binding to the app and the claim are written; then the disk is full:
            // the outcome cannot be recorded.
            faults.fail(.diskFull, after: 2)
            let replayer = Replayer(journal: journal, api: api, clock: clock, jitter: FixedJitter())
            let before = faults.writes
            let report = await replayer.drain(ReplayOptions(maxWait: 120))
            guard case .journal(let line) = report.stop else { throw Unexpected("\(report.stop)") }
            #expect(line.contains(journal.path) && line.contains("disk full"))
            #expect(report.sent == 0, "the send was not recorded, so it is not counted")
            #expect(faults.writes - before < 10, "the replay stopped instead of retrying the write")
            #expect(try journal.counts()[.sending] == 1, "the row stays for a later replay")
            #expect(fake.lead(id: leadA)?.name == "A1", "the update reached Intercom")
            // The disk has room again: the next replay takes the row back and sends it again.
            let again = await replayer.drain(ReplayOptions(maxWait: 0))
            #expect(again.stop == .finished && again.sent == 1)
            #expect(try journal.counts()[.sent] == 1)
            await api.shutdown()
        }
    }
}

struct Unexpected: Error {
    var what: String
    init(_ what: String) { self.what = what }
}
