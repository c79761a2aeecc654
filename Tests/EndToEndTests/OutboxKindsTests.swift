import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

/// Issue 25: tags, notes and merges journaled and replayed like updates, under both dialects.
@Suite("More than fields: tags, notes and merges (the whole app, real fake, real journals)")
struct OutboxKindsTests {
    static let winston = "5811f80ae6b4704ddfa84ae7"
    static let julia = "5811f7c1e6b4704ddfa84ad2"

    @Test(
        "offline: tag, untag, an update, a note, a merge and the rows behind it; sync delivers each once, in order, the rows behind the merge to the user",
        arguments: apiVersions)
    func offlineKindsThenSync(version: String) async throws {
        try await withRig(version: version) { rig in
            rig.fake.setRole("user", ofLead: Self.winston)
            let online = try await rig.run(["load \(obrien)", "load \(Self.winston)"])
            #expect(online.status == 0, "\(online.stderr)")
            rig.fake.clearRequests()

            let offline = try await rig.run(
                [
                    "load \(obrien)", "tag vip trial", "untag trial", "attr plan pro", "diff", "push", "tags",
                    "note 'Called & left a message'", "merge into \(Self.winston)", "attr seats 3", "push", "note 'After the merge'", "queue",
                ],
                extra: ["--offline"])
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(offline.stdout.contains("tags: +vip -trial"), "diff shows the tags: \(offline.stdout)")
            #expect(offline.stdout.contains("tags +vip -trial"), "queue shows the tags row: \(offline.stdout)")
            #expect(offline.stdout.contains("note: Called & left a message"), "\(offline.stdout)")
            #expect(offline.stdout.contains("merge into \(Self.winston)"), "\(offline.stdout)")
            #expect(offline.stdout.contains("vip"), "tags lists the unsent tag: \(offline.stdout)")
            #expect(rig.fake.requests.isEmpty, "nothing is sent offline")

            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            guard case .array(let rows) = try JSONText.parse(queue.stdout) else {
                Issue.record("queue --json is not an array: \(queue.stdout)")
                return
            }
            #expect(rows.compactMap { $0["kind"]?.stringValue } == ["update", "tags", "note", "merge", "update", "note"])

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
            #expect(rig.fake.isMerged(leadID: obrien), "the merge was delivered")
            let user = try #require(rig.fake.lead(id: Self.winston))
            #expect(user.customAttributes["seats"] == 3, "the update behind the merge went to the user")
            let notes = rig.fake.notes(leadID: Self.winston) + rig.fake.notes(leadID: obrien)
            #expect(notes.filter { $0.body.contains("Called &amp; left a message") || $0.body.contains("Called & left a message") }.count == 1)
            #expect(
                rig.fake.notes(leadID: Self.winston).filter { $0.body.contains("After the merge") }.count == 1, "the note behind the merge went to the user")
            // The tag went before the merge, to the lead, in the dialect's calls.
            let tagCalls = rig.fake.requests.filter { $0.path.contains("/tags") }
            if version == "1.4" {
                #expect(tagCalls.contains { $0.method == "POST" && $0.path == "/tags" && ($0.bodyJSON?["users"]?.arrayValue?.first?["id"] == .string(obrien)) })
            } else {
                #expect(tagCalls.contains { $0.method == "POST" && $0.path == "/contacts/\(obrien)/tags" })
            }
            let order = rig.fake.requests.map(\.path)
            let merge = try #require(order.firstIndex { $0 == "/contacts/merge" || $0 == "/contacts/convert" })
            let tag = try #require(order.firstIndex { $0.contains("/tags") })
            #expect(tag < merge, "the tag journaled before the merge is applied before it")

            let after = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            #expect(try JSONText.parse(after.stdout) == .array([]), "\(after.stdout)")
        }
    }

    @Test("a note whose answer is cut is not sent twice: sync lists the lead's notes, finds it, and records it sent", arguments: apiVersions)
    func noteCutOnce(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            let before = rig.fake.notes(leadID: obrien).count
            rig.fake.inject(.dropMidResponse)
            // The lead from the cache, so the cut meets the note's POST, the first call that can draw it.
            let cut = try await rig.run(["load \(obrien)", "online", "note 'Wants a demo <Friday>'"], extra: ["--offline"])
            #expect(rig.fake.notes(leadID: obrien).count == before + 1, "the cut answer's note landed: \(cut.stdout)\(cut.stderr)")

            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
            #expect(rig.fake.notes(leadID: obrien).count == before + 1, "one note, not two")
            #expect(sync.stdout.contains("already applied 1"), "\(sync.stdout)")
            let listed = try await rig.run(["load \(obrien)", "notes"])
            #expect(listed.stdout.contains("Wants a demo <Friday>"), "notes shows its text as a person reads it: \(listed.stdout)")
        }
    }

    @Test("a merge whose answer is cut is checked before it is sent again: the lead gone and the user there means it landed", arguments: apiVersions)
    func mergeCutLanded(version: String) async throws {
        try await withRig(version: version) { rig in
            rig.fake.setRole("user", ofLead: Self.winston)
            _ = try await rig.run(["load \(obrien)"])
            _ = try await rig.run(["load \(obrien)", "merge into \(Self.winston)", "note 'Merged'"], extra: ["--offline"])
            rig.fake.inject(.dropMidResponse)
            let first = try await leadsh(rig.args + ["sync", "--wait", "0"], environment: rig.env)
            #expect(rig.fake.isMerged(leadID: obrien), "\(first.stdout)\(first.stderr)")
            let second = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(second.status == 0, "a 404 on the lead does not fail the merge: \(second.stdout)\(second.stderr)")
            #expect(rig.fake.notes(leadID: Self.winston).filter { $0.body.contains("Merged") }.count == 1, "the note behind it reached the user")
            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            #expect(try JSONText.parse(queue.stdout) == .array([]), "\(queue.stdout)")
        }
    }

    @Test("rows journaled for a lead after its merge was sent (a file prepared before it) follow it to the user, not fail", arguments: apiVersions)
    func rowsAfterTheMergeFollowIt(version: String) async throws {
        try await withRig(version: version) { rig in
            rig.fake.setRole("user", ofLead: Self.winston)
            let merged = try await rig.run(["load \(obrien)", "merge into \(Self.winston)"])
            #expect(merged.status == 0, "\(merged.stdout)\(merged.stderr)")
            #expect(rig.fake.isMerged(leadID: obrien))

            let csv = rig.home.file("prepared.csv")
            try "id,name,custom_attributes.seats,tags\n\(obrien),Merged Name,12,+vip\n".write(toFile: csv, atomically: true, encoding: .utf8)
            let imported = try await rig.run(["import \(csv)"], extra: ["--offline"])
            #expect(imported.status == 0 && imported.stdout.contains("imported 1"), "\(imported.stdout)\(imported.stderr)")
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
            let user = try #require(rig.fake.lead(id: Self.winston))
            #expect(user.name == "Merged Name" && user.customAttributes["seats"] == 12, "the update went to the user")
            #expect(rig.fake.tagNames(leadID: Self.winston).contains("vip"), "the tag went to the user")
            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            #expect(try JSONText.parse(queue.stdout) == .array([]), "nothing failed: \(queue.stdout)")
            let all = try await leadsh(rig.args + ["queue", "--all", "--json"], environment: rig.env)
            let rows = try JSONText.parse(all.stdout).arrayValue ?? []
            let followed = rows.filter { $0["kind"]?.stringValue != "merge" }
            #expect(followed.count == 2 && followed.allSatisfy { $0["state"] == "sent" }, "\(all.stdout)")
            #expect(followed.allSatisfy { $0["lead"]?["id"]?.stringValue == Self.winston }, "the rows now name the user: \(all.stdout)")
        }
    }

    @Test("a 403 on a tag call fails that row and names the permission; the lead's update behind it is still sent", arguments: apiVersions)
    func forbiddenTagFailsItsRowOnly(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            _ = try await rig.run(["load \(obrien)", "tag vip", "push", "attr plan gold", "push"], extra: ["--offline"])
            rig.fake.inject(.status(403, code: "forbidden", message: "Access denied to this resource"))
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 5, "a failed row: exit 5: \(sync.stdout)\(sync.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "gold", "the update went on")
            let queue = try await leadsh(rig.args + ["queue"], environment: rig.env)
            #expect(queue.stdout.contains("failed") && queue.stdout.contains("may not tag contacts"), "\(queue.stdout)")
        }
    }

    @Test("tags on a selection: each lead that lacks the tag gets it, a lead that has it is skipped", arguments: ["2.14"])
    func selectionTags(version: String) async throws {
        try await withRig(version: version) { rig in
            let run = try await rig.run(["load \(Self.julia)", "tag vip", "push", "find name~i", "load found", "tag vip", "push"])
            #expect(run.status == 0, "\(run.stderr)")
            let tagged = rig.fake.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/tags") && $0.path.hasPrefix("/contacts/") }
            #expect(Set(tagged.map(\.path)).count == tagged.count, "no lead tagged twice: \(tagged.map(\.path))")
            #expect(rig.fake.tagNames(leadID: obrien).contains("vip"))
            #expect(rig.fake.tagNames(leadID: Self.julia).contains("vip"))
            #expect(run.stdout.contains("selected"), "Julia is among the leads found: \(run.stdout)")
            #expect(tagged.filter { $0.path == "/contacts/\(Self.julia)/tags" }.count == 1, "Julia, tagged by the first push, is skipped by the selection's")
        }
    }

    @Test("a tag then an untag of the same name, each pushed: the lead ends without it", arguments: apiVersions)
    func tagThenUntag(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            let untag = try await rig.run(["load \(obrien)", "tag vip", "push", "tags", "untag vip", "push", "tags"])
            #expect(untag.status == 0, "\(untag.stderr)")
            #expect(!rig.fake.tagNames(leadID: obrien).contains("vip"), "a tag then an untag: the lead ends without it")
            let lines = untag.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("vip"), "once sent, `tags` still shows the tag: \(untag.stdout)")
            #expect(lines.last == "no tags", "and none once the untag is sent: \(untag.stdout)")
        }
    }
}

