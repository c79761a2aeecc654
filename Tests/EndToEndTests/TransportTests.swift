import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

// Issue 17: the real transport. HTTPS to the fake with a CA made at test time, the named TLS
// errors, and replays through a real proxy (tinyproxy) on loopback.

let tinyproxyAvailable = TinyProxy.isInstalled

/// A fake Intercom serving HTTPS with a certificate from `ca` for `names` (and dates), and a home for leadsh.
func withTLSRig<T>(
    _ ca: TestCA, names: [String] = ["127.0.0.1", "localhost"], notBefore: Date? = nil, notAfter: Date? = nil,
    _ body: (Rig) async throws -> T
) async throws -> T {
    let server = try ca.issue(names: names, notBefore: notBefore, notAfter: notAfter)
    var configuration = FakeIntercomConfiguration()
    configuration.tls = FakeTLS(certificatePath: server.certificate, keyPath: server.key)
    return try await withRig(configuration, body)
}

/// What no message may show: Swift type names, library internals, source paths.
let internalsInMessages = ["NIO", "BoringSSL", "HTTPClientError", ".swift", "OPENSSL_internal", "handshakeFailed", "sslError", "Optional("]

func expectNoInternals(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for word in internalsInMessages {
        #expect(!text.contains(word), "message shows \(word): \(text)", sourceLocation: sourceLocation)
    }
}

/// The journal's rows as `queue --all --json` lists them.
func queueRows(_ rig: Rig, extra: [String] = []) async throws -> [JSONObject] {
    let queue = try await leadsh(rig.args + extra + ["queue", "--all", "--json"], environment: rig.env)
    guard case .array(let rows) = try JSONText.parse(queue.stdout) else { return [] }
    return rows.compactMap(\.objectValue)
}

/// Queues `attr plan VALUE` for the OBrien lead without sending it (the lead loaded once with the CA).
func queueOffline(_ rig: Rig, ca: TestCA, plan: String) async throws {
    let load = try await rig.run(["load \(obrien)"], extra: ["--ca-file", ca.certificate])
    #expect(load.status == 0, "\(load.stderr)")
    let push = try await rig.run(["load \(obrien)", "attr plan \(plan)", "push"], extra: ["--offline"])
    #expect(push.status == 0, "\(push.stderr)")
}

@Suite("Transport: HTTPS, trust and TLS errors")
struct TLSTransportTests {
    @Test("a session over HTTPS to the TLS fake, trusted through --ca-file, then through SSL_CERT_FILE")
    func trustedSession() async throws {
        let ca = try TestCA()
        try await withTLSRig(ca) { rig in
            #expect(rig.fake.baseURL.hasPrefix("https://127.0.0.1:"))
            let first = try await rig.run(["load \(obrien)", "attr plan secure", "push"], extra: ["--ca-file", ca.certificate])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("sent #1"))
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "secure")

