import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

let obrien = "5811f6bbe6b4704ddfa84ac0"
let obrienUserID = "77177570-cf5d-4f1a-bc75-75202af47d4f"

/// The API versions the suites that send updates run under: the seed's 1.4 and today's 2.14.
let apiVersions = ["1.4", "2.14"]

/// A temp home, a fake Intercom, and the arguments that point leadsh at both.
struct Rig {
    let home: TempDirectory
    let fake: FakeIntercom
    /// The `--api-version` leadsh runs with.
    var version = "1.4"
    var journal: String { home.file("journal.sqlite") }
    var env: [String: String] { leadshEnvironment(home: home.path, token: fake.configuration.token) }
    var args: [String] { ["--base-url", fake.baseURL, "--journal", journal, "--api-version", version] }
    var isV2: Bool { version.hasPrefix("2.") }

    func run(_ commands: [String], extra: [String] = [], stdin: String? = nil, env: [String: String]? = nil) async throws -> ProcessResult {
        try await leadsh(args + extra + commands.flatMap { ["-c", $0] }, environment: env ?? self.env, stdin: stdin)
    }

    /// The update calls the fake received, in either dialect: 1.x `POST /contacts`, 2.x `PUT /contacts/{id}`.
    var posts: [RecordedRequest] { fake.requests.filter(\.isUpdate) }
}

extension RecordedRequest {
    /// True for an update call in either dialect.
    var isUpdate: Bool {
        (method == "POST" && path == "/contacts") || (method == "PUT" && path.hasPrefix("/contacts/"))
    }

    /// The lead an update names: 1.x in its body, 2.x in its path.
    var leadID: String? {
        if method == "PUT" { return path.split(separator: "/").last.map(String.init) }
        return bodyJSON?["id"]?.stringValue
    }
}

/// Custom attributes the suites set besides the sample leads' own; a 2.x workspace must have them.
let testAttributes: [DataAttribute] = [
    DataAttribute(name: "seats", dataType: "integer"), DataAttribute(name: "n", dataType: "integer"),
    DataAttribute(name: "code", dataType: "string"), DataAttribute(name: "vip", dataType: "boolean"),
    DataAttribute(name: "note", dataType: "string"), DataAttribute(name: "tier", dataType: "string"),
]

func withRig<T>(
    _ configuration: FakeIntercomConfiguration = .init(), version: String = "1.4", _ body: (Rig) async throws -> T
) async throws -> T {
    let home = TempDirectory("leadsh-e2e")
    var configuration = configuration
    configuration.dataAttributes += testAttributes
    return try await withFakeIntercom(configuration) { fake in try await body(Rig(home: home, fake: fake, version: version)) }
}

