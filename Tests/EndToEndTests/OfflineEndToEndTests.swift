import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

@Suite("Offline work, sync and the queue, end to end")
struct OfflineEndToEndTests {
    @Test("edits made offline are journaled, listed by queue --json, and delivered by leadsh sync", arguments: apiVersions)
    func offlineThenSync(version: String) async throws {
        try await withRig(version: version) { rig in
            let online = try await rig.run(["load \(obrien)", "load 5811f7c1e6b4704ddfa84ad2"])
            #expect(online.status == 0, "\(online.stderr)")
            rig.fake.clearRequests()

            let offline = try await rig.run(
                [
                    "load \(obrien)", "attr plan pro", "push", "load 5811f7c1e6b4704ddfa84ad2", "set name Julia2", "push", "load \(obrien)", "attr seats 3",
                    "push",
                ],
                extra: ["--offline", "--no-coalesce"])
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(offline.stdout.contains("queued (offline)"))
            #expect(offline.stderr.contains("cached"))
            #expect(rig.fake.requests.isEmpty, "nothing is sent offline")

            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            #expect(queue.status == 0)
            guard case .array(let rows) = try JSONText.parse(queue.stdout) else {
                Issue.record("not an array")
                return
            }
            #expect(rows.count == 3)
            let first = try #require(rows.first?.objectValue)
            for key in ["seq", "op_id", "lead", "fields", "state", "attempts", "last_error", "created_at"] {
                #expect(first[key] != nil, "queue --json lacks \(key)")
            }
            #expect(first["lead"]?["id"] == .string(obrien))
            #expect(first["lead"]?["user_id"] == .string(obrienUserID))
            #expect(first["fields"]?["custom_attributes.plan"] == "pro")
            #expect(first["state"] == "pending")

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(rig.posts.count == 3)
            // Leads go concurrently; each lead's updates go in sequence order.
            let obrienPosts = rig.posts.filter { $0.leadID == obrien }.compactMap { $0.bodyJSON?["custom_attributes"]?.objectValue?.keys }
            #expect(obrienPosts == [["plan"], ["seats"]])
            #expect(rig.posts.filter { $0.leadID == "5811f7c1e6b4704ddfa84ad2" }.count == 1)
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "pro")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["seats"] == 3)
            #expect(rig.fake.lead(id: "5811f7c1e6b4704ddfa84ad2")?.name == "Julia2")

            let after = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            #expect(try JSONText.parse(after.stdout) == .array([]))
        }
    }

    @Test("a push while the API refuses connections is queued, exit 0; sync exits 4 until it is back", arguments: apiVersions)
    func unreachableThenBack(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            await rig.fake.stopListening()
            let push = try await rig.run(["load \(obrien)", "attr plan team", "push", "status"])
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stdout.contains("queued"))
            let pending = try await leadsh(rig.args + ["sync", "--wait", "0"], environment: rig.env)
            #expect(pending.status == 4)
            try await rig.fake.resumeListening()
            let done = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(done.status == 0, "\(done.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "team")
        }
    }

    @Test("sync exits 5 when an update fails, with Intercom's message kept in the queue", arguments: apiVersions)
    func failedExit5(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            _ = try await rig.run(["load \(obrien)", "attr plan x", "push"], extra: ["--offline"])
            rig.fake.inject(.status(404, code: "not_found", message: "Contact Not Found"))
            let sync = try await leadsh(rig.args + ["sync", "--blind"], environment: rig.env)
            #expect(sync.status == 5)
            let queue = try await leadsh(rig.args + ["queue"], environment: rig.env)
            #expect(queue.stdout.contains("failed"))
            #expect(queue.stdout.contains("not_found"))
        }
    }

    @Test("the token appears nowhere in the journal, its WAL, or the output, even with --verbose")
    func tokenNeverStored() async throws {
        try await withRig { rig in
            let result = try await rig.run(["load \(obrien)", "attr plan x", "push", "status", "queue --all"], extra: ["--verbose"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("POST"))
            let token = rig.fake.configuration.token
            #expect(!result.stdout.contains(token))
            #expect(!result.stderr.contains(token))
            for suffix in ["", "-wal", "-shm"] {
                if let data = FileManager.default.contents(atPath: rig.journal + suffix) {
                    #expect(data.range(of: Data(token.utf8)) == nil, "token found in journal\(suffix)")
                }
            }
            #expect(permissions(of: rig.journal) == 0o600)
        }
    }
}

@Suite("Options around subcommands")
struct SubcommandOptionTests {
    @Test("options may stand after sync and queue as well as before")
    func optionsAfterSubcommand() async throws {
        try await withRig { rig in
            _ = try await rig.run(["load \(obrien)"])
            _ = try await rig.run(["load \(obrien)", "attr plan late", "push"], extra: ["--offline"])
            let queue = try await leadsh(["queue", "--json"] + rig.args, environment: rig.env)
            #expect(queue.status == 0, "\(queue.stderr)")
            guard case .array(let rows) = try JSONText.parse(queue.stdout) else {
                Issue.record("not an array")
                return
            }
            #expect(rows.count == 1)
            let sync = try await leadsh(["sync"] + rig.args, environment: rig.env)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "late")
            let stray = try await leadsh(["sync", "extra"] + rig.args, environment: rig.env)
            #expect(stray.status == 2)
        }
    }
}
