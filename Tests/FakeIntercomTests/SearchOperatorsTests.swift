import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

/// A fake workspace driven in memory: requests go straight to ``FakeWorkspace/respond(to:)``.
private struct SearchBench {
    let workspace: FakeWorkspace

    init(leads: [Contact]) {
        workspace = FakeWorkspace(configuration: .init(leads: leads))
    }

    /// Sends a request on 2.14 (or `version`); answers the status and the JSON body.
    func send(
        _ method: String, _ path: String, json: String? = nil, version: String = "2.14"
    ) throws -> (status: Int, json: JSONValue, headers: [(String, String)]) {
        let request = RecordedRequest(
            method: method, path: path,
            headers: [
                ("Authorization", "Bearer test-token"), ("Intercom-Version", version),
                ("Content-Type", "application/json"),
            ],
            body: Array((json ?? "").utf8))
        let answer = workspace.respond(to: request)
        return (answer.status, try JSONText.parse(Array(answer.body.utf8)), answer.headers)
    }

    /// `POST /contacts/search` with this query; answers the ids found, in order, and the whole body.
    func search(_ query: String, pagination: String? = nil) throws -> (ids: [String], body: JSONValue) {
        let body = pagination.map { #"{"query":\#(query),"pagination":\#($0)}"# } ?? #"{"query":\#(query)}"#
        let reply = try send("POST", "/contacts/search", json: body)
        #expect(reply.status == 200, "\(query): \(JSONText.serialize(reply.json))")
        let ids = reply.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        return (ids, reply.json)
    }

    /// The ids a single filter finds.
    func ids(_ field: String, _ op: String, _ value: String) throws -> [String] {
        try search(#"{"field":"\#(field)","operator":"\#(op)","value":\#(value)}"#).ids
    }

    /// The error code a query is refused with; nil when it is not a 400.
    func refusal(_ query: String) throws -> String? {
        let reply = try send("POST", "/contacts/search", json: #"{"query":\#(query)}"#)
        guard reply.status == 400, reply.json["type"] == "error.list" else { return nil }
        return reply.json["errors"]?.arrayValue?.first?["code"]?.stringValue
    }

    var allIDs: [String] { workspace.allLeads.map(\.id) }
}

/// A lead built on the seed's first lead, with only the fields a test cares about.
private func makeLead(
    _ id: String, name: String?, email: String?, createdAt: Int64,
    custom: JSONValue = [:], unsubscribed: Bool = false
) throws -> Contact {
    var fields = FakeWorkspace.sampleLeads[0].fields
    fields["id"] = .string(id)
    fields["user_id"] = .string("user-\(id)")
    fields["name"] = name.map(JSONValue.string) ?? .null
    fields["email"] = email.map(JSONValue.string) ?? .null
    fields["created_at"] = .integer(createdAt)
    fields["custom_attributes"] = custom
    fields["unsubscribed_from_emails"] = .bool(unsubscribed)
    return try Contact(fields: fields)
}

// 2024-01-15 10:00 UTC; Dublin is on UTC in January.
private let jan15At10: Int64 = 1_705_312_800
private let jan15At2330: Int64 = 1_705_361_400
private let jan16At0000: Int64 = 1_705_363_200
private let jan14At1200: Int64 = 1_705_233_600

private let winston = "5811f6bbe6b4704ddfa8a001"
private let julia = "5811f6bbe6b4704ddfa8a002"
private let obrien = "5811f6bbe6b4704ddfa8a003"
private let syme = "5811f6bbe6b4704ddfa8a004"

/// Four leads that differ in every field the tests search.
private func ministry() throws -> SearchBench {
    SearchBench(leads: [
        try makeLead(
            winston, name: "Winston Smith", email: "winston@records.example", createdAt: jan15At10,
            custom: ["team_mates": 3, "monthly_spend": 42.75, "paid_subscriber": true, "plan": "pro"]),
        try makeLead(
            julia, name: "Julia", email: "Julia@Ministry.example", createdAt: jan15At2330,
            custom: ["team_mates": 1, "monthly_spend": 0.0, "paid_subscriber": false]),
        try makeLead(
            obrien, name: "OBrien", email: "obrien@truth.org", createdAt: jan16At0000,
            custom: ["team_mates": 9, "monthly_spend": 155.5, "paid_subscriber": true]),
        try makeLead(syme, name: nil, email: "syme@newspeak.example", createdAt: jan14At1200, unsubscribed: true),
    ])
}

@Suite("2.14 contact search: operators, fields, tags and paging")
struct SearchOperatorsTests {
    @Test("string operators on name and email; a negation finds exactly what its operator does not")
    func stringOperators() throws {
        let bench = try ministry()
        #expect(try bench.ids("name", "=", #""Julia""#) == [julia])
        #expect(try bench.ids("name", "=", #""julia""#) == [], "names compare exactly")
        #expect(try bench.ids("name", "IN", #"["Julia","OBrien","Nobody"]"#) == [julia, obrien])
        #expect(try bench.ids("name", "~", #""i""#) == [winston, julia, obrien])
        #expect(try bench.ids("name", "^", #""OB""#) == [obrien])
        #expect(try bench.ids("name", "^", #""ob""#) == [])
        #expect(try bench.ids("name", "$", #""Smith""#) == [winston])
        #expect(try bench.ids("name", "=", "null") == [syme], "= null finds contacts without a name")
        #expect(try bench.ids("name", "!=", "null") == [winston, julia, obrien])
        #expect(try bench.ids("email", "^", #""JULIA@""#) == [julia], "emails compare without regard to case")
        #expect(try bench.ids("email", "$", #"".EXAMPLE""#) == [winston, julia, syme])
        #expect(try bench.ids("email_domain", "=", #""ministry.example""#) == [julia])
        #expect(try bench.ids("email_domain", "~", #""example""#) == [winston, julia, syme])
        #expect(try bench.ids("location.city", "=", #""Mukilteo""#) == bench.allIDs)
        #expect(try bench.ids("custom_attributes.plan", "^", #""pr""#) == [winston])

        for (positive, negative, value) in [
            ("=", "!=", #""Julia""#), ("IN", "NIN", #"["Julia","Winston Smith"]"#), ("~", "!~", #""Smith""#),
        ] {
            let found = try bench.ids("name", positive, value)
            let rest = try bench.ids("name", negative, value)
            #expect(!found.isEmpty)
            #expect(Set(found).isDisjoint(with: rest), "\(positive) and \(negative) overlap")
            #expect(Set(found).union(rest) == Set(bench.allIDs), "\(negative) must find every contact \(positive) does not")
        }
        #expect(try bench.ids("name", "!~", #""i""#) == [syme], "a contact without a name does not contain anything")
    }

    @Test("date fields match whole days in the workspace's time zone and take only =, < and >")
    func dateOperators() throws {
        let bench = try ministry()
        #expect(try bench.ids("created_at", "=", "\(jan15At10)") == [winston, julia], "= matches the whole day")
        #expect(try bench.ids("created_at", "=", #""\#(jan15At10)""#) == [winston, julia], "a string of digits is a date")
        #expect(
            try bench.ids("created_at", ">", "\(jan15At10)") == [obrien],
            "> starts at the next day, so Julia's later time that day is not greater")
        #expect(
            try bench.ids("created_at", "<", "\(jan15At2330)") == [syme],
            "< ends at the start of the day, so Winston's earlier time that day is not lower")
        #expect(try bench.ids("updated_at", "=", "1480068674") == bench.allIDs, "the seed's leads were updated that day")
        #expect(try bench.ids("updated_at", ">", "1480068674") == [])
        #expect(try bench.ids("last_seen_at", "<", "\(jan14At1200)") == bench.allIDs, "the seed was last seen in 2016")
        #expect(try bench.ids("signed_up_at", "=", "\(jan15At10)") == [], "no contact signed up")

        for op in ["!=", "IN", "NIN", "<=", ">=", "~", "^"] {
            let value = op.hasSuffix("IN") ? "[\(jan15At10)]" : "\(jan15At10)"
            #expect(
                try bench.refusal(#"{"field":"created_at","operator":"\#(op)","value":\#(value)}"#)
                    == "parameter_invalid", "\(op) on a date")
        }
        #expect(try bench.refusal(#"{"field":"created_at","operator":"=","value":"foorbar"}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"created_at","operator":">","value":true}"#) == "parameter_invalid")
    }

    @Test("a day starts at midnight in Dublin, not at midnight UTC, in summer")
    func dublinSummerDays() throws {
        // 2024-07-01 23:30 UTC is 2 July 00:30 in Dublin (UTC+1); 2024-07-02 23:30 UTC is 3 July there.
        let bench = SearchBench(leads: [
            try makeLead("a1", name: "Early", email: nil, createdAt: 1_719_876_600),
            try makeLead("a2", name: "Late", email: nil, createdAt: 1_719_963_000),
        ])
        let july2AtNoonUTC: Int64 = 1_719_921_600
        #expect(try bench.ids("created_at", "=", "\(july2AtNoonUTC)") == ["a1"])
        #expect(try bench.ids("created_at", ">", "\(july2AtNoonUTC)") == ["a2"])
        #expect(try bench.ids("created_at", "<", "\(july2AtNoonUTC)") == [])
    }

    @Test("number custom attributes: integers and floats take =, !=, IN, NIN, <, >, <=, >=")
    func numberOperators() throws {
        let bench = try ministry()
        let field = "custom_attributes.team_mates"
        #expect(try bench.ids(field, "=", "3") == [winston])
        #expect(try bench.ids(field, "=", #""3""#) == [winston], "a string of digits is a number")
        #expect(try bench.ids(field, "!=", "3") == [julia, obrien, syme], "!= finds contacts without a value too")
        #expect(try bench.ids(field, "IN", "[1,9]") == [julia, obrien])
        #expect(try bench.ids(field, "NIN", "[1,9]") == [winston, syme])
        #expect(try bench.ids(field, "<", "3") == [julia])
        #expect(try bench.ids(field, "<=", "3") == [winston, julia])
        #expect(try bench.ids(field, ">", "3") == [obrien])
        #expect(try bench.ids(field, ">=", "3") == [winston, obrien])
        #expect(try bench.ids("custom_attributes.monthly_spend", ">", "42.5") == [winston, obrien])
        #expect(try bench.ids("custom_attributes.monthly_spend", "=", "0") == [julia])
        #expect(try bench.ids("custom_attributes.monthly_spend", "<=", "42.75") == [winston, julia])

        for op in ["~", "!~", "^", "$"] {
            #expect(try bench.refusal(#"{"field":"\#(field)","operator":"\#(op)","value":"3"}"#) == "parameter_invalid")
        }
        #expect(try bench.refusal(#"{"field":"\#(field)","operator":"=","value":"many"}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"\#(field)","operator":"=","value":2.5}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"\#(field)","operator":"IN","value":3}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"custom_attributes.shoe_size","operator":"=","value":9}"#) == "invalid_field")
        #expect(try bench.refusal(#"{"field":"owner_id","operator":"^","value":1}"#) == "parameter_invalid")
    }

    @Test("booleans take =, !=, IN, NIN")
    func booleanOperators() throws {
        let bench = try ministry()
        #expect(try bench.ids("custom_attributes.paid_subscriber", "=", "true") == [winston, obrien])
        #expect(try bench.ids("custom_attributes.paid_subscriber", "=", "false") == [julia])
        #expect(try bench.ids("custom_attributes.paid_subscriber", "!=", "true") == [julia, syme])
        #expect(try bench.ids("custom_attributes.paid_subscriber", "IN", "[false]") == [julia])
        #expect(try bench.ids("unsubscribed_from_emails", "=", "true") == [syme])
        #expect(try bench.ids("unsubscribed_from_emails", "=", #""false""#) == [winston, julia, obrien])
        #expect(try bench.ids("unsubscribed_from_emails", "NIN", "[true]") == [winston, julia, obrien])
        for op in ["<", ">", "~", "$"] {
            #expect(
                try bench.refusal(#"{"field":"unsubscribed_from_emails","operator":"\#(op)","value":true}"#)
                    == "parameter_invalid")
        }
        #expect(try bench.refusal(#"{"field":"unsubscribed_from_emails","operator":"=","value":"yes"}"#) == "parameter_invalid")
    }

    @Test("tag_id finds tagged contacts with = and !=; contacts show their tags; GET /tags lists them")
    func tags() throws {
        let bench = try ministry()
        let vip = try #require(bench.workspace.tag(leadID: winston, with: "VIP"))
        #expect(bench.workspace.tag(leadID: obrien, with: "vip") == vip, "tag names compare without regard to case")
        let churn = try #require(bench.workspace.tag(leadID: obrien, with: "Churn risk"))
        #expect(churn.id != vip.id)
        #expect(bench.workspace.tag(leadID: "nobody", with: "VIP") == nil)
        #expect(bench.workspace.tags == [vip, churn])

        #expect(try bench.ids("tag_id", "=", #""\#(vip.id)""#) == [winston, obrien])
        #expect(try bench.ids("tag_id", "!=", #""\#(vip.id)""#) == [julia, syme])
        #expect(try bench.ids("tag_id", "=", #""\#(churn.id)""#) == [obrien])
        #expect(try bench.ids("tag_id", "=", #""999999""#) == [])
        for (op, value) in [("IN", #"["\#(vip.id)"]"#), ("NIN", #"["\#(vip.id)"]"#), ("~", #""\#(vip.id)""#), (">", "1")] {
            #expect(try bench.refusal(#"{"field":"tag_id","operator":"\#(op)","value":\#(value)}"#) == "parameter_invalid")
        }

        let contact = try bench.send("GET", "/contacts/\(obrien)").json
        #expect(
            contact["tags"]?["data"]
                == .array([vip, churn].map { tag -> JSONValue in ["type": "tag", "id": .string(tag.id), "url": .string("/tags/\(tag.id)")] }))
        #expect(contact["tags"]?["total_count"] == 2)
        let lead = try bench.send("GET", "/contacts/\(obrien)", version: "1.4").json
        #expect(lead["tags"]?["tags"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["VIP", "Churn risk"])

        let listed = try bench.send("GET", "/tags")
        #expect(listed.status == 200)
        #expect(listed.json["type"] == "list")
        #expect(listed.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [vip.id, churn.id])
        #expect(listed.json["data"]?.arrayValue?.first?["type"] == "tag")
        let listedV1 = try bench.send("GET", "/tags", version: "1.4")
        #expect(listedV1.json["type"] == "tag.list")
        #expect(listedV1.json["tags"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["VIP", "Churn risk"])
        #expect(bench.workspace.addTag(named: "NEW").name == "NEW")
        #expect(try bench.send("GET", "/tags").json["data"]?.arrayValue?.count == 3)
    }

    @Test("GET /tags goes through the fault switches and the rate limit like every route")
    func tagsDrawFaultsAndCountAgainstTheLimit() throws {
        let bench = try ministry()
        bench.workspace.inject(.status(503, code: "service_unavailable", message: "down"))
        #expect(try bench.send("GET", "/tags").status == 503)
        #expect(try bench.send("GET", "/tags").status == 200, "the fault is used up")
        bench.workspace.setRateLimit(RateLimit(limit: 1, window: .seconds(60)))
        let first = try bench.send("GET", "/tags")
        #expect(first.status == 200)
        #expect(first.headers.contains { $0.0 == "X-RateLimit-Remaining" && $0.1 == "0" })
        #expect(try bench.send("GET", "/tags").status == 429)
        let unauthorized = bench.workspace.respond(to: RecordedRequest(method: "GET", path: "/tags"))
        #expect(unauthorized.status == 401)
    }

    @Test("AND inside OR, and the nesting and group limits")
    func nestedQueries() throws {
        let bench = try ministry()
        let paidBigTeam = """
            {"operator":"AND","value":[{"field":"custom_attributes.paid_subscriber","operator":"=","value":true},
             {"field":"custom_attributes.team_mates","operator":">","value":5}]}
            """
        let query = #"{"operator":"OR","value":[\#(paidBigTeam),{"field":"name","operator":"=","value":"Julia"}]}"#
        #expect(try bench.search(query).ids == [julia, obrien])
        #expect(try bench.search(paidBigTeam).ids == [obrien])

        let tooDeep = #"{"operator":"OR","value":[{"operator":"AND","value":[\#(paidBigTeam)]}]}"#
        #expect(try bench.refusal(tooDeep) == "parameter_invalid")
        let filter = #"{"field":"name","operator":"=","value":"Julia"}"#
        let fifteen = #"{"operator":"OR","value":[\#(Array(repeating: filter, count: 15).joined(separator: ","))]}"#
        #expect(try bench.search(fifteen).ids == [julia])
        let sixteen = #"{"operator":"OR","value":[\#(Array(repeating: filter, count: 16).joined(separator: ","))]}"#
        #expect(try bench.refusal(sixteen) == "parameter_invalid")
        #expect(try bench.refusal(#"{"operator":"XOR","value":[\#(filter)]}"#) == "parameter_invalid")
    }

    @Test("paging walks every match once with starting_after; per_page defaults to 50, at most 150")
    func paging() throws {
        var leads: [Contact] = []
        for index in 1...8 {
            let domain = index == 4 ? "elsewhere.example" : "paging.example"
            leads.append(try makeLead("page-\(index)", name: "Lead \(index)", email: "lead\(index)@\(domain)", createdAt: jan15At10))
        }
        let bench = SearchBench(leads: leads)
        let query = #"{"field":"email","operator":"$","value":"@paging.example"}"#
        let expected = leads.map(\.id).filter { $0 != "page-4" }

        var seen: [String] = []
        var cursor: String?
        var pageNumbers: [Int64] = []
        repeat {
            let pagination = cursor.map { #"{"per_page":3,"starting_after":"\#($0)"}"# } ?? #"{"per_page":3}"#
            let page = try bench.search(query, pagination: pagination)
            #expect(page.body["total_count"] == .integer(Int64(expected.count)))
            #expect(page.body["pages"]?["total_pages"] == 3)
            #expect(page.body["pages"]?["per_page"] == 3)
            pageNumbers.append(page.body["pages"]?["page"]?.integerValue ?? 0)
            #expect(page.ids.count <= 3)
            seen += page.ids
            cursor = page.body["pages"]?["next"]?["starting_after"]?.stringValue
            if let cursor { #expect(cursor == page.ids.last) }
        } while cursor != nil && pageNumbers.count < 10
        #expect(seen == expected, "every match once, in order")
        #expect(pageNumbers == [1, 2, 3])

        #expect(try bench.search(query).body["pages"]?["per_page"] == 50)
        #expect(try bench.search(query, pagination: #"{"per_page":150}"#).ids == expected)
        let tooMany = try bench.send(
            "POST", "/contacts/search", json: #"{"query":\#(query),"pagination":{"per_page":151}}"#)
        #expect(tooMany.status == 400)
    }

    @Test("unknown fields and operators, and values of the wrong type, answer 400 in Intercom's error shape")
    func refusals() throws {
        let bench = try ministry()
        #expect(try bench.refusal(#"{"field":"shoe_size","operator":"=","value":"9"}"#) == "invalid_field")
        #expect(try bench.refusal(#"{"field":"name","operator":"==","value":"x"}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":"<","value":"x"}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":">=","value":"x"}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":"=","value":5}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":"=","value":["x"]}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":"IN","value":"x"}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":"~","value":null}"#) == "parameter_invalid")
        #expect(try bench.refusal(#"{"field":"name","operator":"="}"#) == "parameter_invalid")
        let reply = try bench.send(
            "POST", "/contacts/search", json: #"{"query":{"field":"created_at","operator":"!=","value":1}}"#)
        #expect(reply.json["errors"]?.arrayValue?.first?["field"] == "query")
        #expect(reply.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("created_at") == true)
    }
}
