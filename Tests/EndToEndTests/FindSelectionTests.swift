import FakeIntercom
import Foundation
import LeadModel
import LeadshApp
import TestSupport
import Testing

// Issue 24 end to end: find with every operator (2.14 search, and offline against the cache),
// paging, the failure policy of a search's requests, the selection (`load found`) edited,
// pushed, synced and reverted, 1.4's limits. The whole app in process against the fake.

/// Lead `n` of ``searchLeads(_:)``: plan gold/silver/trial by `n % 3`, `seats` = n, an acme.com
/// email for every third, signed up at noon UTC every 10 days from 2026-01-01.
func searchLead(_ n: Int, plan: String? = nil) throws -> Contact {
    var fields = FakeIntercom.sampleLeads[0].fields
    fields["id"] = .string(String(format: "7000%020x", n))
    fields["user_id"] = .string("search-\(n)")
    fields["name"] = .string("Lead \(n)")
    fields["email"] = .string(n % 3 == 0 ? "lead\(n)@acme.com" : "lead\(n)@example.org")
    fields["signed_up_at"] = .integer(searchEpoch + Int64(n) * 864_000)
    fields["custom_attributes"] = ["plan": .string(plan ?? ["gold", "silver", "trial"][n % 3]), "seats": .integer(Int64(n))]
    return try Contact(fields: fields)
}

/// 2026-01-01T12:00:00Z.
let searchEpoch: Int64 = 1_767_268_800

func searchLeads(_ count: Int, plan: String? = nil) throws -> [Contact] { try (0..<count).map { try searchLead($0, plan: plan) } }

/// The fake with `leads` and the custom attribute `plan` (`seats` is one of the suites').
func searchConfiguration(_ leads: [Contact]) -> FakeIntercomConfiguration {
    var configuration = FakeIntercomConfiguration()
    configuration.leads = leads
    configuration.dataAttributes.append(DataAttribute(name: "plan", dataType: "string"))
    return configuration
}

extension Rig {
    /// The ids a `find … --json` listed.
    func foundIDs(_ condition: String, extra: [String] = []) async throws -> (ids: Set<String>, result: ProcessResult) {
        let result = try await run(["find " + condition], extra: ["--json"] + extra)
        let rows = try JSONText.parse(result.stdout).arrayValue ?? []
        return (Set(rows.compactMap { $0["id"]?.stringValue }), result)
    }

    var searches: [RecordedRequest] { fake.requests.filter { $0.method == "POST" && $0.path == "/contacts/search" } }
}

@Suite("Issue 24: find any lead, edit many at once (the whole app, real fake, real journals)")
struct FindSelectionTests {
    static let leadCount = 24

    /// Each condition, and which leads `n` it must find (worked out here, not by leadsh's code).
    static let conditions: [(String, @Sendable (Int) -> Bool)] = [
        ("plan=gold", { $0 % 3 == 0 }),
        ("plan!=gold", { $0 % 3 != 0 }),
        ("plan=gold,silver", { $0 % 3 != 2 }),
        ("plan!=gold,silver", { $0 % 3 == 2 }),
        ("seats<5", { $0 < 5 }),
        ("seats>5", { $0 > 5 }),
        ("seats<=5", { $0 <= 5 }),
        ("seats>=20", { $0 >= 20 }),
        ("'name~ad 1'", { $0 == 1 || (10...19).contains($0) }),
        ("'name!~ad 1'", { !($0 == 1 || (10...19).contains($0)) }),
        ("'name^Lead 2'", { $0 == 2 || (20...29).contains($0) }),
        ("'email$@acme.com'", { $0 % 3 == 0 }),
        // 2026-03-07: lead 6 signed up on 03-02, lead 7 on 03-12; whole days or seconds agree.
        ("signed_up_at<2026-03-07", { $0 <= 6 }),
        ("signed_up_at>2026-03-07", { $0 >= 7 }),
        ("signed_up_at>=2026-03-07 plan=trial", { $0 >= 7 && $0 % 3 == 2 }),
    ]