@Suite("leadsh end to end")
struct ShellEndToEndTests {
    @Test("load, set, attr, unset, unattr, push sends exactly the changed fields, typed")
    func editSession() async throws {
        try await withRig { rig in
            let result = try await rig.run([
                "load \(obrien)", #"set name "O'Brien""#, "attr monthly_spend 200.25", "attr team_mates 12",
                #"attr code "9""#, "attr vip true", "unset phone", "unattr paid_subscriber", "push",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("sent"))
            let post = try #require(rig.posts.first)
            #expect(rig.posts.count == 1)
            #expect(post.path == "/contacts")
            // Exactly the identifiers and the changed fields, in the order they were edited.
            #expect(
                String(decoding: post.body, as: UTF8.self)
                    == #"{"id":"5811f6bbe6b4704ddfa84ac0","user_id":"77177570-cf5d-4f1a-bc75-75202af47d4f","name":"O'Brien","phone":null,"custom_attributes":{"monthly_spend":200.25,"team_mates":12,"code":"9","vip":true,"paid_subscriber":null}}"#
            )
            let headers = Dictionary(post.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            #expect(headers["authorization"] == "Bearer \(rig.fake.configuration.token)")
            #expect(headers["content-type"] == "application/json")
            #expect(headers["accept"] == "application/json")
            let stored = try #require(rig.fake.lead(id: obrien))
            #expect(stored.name == "O'Brien")
            #expect(stored.customAttributes["team_mates"] == .integer(12))
            #expect(stored.customAttributes["code"] == .string("9"))
            #expect(stored.customAttributes["monthly_spend"] == .double(200.25))
            #expect(stored.customAttributes["paid_subscriber"] == .null)
        }
    }

    @Test("loading by user_id works and the update names the lead by both identifiers")
    func loadByUserID() async throws {
        try await withRig { rig in
            let result = try await rig.run(["load user_id=\(obrienUserID)", "set phone 0035312345", "push"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(rig.fake.requests.first { $0.path == "/contacts" }?.rawQuery == "user_id=\(obrienUserID)")
            #expect(rig.posts.first?.bodyJSON?["phone"] == .string("0035312345"))
        }
    }

    @Test("an email only finds the lead: load email= loads the one match, and the push names it by id, never by email alone")
    func emailFindsThenIDUpdates() async throws {
        try await withRig { rig in
            let result = try await rig.run(["load email=obrien@truth.org", "set name ByEmail", "push"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("loaded \(obrien)"))
            #expect(rig.fake.requests.first { $0.path == "/contacts" && $0.method == "GET" }?.rawQuery == "email=obrien@truth.org")
            let post = try #require(rig.posts.first)
            #expect(post.bodyJSON?["id"] == .string(obrien), "the update names the lead by id")
            #expect(rig.fake.lead(id: obrien)?.name == "ByEmail")
            #expect(rig.posts.allSatisfy { $0.bodyJSON?["id"] != nil || $0.bodyJSON?["user_id"] != nil }, "no email-only body")
        }
    }

    @Test("unknown commands name the nearest one; read-only fields and bad literals are refused")
    func refusals() async throws {
        try await withRig { rig in
            let unknown = try await rig.run(["lod \(obrien)"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("\"load\""))
            let readOnly = try await rig.run(["load \(obrien)", "set id abc"])
            #expect(readOnly.status == 1)
            #expect(readOnly.stderr.contains("read-only"))
            let nested = try await rig.run(["load \(obrien)", "attr prefs [1,2]"])
            #expect(nested.status == 1)
            #expect(nested.stderr.contains("nested"))
            let badBool = try await rig.run(["load \(obrien)", "set unsubscribed_from_emails maybe"])
            #expect(badBool.status == 1)
            #expect(rig.posts.isEmpty)
        }
    }

    @Test("Intercom's errors reach the user as one line with code and message")
    func intercomErrorLine() async throws {
        try await withRig { rig in
            let result = try await rig.run(["load 000000000000000000000000"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("404 not_found"))
            #expect(result.stderr.contains("merged, converted or deleted?"))
            #expect(!result.stderr.contains("Swift"))
        }
    }

    @Test("usage and configuration errors exit 2; a bad journal exits 3")
    func exitCodes() async throws {
        try await withRig { rig in
            #expect(try await leadsh(["--no-such-option"], environment: rig.env).status == 2)
            let http = try await leadsh(["--base-url", "http://api.example.com", "-c", "help"], environment: rig.env)
            #expect(http.status == 2)
            #expect(http.stderr.contains("https://"))
            let garbage = rig.home.file("garbage")
            try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: garbage))
            let bad = try await leadsh(["--journal", garbage, "-c", "help"], environment: rig.env)
            #expect(bad.status == 3)
            #expect(try String(contentsOfFile: garbage, encoding: .utf8) == "not a database at all, just text")
        }
    }

    @Test("scripts without a token do not fall into the sandbox")
    func noTokenNoSandbox() async throws {
        try await withRig { rig in
            let env = leadshEnvironment(home: rig.home.path)
            let result = try await leadsh(["--journal", rig.journal, "-c", "load \(obrien)"], environment: env)
            #expect(result.status == 1)
            #expect(result.stderr.contains("no token: set INTERCOM_TOKEN or pass --sandbox"))
            #expect(try await leadsh(["--journal", rig.journal, "-c", "help"], environment: env).status == 0)
            let sandbox = try await leadsh(["--sandbox", "--journal", rig.journal, "-c", "load \(obrien)", "-c", "set name X", "-c", "push"], environment: env)
            #expect(sandbox.status == 0, "\(sandbox.stderr)")
        }
    }

    @Test("a token file readable by others is refused with the fix")
    func tokenFilePermissions() async throws {
        try await withRig { rig in
            let path = rig.home.file("token")
            try Data(rig.fake.configuration.token.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o644)
            let env = leadshEnvironment(home: rig.home.path)
            let refused = try await leadsh(rig.args + ["--token-file", path, "-c", "load \(obrien)"], environment: env)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("chmod 600"))
            chmod(path, 0o600)
            let ok = try await leadsh(rig.args + ["--token-file", path, "-c", "load \(obrien)"], environment: env)
            #expect(ok.status == 0, "\(ok.stderr)")
        }
    }

    @Test("--region picks Intercom's regional host; an unknown region is a usage error")
    func regions() async throws {
        let home = TempDirectory("leadsh-region")
        let env = leadshEnvironment(home: home.path, token: "unused-offline")
        let journal = home.file("journal.sqlite")
        for (region, host) in [("us", "https://api.intercom.io"), ("eu", "https://api.eu.intercom.io"), ("au", "https://api.au.intercom.io")] {
            let status = try await leadsh(["--region", region, "--offline", "--journal", journal, "-c", "status"], environment: env)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("endpoint    \(host)"))
        }
        let unknown = try await leadsh(["--region", "mars", "--journal", journal, "-c", "status"], environment: env)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("us, eu or au"))
    }
}
