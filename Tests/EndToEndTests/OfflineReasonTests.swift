import FakeIntercom
import Foundation
import LeadshApp
import TestSupport
import Testing

/// Why leadsh is offline, in one line with the host, wherever it says it is offline: the
/// interactive banner, `status`, and `sync`'s summary, with when the probe asks again.
@Suite("Say why it is offline: the cause, the host and the next try")
struct OfflineReasonTests {
    /// `HOST:PORT` of a base URL.
    static func address(_ baseURL: String) -> String {
        String(baseURL[baseURL.range(of: "://")!.upperBound...])
    }

    @Test("a refused port: sync's summary and status name it, `offline: connection refused by HOST:PORT`, exit 4 with the update pending")
    func refusedSyncAndStatus() async throws {
        try await withRig { rig in
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            await rig.fake.stopListening()
            let line = "offline: connection refused by \(Self.address(rig.fake.baseURL))"

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 4, "\(sync.stderr)")
            // A one-shot sync runs no probe: no next try to promise.
            #expect(sync.stdout.contains("sent 0, pending 1; \(line)\n"), "\(sync.stdout)")

            let status = try await rig.run(["sync", "status"])
            #expect(status.stdout.contains("mode        \(line)\n"), "\(status.stdout)")

            let json = try await rig.run(["sync", "status"], extra: ["--json"])
            let documents = try strictJSONLines(json.stdout)
            let synced = documents.first { $0["sent"] != nil }
            let reported = documents.first { $0["mode"] != nil }
            #expect(synced?["offline"] == .string(line), "\(json.stdout)")
            #expect(reported?["offline"] == .string(line), "\(json.stdout)")
            #expect(reported?["mode"] == "offline", "\(json.stdout)")
        }
    }

    @Test("the interactive banner names a refused port and the probe's next try; status in the shell says the same; once it answers, status is online")
    func bannerAndShell() async throws {
        try await withRig { rig in
            await rig.fake.stopListening()
            let line = "offline: connection refused by \(Self.address(rig.fake.baseURL))"
            let (result, _) = await InteractiveInProcessTests.shell(["status"], arguments: rig.args, environment: rig.env)
            #expect(result.status == 0, "\(result.stderr)")
            // The probe backs off from 2 s: the first next try is 2 s away.
            #expect(result.stdout.contains("Type help for commands.\n\(line) (next try in 2 s)\n"), "\(result.stdout)")
            #expect(
                result.stdout.range(of: "mode        \(line) \\(next try in [0-9]+ s\\)\n", options: .regularExpression) != nil,
                "\(result.stdout)")

            try await rig.fake.resumeListening()
            let (online, _) = await InteractiveInProcessTests.shell(["status"], arguments: rig.args, environment: rig.env)
            #expect(!online.stdout.contains("offline"), "\(online.stdout)")
            #expect(online.stdout.contains("mode        online\n"), "\(online.stdout)")
        }
    }

    /// Whether this machine's resolver says at once that a `.invalid` name does not exist
    /// (RFC 6761: it never does); where it does not answer, the test cannot tell DNS from a wait.
    static let resolverAnswers: Bool = {
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo("leadsh-test.invalid", "443", nil, &result)
        if let result { freeaddrinfo(result) }
        return status == EAI_NONAME || status == EAI_FAIL
    }()

    @Test(
        "a name that does not resolve: `offline: DNS lookup failed for HOST:443`",
        .enabled(if: resolverAnswers, "this machine's resolver does not answer for leadsh-test.invalid; DNS failure not tested"))
    func dnsFailure() async throws {
        let home = TempDirectory("leadsh-dns")
        let journal = home.file("journal.sqlite")
        _ = try journalUpdates(journal, count: 1, leads: [obrien])
        let sync = try await leadsh(
            ["--base-url", "https://leadsh-test.invalid", "--journal", journal, "--timeout", "10", "sync"],
            environment: leadshEnvironment(home: home.path, token: "test-token"))
        #expect(sync.status == 4, "\(sync.stderr)")
        #expect(sync.stdout.contains("sent 0, pending 1; offline: DNS lookup failed for leadsh-test.invalid:443\n"), "\(sync.stdout)")
    }
}