    @Test("every operator finds the leads it says, online (2.14 search) and offline (the cache, and it says so)", arguments: conditions)
    func everyOperator(condition: String, expected: @Sendable (Int) -> Bool) async throws {
        let leads = try searchLeads(Self.leadCount)
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let wanted = Set((0..<Self.leadCount).filter(expected).map { leads[$0].id })
            let (online, result) = try await rig.foundIDs(condition)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(online == wanted, "online \(condition): \(online.symmetricDifference(wanted))")
            let body = try #require(rig.searches.last?.bodyJSON)
            #expect(JSONText.serialize(body["query"] ?? .null).contains(#"{"field":"role","operator":"=","value":"lead"}"#), "leads by default")

            // Offline the cache (every lead, cached by a search that found them all) is matched here.
            _ = try await rig.run(["find seats>=0"])
            let (offline, cached) = try await rig.foundIDs(condition, extra: ["--offline"])
            #expect(cached.status == 0, "\(cached.stderr)")
            #expect(offline == wanted, "offline \(condition): \(offline.symmetricDifference(wanted))")
            let text = try await rig.run(["find " + condition], extra: ["--offline"])
            #expect(text.stderr.contains("offline: searched the cached leads, not Intercom"), "\(text.stderr)")
        }
    }

    @Test("the table shows id, external id, name, email and each field the conditions name; tag= looks the tag up")
    func tableAndTags() async throws {
        let leads = try searchLeads(Self.leadCount)
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            for n in stride(from: 0, to: Self.leadCount, by: 4) { _ = rig.fake.tag(leadID: leads[n].id, with: "vip") }
            let table = try await rig.run(["find plan=gold seats>=18"])
            #expect(table.status == 0, "\(table.stderr)")
            let header = table.stdout.split(separator: "\n").first.map(String.init) ?? ""
            for column in ["ID", "EXTERNAL_ID", "NAME", "EMAIL", "CUSTOM_ATTRIBUTES.PLAN", "CUSTOM_ATTRIBUTES.SEATS"] {
                #expect(header.contains(column), "\(table.stdout)")
            }
            #expect(table.stdout.contains("Lead 18") && table.stdout.contains("Lead 21") && !table.stdout.contains("Lead 15"), "\(table.stdout)")
            #expect(table.stdout.contains("2 leads"), "\(table.stdout)")

            let (tagged, result) = try await rig.foundIDs("tag=vip")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(tagged == Set(stride(from: 0, to: Self.leadCount, by: 4).map { leads[$0].id }))
            #expect(rig.fake.requests.contains { $0.method == "GET" && $0.path == "/tags" })
            let (untagged, _) = try await rig.foundIDs("tag!=vip plan=gold")
            #expect(untagged == Set((0..<Self.leadCount).filter { $0 % 4 != 0 && $0 % 3 == 0 }.map { leads[$0].id }))
            let unknown = try await rig.run(["find tag=nosuch"])
            #expect(unknown.status == 1 && unknown.stderr.contains("the workspace has no tag named \"nosuch\""), "\(unknown.stderr)")
            let offline = try await rig.run(["find tag=vip"], extra: ["--offline"])
            #expect(offline.status == 1 && offline.stderr.contains("tag= cannot be matched in the cache"), "\(offline.stderr)")
        }
    }

    @Test("find follows pages.next.starting_after to the last page, 150 a page; --limit stops early")
    func paging() async throws {
        let leads = try searchLeads(400, plan: "trial")
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let (all, result) = try await rig.foundIDs("plan=trial")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(all == Set(leads.map(\.id)))
            let pages = rig.searches
            #expect(pages.count == 3, "400 leads in pages of 150")
            #expect(pages.map { $0.bodyJSON?["pagination"]?["per_page"] } == [150, 150, 150])
            #expect(pages[0].bodyJSON?["pagination"]?["starting_after"] == nil)
            #expect(pages[1].bodyJSON?["pagination"]?["starting_after"]?.stringValue == leads[149].id, "the cursor Intercom gave")
            #expect(pages[2].bodyJSON?["pagination"]?["starting_after"]?.stringValue == leads[299].id)
            let cachedCount = try sqlite(rig.journal, "SELECT count(*) FROM leads", as: Int.self)
            #expect(cachedCount == 400, "every lead found is cached")

            rig.fake.clearRequests()
            let (limited, text) = try await rig.foundIDs("plan=trial --limit 200")
            #expect(text.status == 0)
            #expect(limited.count == 200)
            #expect(rig.searches.map { $0.bodyJSON?["pagination"]?["per_page"] } == [150, 50], "the last page asks only for what is left")
            let summary = try await rig.run(["find plan=trial --limit 200"])
            #expect(summary.stdout.contains("200 leads (--limit) of 400"), "\(summary.stdout)")

            // On a terminal, a progress line on stderr, cleared when the command ends.
            let terminal = await leadshInProcess(
                rig.args + ["-c", "find plan=trial"], environment: rig.env,
                terminal: TerminalCapabilities(stdin: false, stdout: false, stderr: true, rows: 24))
            #expect(terminal.status == 0, "\(terminal.stderr)")
            #expect(terminal.stderr.contains("finding: 150 of 400 leads"), "\(terminal.stderr)")
            #expect(terminal.stderr.hasSuffix("\r\u{1B}[K"), "cleared at the end")
        }
    }

    @Test("a search's requests go through the failure policy: 429 waits and asks again, 5xx and 401 fail it, refused falls back to the cache")
    func failurePolicy() async throws {
        let leads = try searchLeads(200, plan: "trial")
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            // A first search caches the attribute list and the leads; each run still asks GET /me.
            _ = try await rig.run(["find plan=trial"])
            rig.fake.clearRequests()
            // 429 on the first page: waited out (Retry-After 1 s), asked again, then the last page.
            rig.fake.inject(.rateLimited(retryAfter: 1, withHeaders: true), times: 1)
            let (waited, result) = try await rig.foundIDs("plan=trial")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(waited.count == 200, "every page, after the wait")
            #expect(rig.searches.count == 3, "page 1 asked twice, then page 2")

            // A 5xx fails the command; what came before stays cached.
            rig.fake.inject(.status(503, code: "service_unavailable", message: "try later"), times: 1)
            let failed = try await rig.run(["find plan=trial"])
            #expect(failed.status == 1, "\(failed.stdout)")
            #expect(failed.stderr.contains("find") && failed.stderr.contains("503"), "\(failed.stderr)")

            // 401: the token is refused.
            var env = rig.env
            env["INTERCOM_TOKEN"] = "wrong-token"
            let refusedToken = try await rig.run(["find plan=trial"], env: env)
            #expect(refusedToken.status != 0)
            #expect(refusedToken.stderr.contains("401") || refusedToken.stderr.lowercased().contains("token"), "\(refusedToken.stderr)")

            // Refused connections: offline, the cache answers, and says so.
            await rig.fake.stopListening()
            let offline = try await rig.run(["find plan=trial"], extra: ["--json"])
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect((try JSONText.parse(offline.stdout).arrayValue ?? []).count == 200)
            #expect(offline.stderr.contains("offline: searched the cached leads"), "\(offline.stderr)")
            try await rig.fake.resumeListening()
        }
    }

    @Test("find tag= asks GET /tags through the failure policy: 429 waits and asks again, 5xx and 401 fail it, refused goes offline")
    func tagsFailurePolicy() async throws {
        let leads = try searchLeads(Self.leadCount)
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            for n in stride(from: 0, to: Self.leadCount, by: 4) { _ = rig.fake.tag(leadID: leads[n].id, with: "vip") }
            let tagged = Set(stride(from: 0, to: Self.leadCount, by: 4).map { leads[$0].id })
            // The attribute list cached first, so the next request after GET /me is GET /tags.
            _ = try await rig.run(["find plan=gold"])

            rig.fake.clearRequests()
            rig.fake.inject(.rateLimited(retryAfter: 1, withHeaders: true), times: 1)
            let (waited, result) = try await rig.foundIDs("tag=vip")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(waited == tagged)
            #expect(rig.fake.requests.filter { $0.path == "/tags" }.count == 2, "asked again after the window")

            rig.fake.inject(.status(500, code: "server_error", message: "boom"), times: 1)
            let failed = try await rig.run(["find tag=vip"])
            #expect(failed.status == 1 && failed.stderr.contains("find tag=vip failed"), "\(failed.stderr)")

            var env = rig.env
            env["INTERCOM_TOKEN"] = "wrong-token"
            let refusedToken = try await rig.run(["find tag=vip"], env: env)
            #expect(refusedToken.status != 0 && refusedToken.stderr.contains("401"), "\(refusedToken.stderr)")

            await rig.fake.stopListening()
            let offline = try await rig.run(["find tag=vip"])
            #expect(offline.status == 1, "\(offline.stdout)")
            #expect(offline.stderr.contains("tag= cannot be matched in the cache"), "offline, and says why: \(offline.stderr)")
            try await rig.fake.resumeListening()
        }
    }

    @Test("load found selects 1,000 leads: set and attr change each, diff sums up, push journals 1,000 updates, sync delivers them, revert undoes them")
    func selectionOfAThousand() async throws {
        let count = 1000
        let leads = try searchLeads(count, plan: "trial")
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let prepared = try await rig.run([
                "find plan=trial", "offline", "load found", "attr plan expired", "attr seats 7", "diff", "push --dry-run", "push", "status",
            ])
            #expect(prepared.status == 0, "\(prepared.stderr)")
            #expect(prepared.stdout.contains("1000 leads selected"), "\(prepared.stdout)")
            #expect(prepared.stdout.contains(#"custom_attributes.plan: 1000 leads -> "expired""#), "\(prepared.stdout)")
            #expect(prepared.stdout.contains(#"  1000  "trial""#), "old values grouped with counts: \(prepared.stdout)")
            #expect(prepared.stdout.contains("custom_attributes.seats: 999 leads -> 7 (1 already 7)"), "\(prepared.stdout)")
            #expect(prepared.stdout.contains("(994 other values)"), "the five commonest old values, then a count: \(prepared.stdout)")
            #expect(prepared.stdout.contains("would journal 1000 updates"), "\(prepared.stdout)")
            #expect(prepared.stdout.components(separatedBy: "PUT /contacts/7000").count == 4, "the first three bodies: \(prepared.stdout)")
            #expect(prepared.stdout.contains("journaled 1000 updates for 1000 selected leads, #1..#1000"), "\(prepared.stdout)")
            #expect(outboxCount(rig.journal) == 1000)
            #expect(rig.posts.isEmpty, "offline: nothing sent")
            // Lead 7 already had 7 seats: its update sends only the plan.
            let seven = try outboxRows(rig.journal).first { $0.leadID == leads[7].id }
            #expect(seven?.fields["custom_attributes.plan"] == "expired" && seven?.fields["custom_attributes.seats"] == nil)

            let synced = try await rig.run(["sync"])
            #expect(synced.status == 0, "\(synced.stderr)")
            for lead in leads {
                let now = try #require(rig.fake.lead(id: lead.id))
                #expect(now.customAttributes["plan"] == "expired" && now.customAttributes["seats"] == 7, "\(lead.id)")
            }

            // #1001 is still pending when the range is reverted: reported, not reverted.
            let pending = try await rig.run(["load \(leads[0].id)", "set name Pending", "push"], extra: ["--offline"])
            #expect(pending.status == 0, "\(pending.stderr)")
            rig.fake.clearRequests()
            let reverted = try await rig.run(["revert 1..1001"])
            #expect(reverted.status == 0, "\(reverted.stderr)")
            #expect(reverted.stderr.contains("1 update of the range not sent, so not reverted: #1001 pending"), "\(reverted.stderr)")
            #expect(reverted.stdout.components(separatedBy: "reverted by").count == 1001, "every sent row reverted")
            #expect(rig.posts.count == 1001, "1,000 inverses and the pending #1001")
            for (n, lead) in leads.enumerated() {
                let now = try #require(rig.fake.lead(id: lead.id))
                #expect(now.customAttributes["plan"] == "trial" && now.customAttributes["seats"] == .integer(Int64(n)), "\(lead.id)")
            }
        }
    }

    @Test("a selection: the prompt counts it, show refuses, an empty one is refused, load ID leaves it, a script's find then load found works")
    func selectionRules() async throws {
        let leads = try searchLeads(Self.leadCount)
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let empty = try await rig.run(["find plan=none", "load found"])
            #expect(empty.status == 1)
            #expect(empty.stderr.contains("nothing to select: the last `find` found no leads"), "\(empty.stderr)")

            let show = try await rig.run(["find plan=gold", "load found", "show"])
            #expect(show.status == 1)
            #expect(show.stderr.contains("show works on one lead, and a selection of 8 leads is loaded"), "\(show.stderr)")

            let script = rig.home.write(
                "expire.leadsh", "find plan=trial signed_up_at<$1\nload found\nattr plan expired\npush\nload \(leads[0].id)\nset name Single\npush\n")
            let run = try await leadsh(rig.args + [script, "2026-04-01"], environment: rig.env)
            #expect(run.status == 0, "\(run.stderr)")
            let expired = (0..<Self.leadCount).filter { $0 % 3 == 2 && searchEpoch + Int64($0) * 864_000 < 1_775_001_600 }
            #expect(!expired.isEmpty)
            for n in 0..<Self.leadCount {
                #expect((rig.fake.lead(id: leads[n].id)?.customAttributes["plan"] == "expired") == expired.contains(n), "lead \(n)")
            }
            #expect(rig.fake.lead(id: leads[0].id)?.name == "Single", "load ID left the selection: set changed one lead")
            #expect(rig.fake.lead(id: leads[3].id)?.name == "Lead 3")
        }
    }

    @Test("offline, find and a selection's push read each lead as the user sees it: an unsent update counts, in the match, the table and the push")
    func offlineReadsUnsentValues() async throws {
        let leads = try searchLeads(Self.leadCount)
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let cached = try await rig.run(["find plan=gold,silver,trial"])
            #expect(cached.status == 0, "\(cached.stderr)")
            // Lead 1 (silver, 1 seat) becomes gold and 40 seats, unsent.
            let edited = try await rig.run(["load \(leads[1].id)", "attr plan gold", "attr seats 40", "push"], extra: ["--offline"])
            #expect(edited.status == 0, "\(edited.stderr)")

            let gold = try await rig.foundIDs("plan=gold", extra: ["--offline"])
            #expect(gold.ids == Set((0..<Self.leadCount).filter { $0 % 3 == 0 || $0 == 1 }.map { leads[$0].id }), "\(gold.result.stdout)")
            #expect(try await rig.foundIDs("plan=silver", extra: ["--offline"]).ids.contains(leads[1].id) == false)
            let seats = try await rig.run(["find seats>=40"], extra: ["--offline"])
            #expect(seats.stdout.contains(leads[1].id) && seats.stdout.contains("40"), "the table shows the unsent value: \(seats.stdout)")

            // The push reads lead 1's 40 seats (unsent), so `attr seats 40` leaves it alone.
            let pushed = try await rig.run(["find plan=gold", "load found", "attr seats 40", "push"], extra: ["--offline"])
            #expect(pushed.status == 0, "\(pushed.stderr)")
            #expect(pushed.stdout.contains("journaled 8 updates for 9 selected leads"), "\(pushed.stdout)")
            #expect(pushed.stdout.contains("already holding the values 1"), "\(pushed.stdout)")
        }
    }

    @Test("on a terminal the prompt counts the selection, and a push to more than 100 leads asks first")
    func promptAndConfirmation() async throws {
        let leads = try searchLeads(150, plan: "trial")
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let (kept, source) = await InteractiveInProcessTests.shell(
                ["find plan=trial", "offline", "load found", "attr plan expired", "push", "n", "quit", "quit"], arguments: rig.args,
                environment: rig.env)
            #expect(kept.status == 0, "\(kept.stderr)")
            #expect(source.prompts.contains { $0.hasSuffix(" (150 leads)> ") }, "\(source.prompts)")
            #expect(source.prompts.contains { $0.hasSuffix(" (150 leads)*> ") }, "starred while edits are unpushed: \(source.prompts)")
            #expect(source.prompts.contains("push updates to 150 leads? They are journaled and sent. [y/N] "), "\(source.prompts)")
            #expect(kept.stdout.contains("not pushed"), "\(kept.stdout)")
            #expect(outboxCount(rig.journal) == 0)

            let (pushed, _) = await InteractiveInProcessTests.shell(
                ["find plan=trial", "offline", "load found", "attr plan expired", "push", "y", "quit"], arguments: rig.args,
                environment: rig.env)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            #expect(outboxCount(rig.journal) == 150)
        }
    }

    @Test("1.4 has no search: find takes email= or user_id=, and anything else names --api-version 2.14")
    func v1Limits() async throws {
        try await withRig(version: "1.4") { rig in
            let byUserID = try await rig.run(["find user_id=\(obrienUserID)"], extra: ["--json"])
            #expect(byUserID.status == 0, "\(byUserID.stderr)")
            #expect((try JSONText.parse(byUserID.stdout).arrayValue ?? []).first?["id"] == .string(obrien))
            let refused = try await rig.run(["find plan=gold"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("needs --api-version 2.14"), "\(refused.stderr)")
            #expect(rig.fake.requests.allSatisfy { $0.path != "/contacts/search" })
        }
    }

    @Test("the find-edit-push example in scripts/examples does what it says")
    func example() async throws {
        let leads = try searchLeads(Self.leadCount)
        try await withRig(searchConfiguration(leads), version: "2.14") { rig in
            let example = repositoryRoot() + "/scripts/examples/expire-trials.leadsh"
            let run = try await leadsh(rig.args + [example, "2026-03-01"], environment: rig.env)
            #expect(run.status == 0, "\(run.stderr)")
            for n in 0..<Self.leadCount {
                let expired = n % 3 == 2 && searchEpoch + Int64(n) * 864_000 < 1_772_323_200
                #expect((rig.fake.lead(id: leads[n].id)?.customAttributes["plan"] == "expired") == expired, "lead \(n)")
            }
        }
    }
}