            // The same server by name, trusted through the environment.
            let byName = ["--base-url", "https://localhost:\(rig.fake.port)", "--journal", rig.journal]
            var env = rig.env
            env["SSL_CERT_FILE"] = ca.certificate
            let second = try await leadsh(byName + ["-c", "load \(obrien)", "-c", "attr plan by-env", "-c", "push"], environment: env)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "by-env")
            #expect(rig.posts.count == 2)
        }
    }

    @Test("an untrusted certificate: one named line, the update stays pending (no attempt), sync exits 4, then delivers with --ca-file")
    func untrusted() async throws {
        let ca = try TestCA()
        try await withTLSRig(ca) { rig in
            // The session of the issue: a load against a server whose CA leadsh does not know.
            let load = try await rig.run(["load \(obrien)"])
            #expect(load.status == 1)
            let line = load.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!line.contains("\n"), "one line: \(line)")
            #expect(line.contains("untrusted certificate"), "\(line)")
            #expect(line.contains("127.0.0.1"))
            #expect(line.contains("--ca-file"))
            #expect(!line.contains("closed mid-response"))
            expectNoInternals(line)

            try await queueOffline(rig, ca: ca, plan: "after-trust")
            let refused = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(refused.status == 4, "\(refused.stderr)")
            #expect(refused.stderr.contains("untrusted certificate"), "\(refused.stderr)")
            #expect(refused.stderr.contains("updates stay queued"))
            expectNoInternals(refused.stderr + refused.stdout)
            let row = try #require(try await queueRows(rig).first)
            #expect(row["state"]?.stringValue == "pending")
            #expect(row["attempts"]?.integerValue == 0)
            #expect(rig.posts.isEmpty, "nothing reached the server")

            let delivered = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: rig.env)
            #expect(delivered.status == 0, "\(delivered.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "after-trust")
        }
    }

    @Test("a certificate issued for another name: a hostname mismatch, pending, sync exits 4")
    func hostnameMismatch() async throws {
        let ca = try TestCA()
        try await withTLSRig(ca, names: ["intercom.other.example"]) { rig in
            let load = try await rig.run(["load \(obrien)"], extra: ["--ca-file", ca.certificate])
            #expect(load.status == 1)
            #expect(load.stderr.contains("hostname mismatch"), "\(load.stderr)")
            #expect(!load.stderr.contains("untrusted"))
            expectNoInternals(load.stderr)

            // An update queued earlier, replayed now.
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            let sync = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: rig.env)
            #expect(sync.status == 4)
            #expect(sync.stderr.contains("hostname mismatch"), "\(sync.stderr)")
            let row = try #require(try await queueRows(rig).first)
            #expect(row["state"]?.stringValue == "pending")
            #expect(row["attempts"]?.integerValue == 0)
        }
    }

    @Test("an expired certificate is named as expired, with its date, even from a trusted CA")
    func expired() async throws {
        let ca = try TestCA()
        let start = Date().addingTimeInterval(-40 * 86_400)
        let end = Date().addingTimeInterval(-20 * 86_400)
        try await withTLSRig(ca, notBefore: start, notAfter: end) { rig in
            let load = try await rig.run(["load \(obrien)"], extra: ["--ca-file", ca.certificate])
            #expect(load.status == 1)
            #expect(load.stderr.contains("expired certificate"), "\(load.stderr)")
            #expect(load.stderr.contains(TestCA.day(end)), "\(load.stderr)")
            #expect(!load.stderr.contains("untrusted"))
            expectNoInternals(load.stderr)
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            let sync = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: rig.env)
            #expect(sync.status == 4)
            #expect(sync.stderr.contains("expired certificate"))
        }
    }

    @Test("a CA file with a damaged certificate: -c quit never reads it; a call fails naming the file, updates stay pending")
    func damagedCAFile() async throws {
        let ca = try TestCA()
        try await withTLSRig(ca) { rig in
            let damaged = rig.home.write("damaged.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
            let quit = try await rig.run(["quit"], extra: ["--ca-file", damaged])
            #expect(quit.status == 0, "\(quit.stderr)")
            #expect(quit.stderr.isEmpty, "\(quit.stderr)")

            let load = try await rig.run(["load \(obrien)"], extra: ["--ca-file", damaged])
            #expect(load.status == 1)
            let line = load.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!line.contains("\n"), "one line: \(line)")
            #expect(line.contains(damaged) && line.contains("--ca-file"), "\(line)")
            expectNoInternals(line)

            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            let sync = try await leadsh(rig.args + ["sync", "--ca-file", damaged], environment: rig.env)
            #expect(sync.status == 4, "\(sync.stderr)")
            #expect(sync.stderr.contains(damaged), "\(sync.stderr)")
            let row = try #require(try await queueRows(rig).first)
            #expect(row["state"]?.stringValue == "pending")
            #expect(row["attempts"]?.integerValue == 0)
            #expect(rig.fake.requests.isEmpty, "nothing reached the server")
        }
    }

    @Test("plain HTTP spoken to an https:// URL is a failed handshake, named as such")
    func notTLS() async throws {
        try await withRig { rig in
            let https = "https://127.0.0.1:\(rig.fake.port)"
            let load = try await leadsh(["--base-url", https, "--journal", rig.journal, "-c", "load \(obrien)"], environment: rig.env)
            #expect(load.status == 1)
            #expect(load.stderr.contains("TLS: the handshake with 127.0.0.1:\(rig.fake.port) failed"), "\(load.stderr)")
            expectNoInternals(load.stderr)
        }
    }

    @Test("fake-intercom --tls-cert --tls-key serves HTTPS that leadsh trusts through --ca-file; one flag alone is refused")
    func fakeProgramOverTLS() async throws {
        let ca = try TestCA()
        let server = try ca.issue(names: ["127.0.0.1"])
        let token = "tok_" + UUID().uuidString.prefix(8)
        let program = try RunningProduct(
            "fake-intercom", ["--port", "0", "--token", token, "--tls-cert", server.certificate, "--tls-key", server.key],
            environment: ProcessInfo.processInfo.environment)
        let line = await program.firstLine()
        let prefix = "fake-intercom listening on "
        #expect(line.hasPrefix(prefix + "https://127.0.0.1:"), "\(line)")
        let baseURL = String(line.dropFirst(prefix.count).prefix { $0 != " " })
        let home = TempDirectory("leadsh-tlsfake")
        let env = leadshEnvironment(home: home.path, token: token)
        let base = ["--base-url", baseURL, "--journal", home.file("j.sqlite")]
        let trusted = try await leadsh(base + ["--ca-file", ca.certificate, "-c", "load \(obrien)"], environment: env)
        #expect(trusted.status == 0, "\(trusted.stderr)")
        let untrusted = try await leadsh(base + ["-c", "load \(obrien)"], environment: env)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("untrusted certificate"), "\(untrusted.stderr)")
        program.signal(SIGTERM)
        #expect(await program.wait() == 0)

        let alone = try await runProduct("fake-intercom", ["--tls-cert", server.certificate], environment: ProcessInfo.processInfo.environment)
        #expect(alone.status != 0)
        #expect(alone.stderr.contains("--tls-cert and --tls-key go together"), "\(alone.stderr)")
    }

    @Test("a CA file that is missing or holds no certificate is refused at start with exit 2")
    func badCAFile() async throws {
        let home = TempDirectory("leadsh-cafile")
        let env = leadshEnvironment(home: home.path, token: "t")
        let base = ["--base-url", "https://127.0.0.1:9", "--journal", home.file("j.sqlite")]
        let missing = try await leadsh(base + ["--ca-file", home.file("nope.pem"), "-c", "status"], environment: env)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does not exist"), "\(missing.stderr)")
        let junk = home.write("junk.pem", "hello\n")
        let empty = try await leadsh(base + ["--ca-file", junk, "-c", "status"], environment: env)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("holds no PEM certificate"), "\(empty.stderr)")
        var withEnv = env
        withEnv["SSL_CERT_FILE"] = home.file("gone.pem")
        let fromEnv = try await leadsh(base + ["-c", "status"], environment: withEnv)
        #expect(fromEnv.status == 2)
        #expect(fromEnv.stderr.contains("SSL_CERT_FILE"), "\(fromEnv.stderr)")
    }
}

