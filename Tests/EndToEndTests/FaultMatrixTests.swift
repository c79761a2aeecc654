import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

/// Every fault of DESIGN's response table, through the whole app (`Leadsh.run`, in process): what `push` tells the
/// user, the state the update is left in, what `leadsh sync` exits with, and that the update
/// is delivered once the fault clears.
///
/// The Replayer-level checks of the same table are in `Tests/ReplayerTests/ReplayerTests.swift`;
/// these go through the option parsing, the session, the printer and the exit codes.
@Suite("Fault matrix: each response, end to end")
struct FaultMatrixTests {
    enum Case: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case connectionRefused, acceptThenHang, slowResponse
        case status500, status502, status503, status408, htmlBadGateway
        case rateLimitedWithHeaders, rateLimitedNoHeaders
        case status401, status403
        case status400FieldError, status404, status409, status422
        case cutMidBody, nonJSON200

        var testDescription: String { rawValue }

        /// What the fake does to the requests that follow.
        func apply(to fake: FakeIntercom) async {
            switch self {
            case .connectionRefused: await fake.stopListening()
            case .acceptThenHang: fake.inject(.hang, times: 5)
            case .slowResponse: fake.setDelay(.milliseconds(1500))
            case .status500: fake.inject(.serverError)
            case .status502: fake.inject(.badGateway)
            case .status503: fake.inject(.serviceUnavailable)
            case .status408: fake.inject(.status(408, code: "request_timeout", message: "Request Timeout"))
            case .htmlBadGateway: fake.inject(.nonJSON(status: 502))
            case .rateLimitedWithHeaders: fake.inject(.rateLimited(retryAfter: 1, withHeaders: true))
            case .rateLimitedNoHeaders: fake.inject(.rateLimited(retryAfter: nil, withHeaders: false))
            case .status401: fake.inject(.status(401, code: "unauthorized", message: "Access Token Invalid"))
            case .status403: fake.inject(.status(403, code: "forbidden", message: "Forbidden"))
            case .status400FieldError:
                fake.inject(.status(400, code: "parameter_invalid", message: "Value: not of type Numeric, String or Boolean", field: "custom_attributes.plan"))
            case .status404: fake.inject(.status(404, code: "not_found", message: "Contact Not Found"))
            case .status409: fake.inject(.conflict)
            case .status422: fake.inject(.status(422, code: "unprocessable_entity", message: "Unprocessable Entity"))
            case .cutMidBody: fake.inject(.dropMidResponse)
            case .nonJSON200: fake.inject(.nonJSON(status: 200))
            }
        }

        /// Undoes `apply`.
        func clear(_ fake: FakeIntercom) async throws {
            fake.clearFaults()
            fake.setDelay(.zero)
            if !(await fake.isListening) { try await fake.resumeListening() }
        }

        enum Outcome { case sent, retryLater, waitForAPI, failed }

        /// `--timeout`: one second where the server hangs, so the case does not wait long;
        /// enough for the 1.5 s slow answer; else ten, so that cases running side by side
        /// on two cores never turn an answer into a timeout.
        var timeout: String {
            switch self {
            case .acceptThenHang: "1"
            case .slowResponse: "5"
            default: "10"
            }
        }

        /// DESIGN's response table.
        var outcome: Outcome {
            switch self {
            case .slowResponse: .sent
            case .connectionRefused, .acceptThenHang, .status401, .status403: .waitForAPI
            case .status500, .status502, .status503, .status408, .htmlBadGateway, .cutMidBody, .nonJSON200,
                .rateLimitedWithHeaders, .rateLimitedNoHeaders:
                .retryLater
            case .status400FieldError, .status404, .status409, .status422: .failed
            }
        }

        /// Whether the try counts as an attempt (429, 401/403 and the network's failures do not).
        var countsAsAttempt: Bool {
            switch self {
            case .connectionRefused, .acceptThenHang, .status401, .status403, .rateLimitedWithHeaders, .rateLimitedNoHeaders: false
            default: true
            }
        }

