import LeadModel
import TestSupport
import Testing

/// Reading only part of a lead (`find` offline, a selection's push): what is read must be what a
/// whole read gives, whatever the rest of the lead holds.
@Suite("Reading part of a lead")
struct ProjectionTests {
    /// Members a projection skips, in every shape JSON has: escapes that look like the end of
    /// a string or an object, nesting, numbers in every form, the three words.
    static let awkward = #"""
        "pseudonym": "Lime \"Camel\" } ] from \\ Dublin \u00e9\ud83d\ude00",
        "avatar": {"type": "avatar", "image_url": null, "nested": [[], {}, [1, -2.5e-3, 0, 1E+9, true, false, null, "]"]]},
        "companies": {"type": "company.list", "companies": [{"id": "c1", "name": "A, \"B\" {C}"}]},
        "session_count": -0, "unsubscribed_from_emails": false, "do_not_track": null
        """#

    @Test("a projection reads the members it names, nested, as a whole read gives them")
    func readsWhatItNames() throws {
        let text =
            #"{"type": "contact", "id": "a1", "#
            + ProjectionTests.awkward
            + #", "custom_attributes": {"plan": "gold", "seats": 3, "note": "x\"}"}, "tags": {"type": "tag.list", "tags": [{"name": "vip"}]}}"#
        let whole = try #require(JSONText.parse(Array(text.utf8)).objectValue)
        let projection = JSONProjection.members([
            "id": .all, "avatar": .all, "custom_attributes": .members(["seats": .all, "absent": .all]),
        ])
        let part = try #require(JSONText.parse(Array(text.utf8), keeping: projection).objectValue)
        #expect(part.keys == ["id", "avatar", "custom_attributes"])
        #expect(part["id"] == whole["id"])
        #expect(part["avatar"] == whole["avatar"])
        #expect(part["custom_attributes"] == .object(JSONObject([("seats", .integer(3))])))
        #expect(try JSONText.parse(Array(text.utf8), keeping: .all) == .object(whole))
    }

    @Test(
        "a skipped member that is not JSON is still refused",
        arguments: [
            #"{"id": "a", "skip": "unterminated}"#,
            #"{"id": "a", "skip": [1, 2}"#,
            #"{"id": "a", "skip": {"k" 1}}"#,
            #"{"id": "a", "skip": tru}"#,
            #"{"id": "a", "skip": 01}"#,
            #"{"id": "a", "skip": "tab\#there"}"#,
            #"{"id": "a", "skip": }"#,
        ])
    func skippedMemberChecked(text: String) {
        #expect(throws: JSONParseError.self) {
            try JSONText.parse(Array(text.utf8), keeping: .members(["id": .all]))
        }
    }

    @Test("every search matches a lead read in part exactly as the whole lead, and shows the same values")
    func searchesAgree() throws {
        var random = SeededGenerator(state: 24)
        let leads = try (0..<24).map { _ in
            let text = ProjectionTests.lead(&random)
            return (text: text, whole: try Contact(json: text))
        }
        var checked = 0
        for search in ProjectionTests.searches() {
            let projection = search.projection
            for lead in leads {
                let part = try Contact(json: lead.text, keeping: projection)
                var same =
                    search.matches(part) == search.matches(lead.whole)
                    && part.reference == lead.whole.reference && part.name == lead.whole.name
                for condition in search.conditions {
                    switch condition.field {
                    case .standard(let name):
                        same = same && SearchCondition.standardValue(name, of: part) == SearchCondition.standardValue(name, of: lead.whole)
                    case .custom(let name):
                        same = same && part.value(of: .custom(name)) == lead.whole.value(of: .custom(name))
                    case .tag:
                        same = same && part.tags == lead.whole.tags
                    }
                }
                if !same { Issue.record("`find \(search)` reads \(lead.text) otherwise in part") }
                checked += 1
            }
        }
        #expect(checked > 10_000)
    }

    @Test("a projection for edits reads their current values and the lead's identifiers")
    func editProjection() throws {
        var random = SeededGenerator(state: 7)
        let keys: [FieldKey] = [.custom("plan"), .custom("seats"), .standard("name"), .standard("updated_at"), .standard("tags")]
        for _ in 0..<60 {
            let text = ProjectionTests.lead(&random)
            let whole = try Contact(json: text)
            let part = try Contact(json: text, keeping: Contact.projection(reading: keys))
            for key in keys { #expect(part.value(of: key) == whole.value(of: key)) }
            #expect(part.reference == whole.reference)
            #expect(part.updatedAt == whole.updatedAt)
            #expect(part.hasTag("vip", id: nil) == whole.hasTag("vip", id: nil))
            #expect(part.value(of: .standard("phone")) == nil)
        }
    }

    // MARK: - Generated leads and searches

    static let fields: [SearchField] = [
        .standard("email"), .standard("email_domain"), .standard("name"), .standard("external_id"), .standard("user_id"),
        .standard("last_seen_at"), .standard("last_request_at"), .standard("location.city"), .standard("role"),
        .standard("signed_up_at"), .custom("plan"), .custom("seats"), .custom("name"), .tag,
    ]

    static let values: [JSONValue] = [
        "gold", "Gold", "go", "ld", "ann@Acme.com", "acme.com", "ACME.COM", "Ann", "u-1", "Dublin", "lead", "user",
        10, 10.0, 2.5, 1_700_000_000, .null, "vip", "trial",
    ]

    /// Every field with every operator and several values, and pairs of conditions.
    static func searches() -> [LeadSearch] {
        var searches: [LeadSearch] = []
        for (f, field) in fields.enumerated() {
            for (o, op) in SearchOperator.allCases.enumerated() {
                if field == .tag && op != .equal && op != .notEqual { continue }
                // A third of the values for each field and operator, a different third each time.
                for (n, value) in values.enumerated() where (f + o + n) % 3 == 0 || field == .tag {
                    let condition = SearchCondition(field: field, op: op, values: [value])
                    searches.append(LeadSearch(conditions: [condition], role: n % 4 == 0 ? .any : .lead))
                }
            }
        }
        searches.append(
            LeadSearch(conditions: [
                SearchCondition(field: .custom("plan"), op: .equal, values: ["gold", "trial"]),
                SearchCondition(field: .standard("email_domain"), op: .notEqual, values: ["example.com"]),
            ]))
        return searches
    }

    /// A cached lead of either dialect's shape, with the awkward members between its fields.
    static func lead(_ random: inout SeededGenerator) -> String {
        let n = random.next() % 1000
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var members: [String] = [#""type": "\#(pick(["contact", "user", "lead"]))""#, #""id": "lead-\#(n)""#]
        members.append(pick([#""user_id": "u-1""#, #""external_id": "u-1""#, #""user_id": null"#, #""external_id": "u-\#(n)""#, ""]))
        members.append(pick([#""email": "ann@Acme.com""#, #""email": "bo@example.com""#, #""email": null"#, ""]))
        members.append(ProjectionTests.awkward)
        members.append(pick([#""name": "Ann""#, #""name": "Gold \"Ann\"""#, #""name": null"#, ""]))
        members.append(pick([#""last_request_at": 1700000000"#, #""last_seen_at": 1700000001"#, #""last_seen_at": null"#, ""]))
        members.append(pick([#""role": "lead""#, #""role": "user""#, ""]))
        members.append(pick([#""signed_up_at": 1699999999"#, #""signed_up_at": 1700000000"#, ""]))
        members.append(pick([#""location": {"type": "location", "city": "Dublin"}"#, #""location_data": {"city_name": "Dublin"}"#, ""]))
        members.append(pick([#""updated_at": 1480068674"#, ""]))
        members.append(
            pick([
                #""custom_attributes": {"plan": "gold", "seats": 10, "name": "Ann"}"#,
                #""custom_attributes": {"seats": 10.0, "plan": "Gold", "other": [1, {"plan": "x"}]}"#,
                #""custom_attributes": {"plan": null, "seats": "10"}"#, #""custom_attributes": {}"#, "",
            ]))
        members.append(
            pick([
                #""tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "1", "name": "vip"}]}"#,
                #""tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "2", "name": "trial"}, {"id": "1", "name": "vip"}]}"#,
                #""tags": {"type": "tag.list", "tags": []}"#, "",
            ]))
        return "{" + members.filter { !$0.isEmpty }.joined(separator: ", ") + "}"
    }
}