@Suite("Transport: proxies")
struct ProxyTransportTests {
    @Test("a sync through tinyproxy delivers every update; its log shows the CONNECTs", .enabled(if: tinyproxyAvailable))
    func throughTinyproxy() async throws {
        let ca = try TestCA()
        let proxy = try await TinyProxy.start()
        defer { proxy.stop() }
        try await withTLSRig(ca) { rig in
            _ = try journalUpdates(rig.journal, count: 6, leads: Array(allSampleIDs.prefix(3)))
            var env = rig.env
            env["HTTPS_PROXY"] = proxy.url()
            let sync = try await leadsh(rig.args + ["sync", "--blind", "--ca-file", ca.certificate], environment: env)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(sync.stdout.contains("sent 6"), "\(sync.stdout)")
            for id in allSampleIDs.prefix(3) {
                #expect(rig.fake.lead(id: id)?.customAttributes["n"] != nil)
            }
            #expect(rig.posts.count == 6)
            #expect(!proxy.connects.isEmpty, "\(proxy.log)")
            #expect(proxy.connects.allSatisfy { $0 == "127.0.0.1:\(rig.fake.port)" }, "\(proxy.connects)")

            // NO_PROXY alone decides what bypasses it: no new CONNECT, still delivered.
            let before = proxy.connects.count
            _ = try journalUpdates(rig.journal, count: 2, leads: [obrien])
            env["NO_PROXY"] = "localhost,127.0.0.1"
            let direct = try await leadsh(rig.args + ["sync", "--blind", "--ca-file", ca.certificate], environment: env)
            #expect(direct.status == 0, "\(direct.stderr)")
            #expect(proxy.connects.count == before)
            #expect(rig.posts.count == 8)
        }
    }