        /// What the user reads after `push` (stdout and stderr together).
        var pushMessage: [String] {
            switch self {
            // The load already found the API unreachable, so the push is journaled without a try.
            case .connectionRefused: ["API unreachable", "working offline", "queued (offline), 1 pending #1"]
            case .acceptThenHang: ["queued (offline), 1 pending #1", "no answer from the API in time"]
            case .slowResponse: ["sent #1"]
            case .status500: ["queued", "1 pending #1"]
            case .status502, .status503, .status408, .htmlBadGateway, .cutMidBody, .nonJSON200: ["queued", "1 pending #1"]
            case .rateLimitedWithHeaders, .rateLimitedNoHeaders: ["queued", "1 pending #1"]
            case .status401: ["401 unauthorized", "check INTERCOM_TOKEN or --token-file", "updates stay queued until the token is fixed"]
            case .status403: ["403 forbidden", "updates stay queued until the token is fixed"]
            case .status400FieldError:
                ["push failed: 400 parameter_invalid", "not of type Numeric, String or Boolean", "(field custom_attributes.plan)", "retry 1", "drop 1"]
            case .status404: ["push failed: 404 not_found", "Contact Not Found", "merged, converted or deleted?", "retry 1"]
            case .status409: ["push failed: 409 conflict", "already exists", "retry 1"]
            case .status422: ["push failed: 422 unprocessable_entity", "retry 1"]
            }
        }

        /// What the journal keeps as the last error after the push.
        var lastError: String? {
            switch self {
            case .connectionRefused: nil
            case .acceptThenHang: "no answer from the API in time"
            case .slowResponse: nil
            case .status500: "500 server_error"
            case .status502: "502 server_error"
            case .status503: "503 service_unavailable"
            case .status408: "408 request_timeout"
            case .htmlBadGateway: "502"
            case .rateLimitedWithHeaders, .rateLimitedNoHeaders: "429 rate_limit_exceeded"
            case .status401: "401 unauthorized"
            case .status403: "403 forbidden"
            case .status400FieldError: "400 parameter_invalid"
            case .status404: "404 not_found"
            case .status409: "409 conflict"
            case .status422: "422 unprocessable_entity"
            case .cutMidBody: "the connection closed mid-response"
            case .nonJSON200: "unexpected response (HTTP 200)"
            }
        }

        var pushExit: Int32 { outcome == .failed ? 1 : 0 }

        /// `leadsh sync --wait 0` with the fault in place: 0 done, 4 pending, 5 failed.
        var syncExit: Int32 {
            switch outcome {
            case .sent: 0
            case .retryLater, .waitForAPI: 4
            case .failed: 5
            }
        }

