import FakeIntercom
import Foundation
import GRDB
import LeadModel
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Makes every cached lead of a journal an hour old, so the next replay re-reads them.
func ageCache(_ journal: String, by seconds: Double = 3600) throws {
    let queue = try DatabaseQueue(path: journal)
    defer { try? queue.close() }
    try queue.write { db in try db.execute(sql: "UPDATE leads SET fetched_at = fetched_at - ?", arguments: [seconds]) }
}

/// Sends one raw request to the fake, as an SDK or a curl loop would, and returns the status.
func rawRequest(_ url: String, method: String, token: String, body: String?, headers: [String: String] = [:]) async throws -> Int {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    request.httpBody = body.map { Data($0.utf8) }
    let (_, response) = try await URLSession.shared.data(for: request)
    return (response as? HTTPURLResponse)?.statusCode ?? 0
}

@Suite("Which API version: every request names it, 2.x updates with PUT, the journal renders per version")
struct APIVersionTests {
    @Test("every request leadsh sends carries Intercom-Version: load, push, sync with a conflict re-read, probe", arguments: apiVersions)
    func everyRequestNamesItsVersion(version: String) async throws {
        try await withRig(version: version) { rig in
            let first = try await rig.run(["load \(obrien)", "set name Versioned", "push", "attributes"])
            #expect(first.status == 0, "\(first.stderr)")
            let offline = try await rig.run(["load \(obrien)", "attr plan aged", "push"], extra: ["--offline"])
            #expect(offline.status == 0, "\(offline.stderr)")
            // The cached copy is old now: the replay re-reads the lead before it sends.
            try ageCache(rig.journal)
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr)")
            let online = try await rig.run(["offline", "online", "status"])
            #expect(online.status == 0, "\(online.stderr)")

            let requests = rig.fake.requests
            let calls = Set(requests.map { "\($0.method) \($0.path)" })
            for expected in ["GET /contacts/\(obrien)", "GET /me", "GET /data_attributes"] {
                #expect(calls.contains(expected), "\(expected) was not sent: \(calls)")
            }
            #expect(requests.filter(\.isUpdate).count == 2)
            #expect(requests.filter { $0.method == "GET" && $0.path == "/contacts/\(obrien)" }.count >= 2, "the load and the re-read")
            for request in requests {
                #expect(
                    request.header("Intercom-Version") == version,
                    "\(request.method) \(request.path) carried \(request.header("Intercom-Version") ?? "no version")")
            }
        }
    }

    @Test("under 2.14, load/set/attr/unset/push sends exactly one PUT /contacts/{id} with the typed changed fields, and no POST")
    func v2EditSession() async throws {
        try await withRig(version: "2.14") { rig in
            let before = rig.fake.allLeads.count
            let result = try await rig.run([
                "load \(obrien)", #"set name "O'Brien""#, "set email obrien@newspeak.example", "attr monthly_spend 200.25",
                "attr team_mates 12", #"attr plan "9""#, "attr paid_subscriber false", "unset phone", "set owner_id 42", "push",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("sent"))
            let updates = rig.fake.requests.filter { $0.method != "GET" }
            #expect(updates.count == 1, "\(updates.map { "\($0.method) \($0.path)" })")
            let put = try #require(updates.first)
            #expect(put.method == "PUT")
            #expect(put.path == "/contacts/\(obrien)")
            #expect(
                String(decoding: put.body, as: UTF8.self)
                    == #"{"name":"O'Brien","email":"obrien@newspeak.example","phone":null,"owner_id":42,"custom_attributes":{"monthly_spend":200.25,"team_mates":12,"plan":"9","paid_subscriber":false}}"#
            )
            #expect(rig.fake.allLeads.count == before, "a new email did not create a lead")
            let stored = try #require(rig.fake.lead(id: obrien))
            #expect(stored.name == "O'Brien")
            #expect(stored.email == "obrien@newspeak.example")
            #expect(stored.customAttributes["team_mates"] == .integer(12))
            #expect(stored.customAttributes["plan"] == .string("9"))
        }
    }

    @Test("under 2.14, an unknown attribute, a wrong type and 1.x-only fields are refused and nothing is journaled")
    func v2Refusals() async throws {
        try await withRig(version: "2.14") { rig in
            let typo = try await rig.run(["load \(obrien)", "attr monthly_spnd 3"])
            #expect(typo.status == 1)
            #expect(typo.stderr.contains("did you mean `monthly_spend`?"), "\(typo.stderr)")
            let wrongType = try await rig.run(["load \(obrien)", "attr team_mates many"])
            #expect(wrongType.status == 1)
            #expect(wrongType.stderr.contains("integer") && wrongType.stderr.contains("string"), "\(wrongType.stderr)")
            let lastRequest = try await rig.run(["load \(obrien)", "set last_request_at 1700000000"])
            #expect(lastRequest.status == 1)
            #expect(lastRequest.stderr.contains("last_seen_at"), "\(lastRequest.stderr)")
            let ip = try await rig.run(["load \(obrien)", "set last_seen_ip 10.0.0.1"])
            #expect(ip.status == 1)
            #expect(ip.stderr.contains("1.x field"), "\(ip.stderr)")
            let userID = try await rig.run(["load \(obrien)", "set user_id abc"])
            #expect(userID.status == 1)
            #expect(userID.stderr.contains("external_id"), "\(userID.stderr)")
            // The same script goes on with --on-error continue; the push has nothing to send.
            let all = try await rig.run(
                ["load \(obrien)", "attr monthly_spnd 3", "set last_seen_ip 10.0.0.1", "push"], extra: ["--on-error", "continue"])
            #expect(all.status == 1)
            #expect(all.stderr.contains("nothing to push"), "\(all.stderr)")
            let queue = try await leadsh(rig.args + ["queue", "--all", "--json"], environment: rig.env)
            #expect(try JSONText.parse(queue.stdout) == .array([]))
            #expect(!rig.fake.requests.contains { $0.method != "GET" })
        }
    }

    @Test("offline with no attribute list, 2.x edits are accepted; the replay's 400 fails the row with Intercom's message")
    func offlineWithoutAttributeList() async throws {
        try await withRig(version: "2.14") { rig in
            // Cached under 1.4, which never reads the attribute list.
            #expect(try await rig.run(["load \(obrien)"], extra: ["--api-version", "1.4"]).status == 0)
            let offline = try await rig.run(["load \(obrien)", "attr churn_risk 3", "push"], extra: ["--offline"])
            #expect(offline.status == 0, "\(offline.stderr)")
            let sync = try await leadsh(rig.args + ["sync", "--blind"], environment: rig.env)
            #expect(sync.status == 5, "\(sync.stdout) \(sync.stderr)")
            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            let row = try #require(try JSONText.parse(queue.stdout).arrayValue?.first)
            #expect(row["state"] == "failed")
            #expect(row["last_error"]?.stringValue?.contains("churn_risk") == true, "\(row)")
        }
    }

    @Test("help set and Tab completion follow the dialect")
    func catalogFollowsDialect() async throws {
        try await withRig(version: "2.14") { rig in
            let v2 = try await rig.run(["help set"])
            #expect(v2.stdout.contains("external_id") && v2.stdout.contains("last_seen_at") && v2.stdout.contains("owner_id"))
            #expect(!v2.stdout.contains("last_seen_ip"))
            let v1 = try await leadsh(["--api-version", "1.4", "--journal", rig.journal, "-c", "help set"], environment: rig.env)
            #expect(v1.stdout.contains("last_seen_ip") && v1.stdout.contains("last_request_at"))
            #expect(!v1.stdout.contains("owner_id"))
        }
    }

    @Test("the danger: without the header a 2.14 workspace creates a duplicate; leadsh's default push updates and creates nothing")
    func defaultPushNeverCreates() async throws {
        try await withRig { rig in
            // The seed's call, as an SDK that sends no Intercom-Version makes it, to a workspace on 2.14.
            let before = rig.fake.allLeads.count
            let seedBody = #"{"id":"\#(obrien)","user_id":"\#(obrienUserID)","email":"obrien@elsewhere.example","name":"OBrien"}"#
            let status = try await rawRequest(rig.fake.baseURL + "/contacts", method: "POST", token: rig.fake.configuration.token, body: seedBody)
            #expect(status == 200)
            #expect(rig.fake.allLeads.count == before + 1, "the seed's update body created a second lead")
            rig.fake.clearRequests()

            // leadsh with no --api-version: the default 2.14 is named, and its push is 2.x's PUT.
            let env = rig.env
            let result = try await leadsh(
                ["--base-url", rig.fake.baseURL, "--journal", rig.journal, "-c", "load \(obrien)", "-c", "set email obrien@thinkpol.example", "-c", "push"],
                environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(rig.fake.allLeads.count == before + 1, "leadsh created nothing")
            #expect(rig.fake.lead(id: obrien)?.email == "obrien@thinkpol.example")
            #expect(rig.fake.requests.allSatisfy { $0.header("Intercom-Version") == "2.14" })
            #expect(rig.fake.requests.contains { $0.method == "PUT" && $0.path == "/contacts/\(obrien)" })
            #expect(!rig.fake.requests.contains { $0.method == "POST" && $0.path == "/contacts" }, "the seed's call is never sent under 2.x")
        }
    }

    @Test("updates journaled offline under 1.4 drain as PUTs under 2.14, and the other way round")
    func journalRendersPerSendingVersion() async throws {
        try await withRig { rig in
            let v1 = rig.args + ["--api-version", "1.4"]
            let v2 = rig.args + ["--api-version", "2.14"]
            #expect(try await leadsh(v1 + ["-c", "load \(obrien)"], environment: rig.env).status == 0)
            let offline1 = try await leadsh(v1 + ["--offline", "-c", "load \(obrien)", "-c", "attr plan made_in_1", "-c", "push"], environment: rig.env)
            #expect(offline1.status == 0, "\(offline1.stderr)")
            let queue = try await leadsh(v2 + ["queue", "--json"], environment: rig.env)
            #expect(try JSONText.parse(queue.stdout).arrayValue?.first?["api_version"] == "1.4")
            rig.fake.clearRequests()
            let sync2 = try await leadsh(v2 + ["sync", "--blind"], environment: rig.env)
            #expect(sync2.status == 0, "\(sync2.stderr)")
            // `GET /me` first: the token's app, checked against the journal's before any send.
            #expect(rig.fake.requests.map { "\($0.method) \($0.path)" } == ["GET /me", "PUT /contacts/\(obrien)"])
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "made_in_1")

            let offline2 = try await leadsh(v2 + ["--offline", "-c", "load \(obrien)", "-c", "attr plan made_in_2", "-c", "push"], environment: rig.env)
            #expect(offline2.status == 0, "\(offline2.stderr)")
            let listed = try await leadsh(v1 + ["queue"], environment: rig.env)
            #expect(listed.stdout.contains("2.14"), "queue shows the version an update was made under: \(listed.stdout)")
            rig.fake.clearRequests()
            let sync1 = try await leadsh(v1 + ["sync", "--blind"], environment: rig.env)
            #expect(sync1.status == 0, "\(sync1.stderr)")
            #expect(rig.fake.requests.map { "\($0.method) \($0.path)" } == ["GET /me", "POST /contacts"])
            #expect(rig.fake.requests.last?.bodyJSON?["id"] == .string(obrien))
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "made_in_2")
        }
    }

    @Test(
        "a 1.x field journaled under 1.4 goes under 2.14 as its exact equivalent (last_request_at as last_seen_at); one with none fails its row, naming how to send it under 1.4; the other rows still go"
    )
    func fieldTheSendingDialectLacks() async throws {
        try await withRig { rig in
            let v1 = rig.args + ["--api-version", "1.4"]
            let v2 = rig.args + ["--api-version", "2.14"]
            #expect(try await leadsh(v1 + ["-c", "load \(obrien)", "-c", "load 5811f7c1e6b4704ddfa84ad2"], environment: rig.env).status == 0)
            let offline = try await leadsh(
                v1 + [
                    "--offline", "-c", "load \(obrien)", "-c", "set last_seen_ip 10.0.0.1", "-c", "push",
                    "-c", "load 5811f7c1e6b4704ddfa84ad2", "-c", "set name Julia2", "-c", "set last_request_at 1700000000", "-c", "push",
                ],
                environment: rig.env)
            #expect(offline.status == 0, "\(offline.stderr)")
            let sync = try await leadsh(v2 + ["sync", "--blind"], environment: rig.env)
            #expect(sync.status == 5, "\(sync.stdout) \(sync.stderr)")
            let julia = try #require(rig.fake.lead(id: "5811f7c1e6b4704ddfa84ad2"))
            #expect(julia.name == "Julia2")
            #expect(julia.fields["last_request_at"] == .integer(1_700_000_000))
            let put = try #require(rig.fake.requests.first { $0.method == "PUT" && $0.path == "/contacts/5811f7c1e6b4704ddfa84ad2" })
            #expect(put.bodyJSON?["last_seen_at"] == .integer(1_700_000_000) && put.bodyJSON?["last_request_at"] == nil)
            #expect(!rig.fake.requests.contains { $0.path == "/contacts/\(obrien)" && $0.method == "PUT" })
            let queue = try await leadsh(v2 + ["queue", "--json"], environment: rig.env)
            let row = try #require(try JSONText.parse(queue.stdout).arrayValue?.first)
            #expect(row["state"] == "failed")
            let error = row["last_error"]?.stringValue ?? ""
            for part in ["last_seen_ip", "no 2.x equivalent", "made under 1.4", "leadsh --api-version 1.4 -c 'retry 1'"] {
                #expect(error.contains(part), "\(error)")
            }
        }
    }

    @Test("a workspace that refuses 1.x keeps every update pending, and the message names the fix")
    func versionRefused() async throws {
        try await withRig { rig in
            #expect(try await rig.run(["load \(obrien)"]).status == 0)
            rig.fake.setAcceptsV1(false)
            let push = try await rig.run(["load \(obrien)", "attr plan refused", "push"], extra: ["--offline"])
            #expect(push.status == 0, "\(push.stderr)")
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 4, "\(sync.stdout) \(sync.stderr)")
            #expect(sync.stderr.contains("intercom_version_invalid"), "\(sync.stderr)")
            #expect(sync.stderr.contains("--api-version 2.14"), "\(sync.stderr)")
            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            let row = try #require(try JSONText.parse(queue.stdout).arrayValue?.first)
            #expect(row["state"] == "pending")
            #expect(row["attempts"] == 0)
            // The fix works: the same journal drains under 2.14.
            let fixed = try await leadsh(rig.args + ["--api-version", "2.14", "sync"], environment: rig.env)
            #expect(fixed.status == 0, "\(fixed.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "refused")
        }
    }

    @Test("under 2.14, load external_id= searches: one match loads it, none is not found, several are listed and none loaded")
    func loadByExternalID() async throws {
        try await withRig(version: "2.14") { rig in
            let one = try await rig.run(["load external_id=\(obrienUserID)", "status"])
            #expect(one.status == 0, "\(one.stderr)")
            #expect(one.stdout.contains("lead        \(obrien)"))
            let search = try #require(rig.fake.requests.first { $0.path == "/contacts/search" })
            #expect(search.method == "POST")
            #expect(search.bodyJSON?["query"]?["field"] == "external_id")
            #expect(search.bodyJSON?["query"]?["value"] == .string(obrienUserID))
            let alias = try await rig.run(["load user_id=\(obrienUserID)"])
            #expect(alias.status == 0, "\(alias.stderr)")

            let none = try await rig.run(["load external_id=nobody"])
            #expect(none.status == 1)
            #expect(none.stderr.contains("not found"), "\(none.stderr)")

            var twin = try #require(rig.fake.lead(id: obrien))
            twin.fields["id"] = "5811f6bbe6b4704ddfa84ff0"
            twin.fields["email"] = "twin@truth.org"
            rig.fake.insert(twin)
            let several = try await rig.run(["load external_id=\(obrienUserID)", "status"], extra: ["--on-error", "continue"])
            #expect(several.status == 1)
            #expect(several.stderr.contains("2 contacts match"), "\(several.stderr)")
            #expect(several.stderr.contains("5811f6bbe6b4704ddfa84ff0") && several.stderr.contains(obrien))
            #expect(!several.stdout.contains("lead        "), "nothing was loaded: \(several.stdout)")
        }
    }

    @Test("a contact merged away fails its update at the re-read: 410 with the Link target on 2.16, 404 on 2.14")
    func mergedContact() async throws {
        for (version, status) in [("2.16", "410"), ("2.14", "404")] {
            try await withRig(version: version) { rig in
                #expect(try await rig.run(["load \(obrien)"]).status == 0)
                let offline = try await rig.run(["load \(obrien)", "set name Gone", "push"], extra: ["--offline"])
                #expect(offline.status == 0, "\(offline.stderr)")
                rig.fake.merge(leadID: obrien, into: "5811f7c1e6b4704ddfa84ad2")
                try ageCache(rig.journal)
                let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
                #expect(sync.status == 5, "\(sync.stdout) \(sync.stderr)")
                let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
                let error = try #require(try JSONText.parse(queue.stdout).arrayValue?.first?["last_error"]?.stringValue)
                #expect(error.hasPrefix(status), "\(version): \(error)")
                if status == "410" {
                    #expect(error.contains("merged") && error.contains("5811f7c1e6b4704ddfa84ad2"), "\(error)")
                } else {
                    #expect(error.contains("merged, converted or deleted?"), "\(error)")
                }
            }
        }
    }

    @Test("the version is chosen by --api-version, its alias and LEADSH_API_VERSION; anything else exits 2 with the list")
    func choosingTheVersion() async throws {
        let home = TempDirectory("leadsh-version")
        let env = leadshEnvironment(home: home.path, token: "unused-offline")
        let journal = home.file("journal.sqlite")
        func status(_ args: [String], env: [String: String] = env) async throws -> ProcessResult {
            try await leadsh(["--offline", "--journal", journal] + args + ["-c", "status"], environment: env)
        }
        #expect(try await status([]).stdout.contains("Intercom-Version 2.14 (the 2.x dialect"), "the default")
        #expect(try await status(["--api-version", "1.4"]).stdout.contains("Intercom-Version 1.4 (the 1.x dialect"))
        #expect(try await status(["--api-version", "2.14"]).stdout.contains("Intercom-Version 2.14 (the 2.x dialect"))
        #expect(try await status(["--intercom-version", "1.3"]).stdout.contains("Intercom-Version 1.3"))
        var withEnv = env
        withEnv["LEADSH_API_VERSION"] = "2.11"
        #expect(try await status([], env: withEnv).stdout.contains("Intercom-Version 2.11"))
        #expect(try await status(["--api-version", "1.4"], env: withEnv).stdout.contains("Intercom-Version 1.4"), "the flag wins")
        for bad in ["2.6", "3.0", "1.5", "Unstable", "latest", "2.x"] {
            let refused = try await status(["--api-version", bad])
            #expect(refused.status == 2, "\(bad)")
            #expect(refused.stderr.contains("1.0, 1.1, 1.2, 1.3, 1.4") && refused.stderr.contains("2.7 and later"), "\(refused.stderr)")
        }
        withEnv["LEADSH_API_VERSION"] = "9"
        let badEnv = try await status([], env: withEnv)
        #expect(badEnv.status == 2)
        #expect(badEnv.stderr.contains("LEADSH_API_VERSION"))
        let json = try await leadsh(["--offline", "--journal", journal, "--api-version", "2.14", "--json", "-c", "status"], environment: env)
        #expect(jsonLines(json.stdout).first?["api_version"] == "2.14")
    }

    @Test("--verbose shows the version header; push --dry-run shows the call of the dialect", arguments: apiVersions)
    func verboseAndDryRun(version: String) async throws {
        try await withRig(version: version) { rig in
            let result = try await rig.run(["load \(obrien)", "set name Dry", "push --dry-run", "discard"], extra: ["--verbose"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("> Intercom-Version: \(version)"), "\(result.stderr)")
            #expect(result.stdout.contains(rig.isV2 ? "PUT /contacts/\(obrien)" : "POST /contacts"), "\(result.stdout)")
            #expect(rig.fake.requests.filter(\.isUpdate).isEmpty)
        }
    }

    @Test("attributes lists the workspace's custom attributes with their types, and the cached list offline")
    func attributesCommand() async throws {
        try await withRig(version: "2.14") { rig in
            let online = try await rig.run(["attributes"])
            #expect(online.status == 0, "\(online.stderr)")
            let rows = online.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(rows.contains("monthly_spend float"), "\(online.stdout)")
            #expect(rows.contains("team_mates integer"))
            #expect(rows.contains("paid_subscriber boolean"))
            let offline = try await rig.run(["attributes"], extra: ["--offline"])
            #expect(offline.status == 0)
            #expect(offline.stdout.contains("monthly_spend"))
            #expect(offline.stderr.contains("cached"))
        }
    }
}