extension OutboxKindsTests {
    @Test("an import's tags column: +NAME tags, -NAME untags, a row of tags alone journals no update; a rerun journals nothing", arguments: apiVersions)
    func importTagsColumn(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)", "tag trial", "push", "load \(Self.julia)"])
            let csv = rig.home.file("tags.csv")
            try "id,name,tags\n\(obrien),OBrien2,+vip -trial\n\(Self.julia),,\"+vip, +beta\"\n".write(toFile: csv, atomically: true, encoding: .utf8)
            let imported = try await rig.run(["import \(csv)"])
            #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
            #expect(rig.fake.tagNames(leadID: obrien).sorted() == ["vip"], "trial removed, vip added")
            #expect(rig.fake.lead(id: obrien)?.name == "OBrien2")
            #expect(Set(rig.fake.tagNames(leadID: Self.julia)) == ["vip", "beta"])
            let rerun = try await rig.run(["import \(csv)"])
            #expect(rerun.stdout.contains("imported 0, 2 rows already imported"), "\(rerun.stdout)")

            let bad = rig.home.file("bad.csv")
            try "id,tags\n\(obrien),+\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await rig.run(["import \(bad)"])
            #expect(refused.status != 0 && refused.stderr.contains("write +NAME to tag, -NAME to untag"), "\(refused.stderr)")
        }
    }

    @Test("tags on a selection of 600 leads (1,000 with LEADSH_LONG=1; 2.14: 1.x cannot search): one tags row each, sync tags every lead on the fake")
    func selectionOfAThousandTagged() async throws {
        // 600 crosses a push's batch of 500 and four search pages of 150.
        let count = TestSize.pick(600, long: 1000)
        let leads = try searchLeads(count, plan: "trial")
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let run = try await rig.run(["find plan=trial", "offline", "load found", "tag vip", "diff", "push", "status"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("tags: +vip"), "\(run.stdout)")
            #expect(run.stdout.contains("journaled \(count) updates for \(count) selected leads"), "\(run.stdout)")
            let sync = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
            let untagged = leads.filter { !rig.fake.tagNames(leadID: $0.id).contains("vip") }
            #expect(untagged.isEmpty, "\(untagged.count) leads without the tag")
            // One tag created, then one attach per lead.
            #expect(rig.fake.requests.filter { $0.method == "POST" && $0.path == "/tags" }.count == 1)
        }
    }

    @Test("revert of a tags row queues the opposite change; a note and a merge cannot be reverted, and say why")
    func revertKinds() async throws {
        try await withRig(version: "2.14") { rig in
            rig.fake.setRole("user", ofLead: Self.winston)
            let run = try await rig.run(["load \(obrien)", "tag vip", "push", "revert 1"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!rig.fake.tagNames(leadID: obrien).contains("vip"), "the revert untagged it")
            let note = try await rig.run(["load \(obrien)", "note 'Hello'", "revert 3"])
            #expect(note.stderr.contains("a note cannot be taken back"), "\(note.stderr)")
            let merge = try await rig.run(["load \(obrien)", "merge into \(Self.winston)", "revert 4"])
            #expect(rig.fake.isMerged(leadID: obrien), "\(merge.stdout)\(merge.stderr)")
            #expect(merge.stderr.contains("a merge cannot be undone"), "\(merge.stderr)")
        }
    }
}