        /// Whether the fake holds the value right after the push.
        var appliedAtOnce: Bool { self == .slowResponse || self == .cutMidBody }
    }

    @Test("push under each fault: the documented state, message and exit code; nothing lost once it clears", arguments: Case.allCases, apiVersions)
    func fault(_ fault: Case, version: String) async throws {
        try await withRig(version: version) { rig in
            let cache = try await rig.run(["load \(obrien)"])
            #expect(cache.status == 0, "\(cache.stderr)")
            let value = "plan-\(fault.rawValue)"
            await fault.apply(to: rig.fake)
            // Load from the cache, go online (an authenticated GET /me, which faults spare), then
            // push, so the fault meets the POST. Connection refused needs no `online`: the load
            // finds the API unreachable and falls back to the cache by itself.
            let lines =
                fault == .connectionRefused
                ? ["load \(obrien)", "attr plan \(value)", "push"]
                : ["load \(obrien)", "online", "attr plan \(value)", "push"]
            let timeout = ["--timeout", fault.timeout]
            let push = try await rig.run(lines, extra: (fault == .connectionRefused ? [] : ["--offline"]) + timeout)
            let said = push.stdout + push.stderr
            #expect(push.status == fault.pushExit, "\(said)")
            for text in fault.pushMessage {
                #expect(said.contains(text), "push output lacks \"\(text)\": \(said)")
            }
            #expect(!said.contains("Swift") && !said.contains("Fatal"), "\(said)")

            let row = try #require(try Journal.entry(rig.journal, seq: 1), "the push is journaled whatever the fault")
            #expect(row.changes[.custom("plan")] == .string(value))
            switch fault.outcome {
            case .sent: #expect(row.state == .sent)
            case .retryLater, .waitForAPI: #expect(row.state == .pending)
            case .failed: #expect(row.state == .failed)
            }
            #expect(row.attempts == (fault.countsAsAttempt ? 1 : 0), "attempts")
            if let lastError = fault.lastError {
                #expect(row.lastError?.contains(lastError) == true, "last error: \(row.lastError ?? "nil")")
            }
            if fault.outcome == .failed {
                let code = fault.pushMessage[0].split(separator: " ").last.map(String.init)
                #expect(row.lastErrorCode == code)
            }
            // A cut answer to the update was applied before it was cut. On a busy machine the
            // cache has aged by the push, the replay re-reads the lead first, and the cut meets
            // that GET instead: the row's outcome is the same, and nothing was written.
            let wrote = rig.fake.requests.contains { $0.method != "GET" && $0.path.hasPrefix("/contacts") }
            #expect((rig.fake.lead(id: obrien)?.customAttributes["plan"] == .string(value)) == (fault.appliedAtOnce && (fault != .cutMidBody || wrote)))

            // `leadsh sync` meeting the same fault exits as the table says and keeps the row.
            if fault.outcome != .sent {
                if await rig.fake.isListening { await fault.apply(to: rig.fake) }
                let sync = try await leadsh(rig.args + ["sync", "--blind", "--wait", "0", "--timeout", fault.timeout], environment: rig.env)
                #expect(sync.status == fault.syncExit, "sync: \(sync.stdout)\(sync.stderr)")
                let after = try #require(try Journal.entry(rig.journal, seq: 1))
                #expect(after.state == row.state, "sync under the fault keeps the row \(row.state)")
                #expect(after.changes == row.changes)
                switch fault.outcome {
                case .waitForAPI where fault == .status401 || fault == .status403:
                    #expect(sync.stderr.contains("refused the token"), "\(sync.stderr)")
                case .waitForAPI:
                    #expect(sync.stderr.contains("API unreachable"), "\(sync.stderr)")
                    #expect(after.lastError?.contains(fault == .connectionRefused ? "API unreachable" : "no answer from the API in time") == true)
                    #expect(after.attempts == 0)
                default: break
                }
            }

            // Once the fault clears, nothing was lost: the update is delivered.
            try await fault.clear(rig.fake)
            if fault.outcome == .failed {
                let retry = try await rig.run(["retry 1"])
                #expect(retry.status == 0, "\(retry.stderr)")
                #expect(retry.stdout.contains("update #1 requeued; now sent"), "\(retry.stdout)")
            } else {
                let sync = try await leadsh(rig.args + ["sync", "--wait", "20"], environment: rig.env)
                #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
            }
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == .string(value))
            #expect(try Journal.entry(rig.journal, seq: 1)?.state == .sent)
            // Never sent wrongly: every POST carried this lead and this value.
            for post in rig.posts {
                #expect(post.leadID == obrien)
                #expect(post.bodyJSON?["custom_attributes"]?["plan"] == .string(value))
            }
        }
    }
}

extension Journal {
    /// One row of the journal at `path`, read through a connection opened and closed for it.
    static func entry(_ path: String, seq: Int64) throws -> JournalEntry? {
        let journal = try Journal(path: path)
        defer { journal.close() }
        return try journal.entry(seq: seq)
    }
}
