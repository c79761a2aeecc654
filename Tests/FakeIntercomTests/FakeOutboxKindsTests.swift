import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

/// A fake workspace driven in memory, on a clock that moves only when told.
private struct OutboxBench {
    let workspace: FakeWorkspace
    let clock: ManualClock

    init() {
        let clock = ManualClock(now: 1_800_000_000)
        var configuration = FakeIntercomConfiguration()
        configuration.clock = clock
        workspace = FakeWorkspace(configuration: configuration)
        self.clock = clock
    }

    struct Answer {
        var status: Int
        var json: JSONValue
        var headers: [(String, String)]

        var code: String? { json["errors"]?.arrayValue?.first?["code"]?.stringValue }
        var message: String? { json["errors"]?.arrayValue?.first?["message"]?.stringValue }
        var field: String? { json["errors"]?.arrayValue?.first?["field"]?.stringValue }

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Sends a request on `version` (2.14 by default) as a client would; the answer's body must be JSON.
    func send(
        _ method: String, _ path: String, json: String? = nil, version: String = "2.14",
        token: String = "test-token"
    ) throws -> Answer {
        var pathOnly = path
        var query: String?
        if let mark = path.firstIndex(of: "?") {
            pathOnly = String(path[..<mark])
            query = String(path[path.index(after: mark)...])
        }
        let request = RecordedRequest(
            method: method, path: pathOnly, rawQuery: query,
            headers: [
                ("Authorization", "Bearer \(token)"), ("Intercom-Version", version),
                ("Content-Type", "application/json"), ("Accept", "application/json"),
            ],
            body: Array((json ?? "").utf8))
        let answer = workspace.respond(to: request)
        return Answer(status: answer.status, json: try JSONText.parse(Array(answer.body.utf8)), headers: answer.headers)
    }

    /// Creates a contact with role `user` through 2.14's `POST /contacts`; answers its id.
    func makeUser(_ body: String) throws -> String {
        let created = try send("POST", "/contacts", json: body)
        #expect(created.status == 200, "\(JSONText.serialize(created.json))")
        #expect(created.json["role"] == "user")
        return try #require(created.json["id"]?.stringValue)
    }
}

private let obrien = "5811f6bbe6b4704ddfa84ac0"
private let julia = "5811f7c1e6b4704ddfa84ad2"
private let juliaUserID = "3c1b8d2e-5f7a-4e6b-9a0d-1f2e3d4c5b6a"
private let winston = "5811f80ae6b4704ddfa84ae7"
private let syme = "5811f8d3e6b4704ddfa84af1"

@Suite("The fake's tags, notes and merges in both dialects")
struct FakeOutboxKindsTests {
    // MARK: Tags

