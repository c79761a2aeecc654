import LeadModel
import Testing

@Suite("Update Lead bodies")
struct LeadUpdateTests {
    @Test("the body holds the identifiers, only the changed fields, and flat custom attributes")
    func body() throws {
        let update = try LeadUpdate(
            lead: LeadReference(id: "5811f6bbe6b4704ddfa84ac0", userID: "77177570-cf5d-4f1a-bc75-75202af47d4f", email: "obrien@truth.org"),
            changes: FieldChanges([
                (.standard("name"), "OBrien"),
                (.custom("monthly_spend"), .double(155.5)),
                (.custom("team_mates"), .integer(9)),
                (.custom("paid_subscriber"), .bool(true)),
                (.custom("nickname"), .null),
                (.standard("phone"), .null),
            ])
        )
        #expect(
            update.bodyJSON
                == #"{"id":"5811f6bbe6b4704ddfa84ac0","user_id":"77177570-cf5d-4f1a-bc75-75202af47d4f","name":"OBrien","phone":null,"custom_attributes":{"monthly_spend":155.5,"team_mates":9,"paid_subscriber":true,"nickname":null}}"#
        )
        // The email identifies nothing and is not sent unless it changes.
        #expect(!update.bodyJSON.contains("obrien@truth.org"))
    }

    @Test("a lead named by user_id alone is enough")
    func userIDOnly() throws {
        let update = try LeadUpdate(lead: LeadReference(userID: "u-1"), changes: FieldChanges([(.standard("name"), "X")]))
        #expect(update.bodyJSON == #"{"user_id":"u-1","name":"X"}"#)
    }

    @Test("an update that could name the lead only by email is refused")
    func emailOnlyRefused() {
        #expect(throws: LeadUpdateError.emailOnly("a@b.c")) {
            try LeadUpdate(lead: LeadReference(email: "a@b.c"), changes: FieldChanges([(.standard("name"), "X")]))
        }
        #expect(throws: LeadUpdateError.noIdentifier) {
            try LeadUpdate(lead: LeadReference(id: "", userID: ""), changes: FieldChanges([(.standard("name"), "X")]))
        }
        let message = LeadUpdateError.emailOnly("a@b.c").description
        #expect(message.contains("id or user_id"))
        #expect(message.contains("creates a new lead"))
    }

    @Test("nested values and bad attribute names never make an update")
    func flatOnly() {
        let lead = LeadReference(id: "x")
        #expect(throws: LeadUpdateError.self) {
            try LeadUpdate(lead: lead, changes: FieldChanges([(.custom("a"), .object(JSONObject([("b", 1)])))]))
        }
        #expect(throws: LeadUpdateError.self) { try LeadUpdate(lead: lead, changes: FieldChanges([(.custom("a"), [1, 2])])) }
        #expect(throws: LeadUpdateError.self) { try LeadUpdate(lead: lead, changes: FieldChanges([(.custom("a.b"), 1)])) }
        #expect(throws: LeadUpdateError.self) { try LeadUpdate(lead: lead, changes: FieldChanges([(.custom("price$"), 1)])) }
        #expect(throws: LeadUpdateError.self) { try LeadUpdate(lead: lead, changes: FieldChanges([(.custom("name"), 1)])) }
        #expect(throws: LeadUpdateError.noChanges) { try LeadUpdate(lead: lead, changes: FieldChanges()) }
    }

    @Test("later changes win field by field and keep their place")
    func merging() {
        let first = FieldChanges([(.standard("name"), "A"), (.custom("x"), 1)])
        let second = FieldChanges([(.custom("x"), 2), (.standard("phone"), "123")])
        let merged = first.merging(second)
        #expect(merged.keys == [.standard("name"), .custom("x"), .standard("phone")])
        #expect(merged[.custom("x")] == 2)
    }

    @Test("custom attribute names follow Intercom's rules")
    func attributeNames() {
        #expect(CustomAttributeRules.problem(withName: "monthly_spend") == nil)
        #expect(CustomAttributeRules.problem(withName: "plan-tier") == nil)
        #expect(CustomAttributeRules.problem(withName: "price€") == nil)
        #expect(CustomAttributeRules.problem(withName: "") != nil)
        #expect(CustomAttributeRules.problem(withName: "a b") != nil)
        #expect(CustomAttributeRules.problem(withName: "a.b") != nil)
        #expect(CustomAttributeRules.problem(withName: "a\u{1B}")?.contains("U+001B") == true)
        #expect(CustomAttributeRules.problem(withName: "email")?.contains("standard field") == true)
    }
}