    @Test("HTTPS_PROXY is really used: a dead proxy keeps updates pending; NO_PROXY and --proxy \"\" bypass it")
    func deadProxy() async throws {
        let ca = try TestCA()
        try await withTLSRig(ca) { rig in
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            var env = rig.env
            env["HTTPS_PROXY"] = "http://127.0.0.1:\(try freeLoopbackPort())"
            let blocked = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: env)
            #expect(blocked.status == 4)
            #expect(blocked.stderr.contains("cannot reach the proxy http://127.0.0.1:"), "\(blocked.stderr)")
            expectNoInternals(blocked.stderr)
            #expect(rig.posts.isEmpty)
            let noProxy = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate, "--proxy", ""], environment: env)
            #expect(noProxy.status == 0, "\(noProxy.stderr)")
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            env["no_proxy"] = ".0.0.1"  // a suffix of 127.0.0.1 is no IP rule: still proxied
            let suffix = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: env)
            #expect(suffix.status == 4)
            env["no_proxy"] = "127.0.0.0/8"
            let cidr = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: env)
            #expect(cidr.status == 0, "\(cidr.stderr)")
            #expect(rig.posts.count == 2)
        }
    }

    @Test("proxy credentials authenticate, and never appear in output, --verbose or the journal", .enabled(if: tinyproxyAvailable))
    func credentials() async throws {
        let ca = try TestCA()
        let password = "pw" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
        let proxy = try await TinyProxy.start(credentials: ("alice", String(password)))
        defer { proxy.stop() }
        try await withTLSRig(ca) { rig in
            var env = rig.env
            env["HTTPS_PROXY"] = proxy.url(user: "alice", password: String(password))
            let session = try await rig.run(
                ["load \(obrien)", "attr plan proxied", "push", "status", "queue --all"],
                extra: ["--ca-file", ca.certificate, "--verbose"], env: env)
            #expect(session.status == 0, "\(session.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "proxied")
            #expect(session.stderr.contains("* through proxy http://[redacted]@127.0.0.1:\(proxy.port)"), "\(session.stderr)")
            #expect(!proxy.connects.isEmpty)

            // The wrong password (tinyproxy answers 401 to it): named, pending, exit 4; neither password shown or stored.
            let wrong = "wrong" + String(password.dropFirst(5))
            env["HTTPS_PROXY"] = proxy.url(user: "alice", password: wrong)
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            let refused = try await leadsh(rig.args + ["sync", "--verbose", "--ca-file", ca.certificate], environment: env)
            #expect(refused.status == 4)
            #expect(refused.stderr.contains("rejected the credentials in the proxy URL (401 Unauthorized)"), "\(refused.stderr)")
            expectNoInternals(refused.stderr)
            let row = try #require(try await queueRows(rig).last)
            #expect(row["state"]?.stringValue == "pending")
            #expect(row["attempts"]?.integerValue == 0)

            // No credentials at all: told how to give them.
            env["HTTPS_PROXY"] = proxy.url()
            let anonymous = try await leadsh(rig.args + ["sync", "--ca-file", ca.certificate], environment: env)
            #expect(anonymous.status == 4)
            #expect(anonymous.stderr.contains("asks for credentials (407 Proxy Authentication Required)"), "\(anonymous.stderr)")

            for secret in [String(password), wrong] {
                for output in [session.stdout, session.stderr, refused.stdout, refused.stderr, anonymous.stderr] {
                    #expect(!output.contains(secret), "a proxy password was printed")
                }
                for suffix in ["", "-wal", "-shm"] {
                    if let data = FileManager.default.contents(atPath: rig.journal + suffix) {
                        #expect(!containsBytes(data, secret), "a proxy password is in journal\(suffix)")
                    }
                }
            }
        }
    }

    @Test("a proxy that refuses the tunnel (403) gets its own message; the update stays pending", .enabled(if: tinyproxyAvailable))
    func refusedTunnel() async throws {
        let ca = try TestCA()
        let proxy = try await TinyProxy.start(connectPorts: [443])
        defer { proxy.stop() }
        try await withTLSRig(ca) { rig in
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            let sync = try await leadsh(
                rig.args + ["sync", "--ca-file", ca.certificate, "--proxy", proxy.url()], environment: rig.env)
            #expect(sync.status == 4)
            #expect(sync.stderr.contains("refused to open a tunnel to 127.0.0.1:\(rig.fake.port) (CONNECT answered 403 "), "\(sync.stderr)")
            expectNoInternals(sync.stderr)
            let row = try #require(try await queueRows(rig).first)
            #expect(row["state"]?.stringValue == "pending")
            #expect(row["attempts"]?.integerValue == 0)
            #expect(rig.posts.isEmpty)
        }
    }
}