extension OutboxKindsTests {
    @Test("show and tags reflect unsent tags; a merge into a contact that is not a user fails its row with Intercom's reason", arguments: apiVersions)
    func showsPendingTagsAndRefusedMerge(version: String) async throws {
        try await withRig(version: version) { rig in
            _ = try await rig.run(["load \(obrien)"])
            let offline = try await rig.run(["load \(obrien)", "tag vip", "push", "show", "tags"], extra: ["--offline"])
            #expect(offline.status == 0, "\(offline.stderr)")
            let tagsLines = offline.stdout.split(separator: "\n").filter { $0.hasPrefix("tags") }
            #expect(tagsLines.contains { $0.contains("vip") }, "show lists the unsent tag: \(offline.stdout)")
            _ = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(rig.fake.tagNames(leadID: obrien).contains("vip"))

            guard version == "2.14" else { return }
            // Julia is a lead, not a user: Intercom refuses, the row fails with its words.
            let refused = try await rig.run(["load \(obrien)", "merge into \(Self.julia)"])
            #expect(refused.status != 0, "\(refused.stdout)")
            #expect(!rig.fake.isMerged(leadID: obrien))
            let queue = try await leadsh(rig.args + ["queue", "--json"], environment: rig.env)
            let rows = try JSONText.parse(queue.stdout).arrayValue ?? []
            #expect(rows.first?["kind"] == "merge" && rows.first?["state"] == "failed", "\(queue.stdout)")
            #expect(rows.first?["last_status"] == 400, "\(queue.stdout)")
        }
    }
}