    @Test("POST /tags creates a tag, then finds it whatever the case of its name", arguments: ["2.14", "1.4"])
    func createOrFindATag(version: String) throws {
        let bench = OutboxBench()
        let created = try bench.send("POST", "/tags", json: #"{"name":"VIP"}"#, version: version)
        #expect(created.status == 200)
        #expect(created.json == ["type": "tag", "id": "17513", "name": "VIP"])

        let found = try bench.send("POST", "/tags", json: #"{"name":"vip"}"#, version: version)
        #expect(found.status == 200)
        #expect(found.json == created.json, "names compare without regard to case; the first spelling stays")
        #expect(bench.workspace.tags.map(\.name) == ["VIP"])

        let listed = try bench.send("GET", "/tags", version: version)
        let items = version == "1.4" ? listed.json["tags"] : listed.json["data"]
        #expect(items?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["VIP"])

        let nameless = try bench.send("POST", "/tags", json: #"{"test":"invalid"}"#, version: version)
        #expect(nameless.status == 400)
        #expect(nameless.code == "parameter_invalid")
        #expect(nameless.message == "invalid tag parameters")
    }

    @Test("2.x attach and detach answer the tag, are idempotent, and show in 2.x and 1.x reads")
    func attachAndDetach() throws {
        let bench = OutboxBench()
        let vip = bench.workspace.addTag(named: "VIP")

        let attached = try bench.send("POST", "/contacts/\(obrien)/tags", json: #"{"id":"\#(vip.id)"}"#)
        #expect(attached.status == 200)
        #expect(attached.json["type"] == "tag")
        #expect(attached.json["id"] == .string(vip.id))
        #expect(attached.json["name"] == "VIP")
        #expect(attached.json["applied_at"] == 1_800_000_000)
        #expect(attached.json["applied_by"] == ["type": "admin", "id": "991267"])

        let again = try bench.send("POST", "/contacts/\(obrien)/tags", json: #"{"id":\#(vip.id)}"#)
        #expect(again.status == 200, "attaching twice is fine, and a numeric id is read as Intercom's examples send it")
        #expect(bench.workspace.tagNames(leadID: obrien) == ["VIP"], "still one tag")

        let contact = try bench.send("GET", "/contacts/\(obrien)")
        #expect(contact.json["tags"]?["data"] == [["type": "tag", "id": .string(vip.id), "url": .string("/tags/\(vip.id)")]])
        #expect(contact.json["tags"]?["total_count"] == 1)
        let lead = try bench.send("GET", "/contacts/\(obrien)", version: "1.4")
        #expect(lead.json["tags"] == ["type": "tag.list", "tags": [["type": "tag", "id": .string(vip.id), "name": "VIP"]]])
        let listed = try bench.send("GET", "/contacts/\(obrien)/tags")
        #expect(listed.json == ["type": "list", "data": [["type": "tag", "id": .string(vip.id), "name": "VIP"]]])

        let detached = try bench.send("DELETE", "/contacts/\(obrien)/tags/\(vip.id)")
        #expect(detached.status == 200)
        #expect(detached.json["id"] == .string(vip.id))
        #expect(detached.json["name"] == "VIP")
        #expect(bench.workspace.tagNames(leadID: obrien) == [])
        #expect(try bench.send("GET", "/contacts/\(obrien)").json["tags"]?["total_count"] == 0)

        let detachedAgain = try bench.send("DELETE", "/contacts/\(obrien)/tags/\(vip.id)")
        #expect(detachedAgain.status == 200, "detaching a tag the contact does not carry still answers the tag")
        #expect(detachedAgain.json["id"] == .string(vip.id))
        #expect(bench.workspace.tags == [vip], "the tag itself stays in the workspace")
    }

    @Test("2.x tagging refuses an unknown tag or contact with the 2.14 description's 404s")
    func attachRefusals() throws {
        let bench = OutboxBench()
        let vip = bench.workspace.addTag(named: "VIP")

        let unknownTag = try bench.send("POST", "/contacts/\(obrien)/tags", json: #"{"id":"123"}"#)
        #expect(unknownTag.status == 404)
        #expect(unknownTag.code == "not_found")
        #expect(unknownTag.message == "Resource Not Found")
        let unknownContact = try bench.send("POST", "/contacts/nobody/tags", json: #"{"id":"\#(vip.id)"}"#)
        #expect(unknownContact.status == 404)
        #expect(unknownContact.code == "not_found")
        #expect(unknownContact.message == "User Not Found")
        let detachUnknown = try bench.send("DELETE", "/contacts/\(obrien)/tags/123")
        #expect(detachUnknown.status == 404)
        #expect(detachUnknown.message == "Resource Not Found")
        let noID = try bench.send("POST", "/contacts/\(obrien)/tags", json: "{}")
        #expect(noID.status == 400)
        #expect(noID.code == "parameter_not_found")
        #expect(bench.workspace.tagNames(leadID: obrien) == [])

        let byUserID = try bench.send(
            "POST", "/tags", json: #"{"name":"VIP","users":[{"user_id":"\#(obrienUserID)"}]}"#)
        #expect(byUserID.status == 400, "2.x names users by id only (tag_multiple_users_request)")
        let byID = try bench.send("POST", "/tags", json: #"{"name":"VIP","users":[{"id":"\#(obrien)"}]}"#)
        #expect(byID.status == 200)
        #expect(bench.workspace.tagNames(leadID: obrien) == ["VIP"])
    }

    @Test("1.x POST /tags tags leads by id, user_id and email, creating the tag, and untags them")
    func v1TagAndUntag() throws {
        let bench = OutboxBench()
        let body = #"""
            {"name":"Churn risk","users":[{"id":"\#(obrien)"},{"user_id":"\#(juliaUserID)"},
             {"email":"WINSTON@records.example"}]}
            """#
        let tagged = try bench.send("POST", "/tags", json: body, version: "1.4")
        #expect(tagged.status == 200)
        #expect(tagged.json == ["type": "tag", "id": "17513", "name": "Churn risk"])
        for lead in [obrien, julia, winston] {
            #expect(bench.workspace.tagNames(leadID: lead) == ["Churn risk"], "\(lead)")
        }
        #expect(bench.workspace.tagNames(leadID: syme) == [])

        let retag = try bench.send("POST", "/tags", json: body, version: "1.4")
        #expect(retag.status == 200)
        #expect(bench.workspace.tagNames(leadID: obrien) == ["Churn risk"], "tagging twice keeps one tag")

        let untagged = try bench.send(
            "POST", "/tags", json: #"{"name":"churn RISK","users":[{"id":"\#(obrien)","untag":true}]}"#, version: "1.4")
        #expect(untagged.status == 200)
        #expect(untagged.json["id"] == "17513")
        #expect(bench.workspace.tagNames(leadID: obrien) == [])
        #expect(bench.workspace.tagNames(leadID: julia) == ["Churn risk"], "only the listed lead is untagged")
        let untagAgain = try bench.send(
            "POST", "/tags", json: #"{"name":"Churn risk","users":[{"id":"\#(obrien)","untag":true}]}"#, version: "1.4")
        #expect(untagAgain.status == 200, "untagging is idempotent")
        #expect(try bench.send("GET", "/contacts/\(obrien)", version: "1.4").json["tags"]?["tags"] == [])

        let unknown = try bench.send(
            "POST", "/tags", json: #"{"name":"VIP","users":[{"id":"\#(syme)"},{"id":"nobody"}]}"#, version: "1.4")
        #expect(unknown.status == 404)
        #expect(unknown.code == "not_found")
        #expect(unknown.message == "User Not Found")
        #expect(bench.workspace.tagNames(leadID: syme) == [], "one unknown lead tags no one")
    }

    // MARK: Notes

    @Test("2.x notes: the body stored as HTML, escaped, by the /me admin; listed newest first")
    func notesV2() throws {
        let bench = OutboxBench()
        let me = try bench.send("GET", "/me")
        let adminID = try #require(me.json["id"]?.stringValue)

        let first = try bench.send(
            "POST", "/contacts/\(obrien)/notes", json: #"{"body":"Called: Q3 & <renewal> agreed","contact_id":"\#(obrien)"}"#)
        #expect(first.status == 200)
        #expect(first.json["type"] == "note")
        #expect(first.json["body"] == "<p>Called: Q3 &amp; &lt;renewal&gt; agreed</p>")
        #expect(first.json["created_at"] == 1_800_000_000)
        #expect(first.json["contact"] == ["type": "contact", "id": .string(obrien)])
        #expect(first.json["author"]?["type"] == "admin")
        #expect(first.json["author"]?["id"] == .string(adminID), "no admin_id: the token's admin writes it")
        let firstID = try #require(first.json["id"]?.stringValue)
        #expect(Int(firstID) != nil, "note ids are digits")

        bench.clock.advance(by: 60)
        let second = try bench.send(
            "POST", "/contacts/\(obrien)/notes", json: #"{"body":"<p>Already <b>HTML</b></p>","admin_id":\#(adminID)}"#)
        #expect(second.status == 200, "admin_id may be a number, as the description's example sends it")
        #expect(second.json["body"] == "<p>Already <b>HTML</b></p>")
        #expect(second.json["created_at"] == 1_800_000_060)
        let secondID = try #require(second.json["id"]?.stringValue)
        #expect(secondID != firstID)

        let listed = try bench.send("GET", "/contacts/\(obrien)/notes")
        #expect(listed.status == 200)
        #expect(listed.json["type"] == "list")
        #expect(listed.json["total_count"] == 2)
        #expect(listed.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [secondID, firstID])
        #expect(listed.json["pages"]?["type"] == "pages")
        let contact = try bench.send("GET", "/contacts/\(obrien)")
        #expect(contact.json["notes"]?["total_count"] == 2)
        #expect(contact.json["notes"]?["data"]?.arrayValue?.first?["id"] == .string(secondID))

        let stored = bench.workspace.notes(leadID: obrien)
        #expect(stored.map(\.id) == [firstID, secondID], "the inspection API lists oldest first")
        #expect(stored.first?.body == "<p>Called: Q3 &amp; &lt;renewal&gt; agreed</p>")
        #expect(stored.first?.authorID == adminID)
        #expect(stored.first?.createdAt == 1_800_000_000)
        #expect(bench.workspace.notes(leadID: julia) == [])
    }

    @Test("2.x notes: body required, admin_id optional but known, contact known")
    func noteRefusals() throws {
        let bench = OutboxBench()
        let noBody = try bench.send("POST", "/contacts/\(obrien)/notes", json: #"{"admin_id":"991267"}"#)
        #expect(noBody.status == 400)
        #expect(noBody.code == "parameter_not_found")
        #expect(noBody.field == "body")
        let unknownAdmin = try bench.send("POST", "/contacts/\(obrien)/notes", json: #"{"body":"Hi","admin_id":123}"#)
        #expect(unknownAdmin.status == 404)
        #expect(unknownAdmin.message == "Resource Not Found")
        let unknownContact = try bench.send("POST", "/contacts/nobody/notes", json: #"{"body":"Hi"}"#)
        #expect(unknownContact.status == 404)
        #expect(unknownContact.message == "User Not Found")
        let listUnknown = try bench.send("GET", "/contacts/nobody/notes")
        #expect(listUnknown.status == 404)
        #expect(bench.workspace.notes(leadID: obrien) == [])

        let twice = [
            try bench.send("POST", "/contacts/\(obrien)/notes", json: #"{"body":"Hi"}"#),
            try bench.send("POST", "/contacts/\(obrien)/notes", json: #"{"body":"Hi"}"#),
        ]
        #expect(twice.map(\.status) == [200, 200])
        #expect(bench.workspace.notes(leadID: obrien).count == 2, "a note is not idempotent: twice makes two")
    }

    @Test("1.x notes: POST /notes names the lead by id, user_id or email; GET /notes lists a note.list")
    func notesV1() throws {
        let bench = OutboxBench()
        let seeded = try #require(bench.workspace.addNote(leadID: obrien, body: "Met at the Ministry"))
        #expect(seeded.body == "<p>Met at the Ministry</p>")
        #expect(bench.workspace.addNote(leadID: "nobody", body: "x") == nil)
        bench.clock.advance(by: 10)

        let created = try bench.send(
            "POST", "/notes", json: #"{"admin_id":"991267","body":"Wants <b>bold</b>","user":{"user_id":"\#(obrienUserID)"}}"#,
            version: "1.4")
        #expect(created.status == 200)
        #expect(created.json["type"] == "note")
        #expect(created.json["body"] == "<p>Wants &lt;b&gt;bold&lt;/b&gt;</p>")
        #expect(created.json["created_at"] == 1_800_000_010)
        #expect(created.json["user"] == ["type": "user", "id": .string(obrien)])
        #expect(created.json["author"]?["id"] == "991267")
        #expect(created.json["contact"] == nil, "1.x names the lead as user")

        let byEmail = try bench.send(
            "POST", "/notes", json: #"{"body":"Second","user":{"email":"obrien@truth.org"}}"#, version: "1.4")
        #expect(byEmail.status == 200)
        #expect(byEmail.json["user"]?["id"] == .string(obrien))

        for query in ["intercom_user_id=\(obrien)", "id=\(obrien)", "user_id=\(obrienUserID)", "email=obrien%40truth.org"] {
            let listed = try bench.send("GET", "/notes?\(query)", version: "1.4")
            #expect(listed.status == 200, "\(query)")
            #expect(listed.json["type"] == "note.list")
            #expect(
                listed.json["notes"]?.arrayValue?.compactMap { $0["body"]?.stringValue }
                    == ["<p>Met at the Ministry</p>", "<p>Wants &lt;b&gt;bold&lt;/b&gt;</p>", "<p>Second</p>"],
                "\(query): oldest first, as the 1.x reference's example")
        }
        let unknown = try bench.send(
            "POST", "/notes", json: #"{"body":"x","user":{"id":"nobody"}}"#, version: "1.4")
        #expect(unknown.status == 404)
        #expect(unknown.message == "User Not Found")
        let noUser = try bench.send("POST", "/notes", json: #"{"body":"x"}"#, version: "1.4")
        #expect(noUser.status == 400)
        #expect(noUser.code == "parameter_not_found")
        #expect(bench.workspace.notes(leadID: obrien).count == 3)
    }

    // MARK: Merge

    @Test(
        "2.x merge: the user keeps its values and gains the lead's; the lead then answers 404, or 410 from 2.16",
        arguments: ["2.14", "2.16"])
    func mergeLeadIntoUser(version: String) throws {
        let bench = OutboxBench()
        // Same phone as O'Brien, so 2.16 sees a duplicate.
        let user = try bench.makeUser(
            #"{"email":"obrien@inner.party","phone":"00353875551234","name":"O'Brien","custom_attributes":{"team_mates":2}}"#)
        #expect(bench.workspace.tag(leadID: obrien, with: "VIP") != nil)
        let note = try #require(bench.workspace.addNote(leadID: obrien, body: "Lead note"))
        bench.clock.advance(by: 5)

        let merged = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(obrien)","into":"\#(user)"}"#, version: version)
        #expect(merged.status == 200, "\(JSONText.serialize(merged.json))")
        #expect(merged.json["type"] == "contact")
        #expect(merged.json["id"] == .string(user))
        #expect(merged.json["role"] == "user")
        #expect(merged.json["email"] == "obrien@inner.party", "the user keeps its own values")
        #expect(merged.json["name"] == "O'Brien")
        #expect(merged.json["custom_attributes"]?["team_mates"] == 2, "the user's own value wins")
        #expect(merged.json["custom_attributes"]?["monthly_spend"] == 155.5, "what the user lacked comes from the lead")
        #expect(merged.json["custom_attributes"]?["paid_subscriber"] == true)
        #expect(merged.json["tags"]?["total_count"] == 1)
        #expect(merged.json["notes"]?["total_count"] == 1)
        #expect(merged.json["updated_at"] == 1_800_000_005)
        #expect(bench.workspace.tagNames(leadID: user) == ["VIP"])
        #expect(bench.workspace.notes(leadID: user).map(\.id) == [note.id])
        #expect(bench.workspace.mergedInto(leadID: obrien) == user)
        #expect(bench.workspace.isMerged(leadID: obrien))
        #expect(!bench.workspace.isMerged(leadID: user))
        #expect(bench.workspace.lead(id: obrien) == nil)

        let gone = try bench.send("GET", "/contacts/\(obrien)", version: version)
        if version == "2.16" {
            #expect(gone.status == 410)
            #expect(gone.code == "contact_merged")
            #expect(gone.header("Link") == #"</contacts/\#(user)>; rel="canonical""#)
        } else {
            #expect(gone.status == 404)
            #expect(gone.code == "not_found")
        }
        let notesGone = try bench.send("GET", "/contacts/\(obrien)/notes", version: version)
        #expect(notesGone.status == 404, "the merged lead's other routes answer 404 in every version")
        let again = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(obrien)","into":"\#(user)"}"#, version: version)
        #expect(again.status == 404, "a merge is not repeatable: the lead is gone")
        let search = try bench.send(
            "POST", "/contacts/search", json: #"{"query":{"field":"id","operator":"=","value":"\#(obrien)"}}"#, version: version)
        #expect(search.json["total_count"] == 0, "merged contacts never show in search")
    }

    @Test("2.x merge refuses a missing lead, a target that is a lead, and (2.16) contacts that are not duplicates")
    func mergeRefusals() throws {
        let bench = OutboxBench()
        let user = try bench.makeUser(#"{"email":"winston@minitrue.example"}"#)

        let intoLead = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(obrien)","into":"\#(julia)"}"#)
        #expect(intoLead.status == 400)
        #expect(intoLead.code == "parameter_invalid")
        #expect(intoLead.field == "into")
        #expect(intoLead.message?.contains("user") == true)
        let fromUser = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(user)","into":"\#(user)"}"#)
        #expect(fromUser.status == 400)
        let missingLead = try bench.send("POST", "/contacts/merge", json: #"{"from":"nobody","into":"\#(user)"}"#)
        #expect(missingLead.status == 404)
        #expect(missingLead.code == "not_found")
        let missingUser = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(obrien)","into":"nobody"}"#)
        #expect(missingUser.status == 404)
        let noInto = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(obrien)"}"#)
        #expect(noInto.status == 400)
        #expect(noInto.code == "parameter_not_found")
        #expect(noInto.field == "into")

        let notDuplicates = try bench.send(
            "POST", "/contacts/merge", json: #"{"from":"\#(winston)","into":"\#(user)"}"#, version: "2.16")
        #expect(notDuplicates.status == 400)
        #expect(notDuplicates.code == "invalid_merge")
        #expect(bench.workspace.lead(id: winston) != nil, "refused merges change nothing")
        #expect(!bench.workspace.isMerged(leadID: obrien))

        let skipped = try bench.send(
            "POST", "/contacts/merge", json: #"{"from":"\#(winston)","into":"\#(user)","skip_duplicate_validation":true}"#,
            version: "2.16")
        #expect(skipped.status == 200)
        let v1 = try bench.send("POST", "/contacts/merge", json: #"{"from":"\#(obrien)","into":"\#(user)"}"#, version: "1.4")
        #expect(v1.status == 404, "1.x has no merge route")
    }

    @Test("1.x convert merges a lead into an existing user, or makes the lead a user")
    func v1Convert() throws {
        let bench = OutboxBench()
        let user = try bench.makeUser(#"{"email":"big.brother@minitrue.example","external_id":"bb-1"}"#)
        bench.clock.advance(by: 1)

        let merged = try bench.send(
            "POST", "/contacts/convert", json: #"{"contact":{"user_id":"\#(obrienUserID)"},"user":{"user_id":"bb-1"}}"#,
            version: "1.4")
        #expect(merged.status == 200, "\(JSONText.serialize(merged.json))")
        #expect(merged.json["type"] == "user")
        #expect(merged.json["id"] == .string(user))
        #expect(merged.json["email"] == "big.brother@minitrue.example", "lead identifiers never move onto the user")
        #expect(merged.json["user_id"] == "bb-1")
        #expect(merged.json["custom_attributes"]?["team_mates"] == 9)
        #expect(bench.workspace.mergedInto(leadID: obrien) == user)
        #expect(try bench.send("GET", "/contacts/\(obrien)", version: "1.4").status == 404)

        let converted = try bench.send(
            "POST", "/contacts/convert", json: #"{"contact":{"id":"\#(julia)"},"user":{"user_id":"julia-42"}}"#,
            version: "1.4")
        #expect(converted.status == 200)
        #expect(converted.json["type"] == "user")
        #expect(converted.json["id"] == .string(julia), "no user: the lead itself becomes the user")
        #expect(converted.json["user_id"] == "julia-42")
        #expect(converted.json["email"] == "julia@ministry.example", "a lead's email is kept")
        #expect(bench.workspace.role(ofLead: julia) == "user")
        #expect(!bench.workspace.isMerged(leadID: julia))
        let asContact = try bench.send("GET", "/contacts/\(julia)")
        #expect(asContact.json["role"] == "user")
        #expect(asContact.json["external_id"] == "julia-42")

        let unknownLead = try bench.send(
            "POST", "/contacts/convert", json: #"{"contact":{"id":"nobody"},"user":{"user_id":"x"}}"#, version: "1.4")
        #expect(unknownLead.status == 404)
        #expect(unknownLead.code == "not_found")
        let unknownUserID = try bench.send(
            "POST", "/contacts/convert", json: #"{"contact":{"id":"\#(winston)"},"user":{"id":"nobody"}}"#, version: "1.4")
        #expect(unknownUserID.status == 404, "a new user cannot be given an Intercom id")
        #expect(bench.workspace.role(ofLead: winston) == "lead")
        let onV2 = try bench.send(
            "POST", "/contacts/convert", json: #"{"contact":{"id":"\#(winston)"},"user":{"user_id":"w"}}"#)
        #expect(onV2.status == 404, "2.x has no convert route")
    }

    // MARK: Faults and authentication

    /// A new route, with a body for it.
    struct Route: Sendable, CustomTestStringConvertible {
        var method: String
        var path: String
        var body: String?
        var version: String
        var testDescription: String { "\(method) \(path) on \(version)" }
    }

    static let routes: [Route] = [
        Route(method: "POST", path: "/tags", body: #"{"name":"VIP"}"#, version: "2.14"),
        Route(method: "POST", path: "/contacts/\(obrien)/tags", body: #"{"id":"17513"}"#, version: "2.14"),
        Route(method: "DELETE", path: "/contacts/\(obrien)/tags/17513", body: nil, version: "2.14"),
        Route(method: "POST", path: "/contacts/\(obrien)/notes", body: #"{"body":"Hi"}"#, version: "2.14"),
        Route(method: "GET", path: "/contacts/\(obrien)/notes", body: nil, version: "2.14"),
        Route(method: "POST", path: "/contacts/merge", body: #"{"from":"\#(obrien)","into":"\#(julia)"}"#, version: "2.14"),
        Route(method: "POST", path: "/tags", body: #"{"name":"VIP","users":[{"id":"\#(obrien)"}]}"#, version: "1.4"),
        Route(method: "POST", path: "/notes", body: #"{"body":"Hi","user":{"id":"\#(obrien)"}}"#, version: "1.4"),
        Route(method: "GET", path: "/notes?intercom_user_id=\(obrien)", body: nil, version: "1.4"),
        Route(method: "POST", path: "/contacts/convert", body: #"{"contact":{"id":"\#(obrien)"},"user":{"user_id":"x"}}"#, version: "1.4"),
    ]

    @Test("an injected 429 and 500 answer on every new route, and the call is not carried out", arguments: routes)
    func faults(route: Route) throws {
        let bench = OutboxBench()
        let vip = bench.workspace.addTag(named: "VIP")
        #expect(vip.id == "17513")
        bench.workspace.inject(.rateLimited(retryAfter: 3, withHeaders: true))
        bench.workspace.inject(.serverError)

        let limited = try bench.send(route.method, route.path, json: route.body, version: route.version)
        #expect(limited.status == 429)
        #expect(limited.code == "rate_limit_exceeded")
        #expect(limited.header("Retry-After") == "3")
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        let failed = try bench.send(route.method, route.path, json: route.body, version: route.version)
        #expect(failed.status == 500)
        #expect(failed.code == "server_error")

        #expect(bench.workspace.pendingFaults.isEmpty, "each request drew one fault")
        #expect(bench.workspace.requests.count == 2, "faulted requests are recorded")
        #expect(bench.workspace.tagNames(leadID: obrien) == [])
        #expect(bench.workspace.notes(leadID: obrien) == [])
        #expect(bench.workspace.lead(id: obrien) != nil)
        #expect(bench.workspace.role(ofLead: obrien) == "lead")
    }

    @Test("a wrong token answers 401 on the new routes and changes nothing", arguments: ["2.14", "1.4"])
    func wrongToken(version: String) throws {
        let bench = OutboxBench()
        let (path, body) =
            version == "1.4"
            ? ("/notes", #"{"body":"Hi","user":{"id":"\#(obrien)"}}"#)
            : ("/contacts/\(obrien)/notes", #"{"body":"Hi"}"#)
        let refused = try bench.send("POST", path, json: body, version: version, token: "wrong-token")
        #expect(refused.status == 401)
        #expect(refused.code == "unauthorized")
        #expect(refused.message == "Access Token Invalid")
        let tag = try bench.send("POST", "/tags", json: #"{"name":"VIP"}"#, version: version, token: "wrong-token")
        #expect(tag.status == 401)
        #expect(bench.workspace.notes(leadID: obrien) == [])
        #expect(bench.workspace.tags == [])
    }
}