@Suite("Transport: the shell and refusals")
struct TransportShellTests {
    @Test(
        "the interactive shell does not keep retrying a refused proxy by itself: the proxy sees no more CONNECTs",
        .enabled(if: tinyproxyAvailable && tmuxAvailable))
    func noRetrySpin() async throws {
        let ca = try TestCA()
        let proxy = try await TinyProxy.start(connectPorts: [443])
        defer { proxy.stop() }
        try await withTLSRig(ca) { rig in
            _ = try journalUpdates(rig.journal, count: 1, leads: [obrien])
            let terminal = try TmuxSession(
                command: [productsDirectory() + "/leadsh"] + rig.args
                    + ["--ca-file", ca.certificate, "--proxy", proxy.url(), "--history", rig.home.file("history")],
                environment: rig.env)
            defer { terminal.close() }
            _ = try await terminal.waitFor("(1 pending)>")
            terminal.typeLine("sync")
            _ = try await terminal.waitFor("sent 0, pending 1")
            #expect(terminal.capture().contains("refused to open a tunnel"))
            // Waits on the leadsh child: its CONNECTs reach tinyproxy's log a moment after the line prints.
            try await Task.sleep(for: .milliseconds(300))
            let afterSync = proxy.connects.count
            #expect(afterSync > 0)
            // Waits on the leadsh child: its background loop (a real process on the real clock)
            // wakes every 2 seconds; nothing it does is observable except the CONNECTs it must not make.
            try await Task.sleep(for: .seconds(7))
            #expect(proxy.connects.count == afterSync, "the shell retried by itself: \(proxy.connects.count - afterSync) more CONNECTs")
            #expect(rig.posts.isEmpty)
            terminal.typeLine("quit")
        }
    }
}

extension TestCA {
    /// `2024-01-31`, as the expired-certificate message starts the date.
    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }
}
