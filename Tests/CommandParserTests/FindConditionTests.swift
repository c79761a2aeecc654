import LeadModel
import Testing

@testable import CommandParser

/// `find CONDITION...`: operators, typing, lists, quoting, and what 1.x refuses.
@Suite struct FindConditionTests {
    static func search(_ line: String, dialect: Dialect = .v2, expand: [String: String] = [:]) throws -> LeadSearch {
        let command = try CommandParser.parse(line, expand: { expand[$0] }, dialect: dialect)
        guard case .find(let search) = command else { throw ParseError("not a find: \(String(describing: command))") }
        return search
    }

    static let operators: [(String, SearchOperator, JSONValue)] = [
        ("name=Ann", .equal, "Ann"), ("name!=Ann", .notEqual, "Ann"), ("seats<5", .less, 5), ("seats>5", .greater, 5),
        ("seats<=5", .lessOrEqual, 5), ("seats>=5", .greaterOrEqual, 5), ("name~nn", .contains, "nn"),
        ("name!~nn", .notContains, "nn"), ("name^An", .startsWith, "An"), ("'email$@acme.com'", .endsWith, "@acme.com"),
    ]

    @Test("every operator is read, and the line reads back the same", arguments: operators)
    func everyOperator(word: String, op: SearchOperator, value: JSONValue) throws {
        let search = try Self.search("find " + word)
        #expect(search.conditions.count == 1)
        #expect(search.conditions[0].op == op && search.conditions[0].values == [value])
        #expect(search.role == .lead)
        #expect(try Self.search(Command.find(search).description) == search, "\(Command.find(search).description)")
    }

    @Test("an unquoted comma list is IN; quoted it is one value; != with a list is NIN")
    func lists() throws {
        let any = try Self.search("find plan=gold,silver")
        #expect(any.conditions[0].values == ["gold", "silver"] && any.conditions[0].op == .equal)
        #expect(
            any.intercomQuery(tagIDs: [:]) == [
                "operator": "AND",
                "value": [
                    ["field": "role", "operator": "=", "value": "lead"], ["field": "custom_attributes.plan", "operator": "IN", "value": ["gold", "silver"]],
                ],
            ])
        let literal = try Self.search("find 'plan=a,b'")
        #expect(literal.conditions[0].values == ["a,b"])
        let none = try Self.search("find plan!=gold,silver role=any")
        #expect(none.intercomQuery(tagIDs: [:]) == ["field": "custom_attributes.plan", "operator": "NIN", "value": ["gold", "silver"]])
        #expect(try Self.search(Command.find(literal).description) == literal)
        #expect(try Self.search(Command.find(any).description) == any)
    }

    @Test("values are typed as attr and set type them; times take ISO 8601")
    func typing() throws {
        let search = try Self.search("find seats=9 paid=true ratio>1.5 'code=9' signed_up_at<2026-06-01 unsubscribed_from_emails=false")
        #expect(search.conditions.map(\.values) == [[9], [true], [1.5], ["9"], [.integer(1_780_272_000)], [false]])
        #expect(
            search.conditions.map(\.field) == [
                .custom("seats"), .custom("paid"), .custom("ratio"), .custom("code"), .standard("signed_up_at"), .standard("unsubscribed_from_emails"),
            ])
        // Text operators compare text, whatever the value looks like.
        #expect(try Self.search("find phone^0035").conditions[0].values == ["0035"])
        #expect(try Self.search("find phone=null").conditions[0].values == [.null])
    }

    @Test("a field is a standard field, custom_attributes.NAME, or a custom attribute; the other dialect's name is its equivalent")
    func fields() throws {
        #expect(try Self.search("find custom_attributes.email=x").conditions[0].field == .custom("email"))
        #expect(try Self.search("find email=x").conditions[0].field == .standard("email"))
        #expect(try Self.search("find user_id=42").conditions[0].field == .standard("external_id"))
        #expect(try Self.search("find last_request_at>2026-01-01").conditions[0].field == .standard("last_seen_at"))
        #expect(try Self.search("find location.city=Dublin").conditions[0].field == .standard("location.city"))
        #expect(try Self.search("find tag=vip,trial").conditions[0] == SearchCondition(field: .tag, op: .equal, values: ["vip", "trial"]))
        #expect(try Self.search("find role=user name~a").role == .user)
        #expect(try Self.search("find name~a --limit 20").limit == 20)
        #expect(try Self.search("find --limit=3 name~a").limit == 3)
    }

    @Test("<= and >= are sent as an OR of < and =, nested under the AND")
    func orEqual() throws {
        let query = try Self.search("find seats<=5").intercomQuery(tagIDs: [:])
        #expect(
            query == [
                "operator": "AND",
                "value": [
                    ["field": "role", "operator": "=", "value": "lead"],
                    [
                        "operator": "OR",
                        "value": [
                            ["field": "custom_attributes.seats", "operator": "<", "value": 5],
                            ["field": "custom_attributes.seats", "operator": "=", "value": 5],
                        ],
                    ],
                ],
            ])
    }

    @Test("the shell expands $NAME in an unquoted condition, never in a quoted one")
    func expansion() throws {
        #expect(try Self.search("find plan=$PLAN", expand: ["PLAN": "gold"]).conditions[0].values == ["gold"])
        #expect(
            try Self.search("find 'name$son'", expand: ["son": "X"]).conditions[0] == SearchCondition(field: .standard("name"), op: .endsWith, values: ["son"]))
    }

    static let refused: [(String, Dialect, String)] = [
        ("find", .v2, "find needs at least one condition"),
        ("find plan", .v2, "\"plan\" is not a condition"),
        ("find =gold", .v2, "names no field before its operator"),
        ("find name<Ann", .v2, "< compares numbers and times; name is text"),
        ("find signed_up_at<yesterday", .v2, "signed_up_at"),
        ("find role=admin", .v2, "role takes = with lead, user or any"),
        ("find tag<vip", .v2, "tag takes = or !="),
        ("find name=a --limit 0", .v2, "N must be a positive number"),
        ("find name=a --all", .v2, "find has no option \"--all\""),
        ("find role=user", .v2, "find needs a condition besides role="),
        (
            "find plan=gold", .v1,
            "1.x has no search (find takes only email=EMAIL or user_id=UID there): \"custom_attributes.plan=gold\" needs --api-version 2.14"
        ),
        ("find email~acme", .v1, "needs --api-version 2.14"),
        ("find email=a@b.c role=user", .v1, "role=user needs --api-version 2.14"),
    ]

    @Test("bad conditions are refused with what to write instead", arguments: refused)
    func refusals(line: String, dialect: Dialect, message: String) {
        #expect {
            _ = try CommandParser.parse(line, dialect: dialect)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("1.x takes email= and user_id= lookups")
    func v1Lookups() throws {
        #expect(try Self.search("find email=a@b.c", dialect: .v1).single("email") == "a@b.c")
        #expect(try Self.search("find external_id=42", dialect: .v1).single("user_id") == "42")
    }
}
