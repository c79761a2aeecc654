import LeadModel
import Testing

@Suite("API versions and their dialects")
struct APIVersionTests {
    @Test("1.0-1.4 speak 1.x, 2.7 and later 2.x speak 2.x; everything else is refused with the list")
    func accepted() throws {
        for text in ["1.0", "1.1", "1.2", "1.3", "1.4"] { #expect(try APIVersion(text).dialect == .v1) }
        for text in ["2.7", "2.11", "2.14", "2.16", "2.99"] { #expect(try APIVersion(text).dialect == .v2) }
        #expect(try APIVersion(" 2.14 ").description == "2.14")
        for text in ["", "1", "1.5", "2.6", "2.0", "3.0", "2.x", "Unstable", "1.4.1", "+1.4", "1.+4", "01.4a", "２.14"] {
            #expect(throws: APIVersionError.self, "\(text)") { try APIVersion(text) }
        }
        let message = "\(APIVersionError(text: "9"))"
        #expect(message.contains("1.0, 1.1, 1.2, 1.3, 1.4") && message.contains("2.7 and later"))
        #expect(APIVersion.default.description == "2.14")
        #expect(APIVersion.default.dialect == .v2)
        #expect(APIVersion.seed.description == "1.4")
    }

    @Test("each dialect has its own writable fields; a field of the other names its equivalent")
    func catalogs() {
        #expect(
            StandardField.writableNames(in: .v2) == [
                "name", "email", "phone", "external_id", "avatar", "signed_up_at", "last_seen_at", "owner_id", "unsubscribed_from_emails",
            ])
        #expect(StandardField.writableNames(in: .v1).contains("last_seen_ip"))
        #expect(StandardField.named("owner_id", in: .v2)?.kind == .integer)
        #expect(StandardField.fromOtherDialect("last_request_at", in: .v2)?.contains("use last_seen_at") == true)
        #expect(StandardField.fromOtherDialect("user_id", in: .v2)?.contains("use external_id") == true)
        #expect(StandardField.fromOtherDialect("last_seen_ip", in: .v2)?.contains("no 2.x equivalent") == true)
        #expect(StandardField.fromOtherDialect("last_seen_at", in: .v1)?.contains("use last_request_at") == true)
        #expect(StandardField.fromOtherDialect("name", in: .v2) == nil)
    }

    @Test("an update renders as 1.x's POST body or 2.x's PUT body; a field the dialect lacks is refused")
    func rendering() throws {
        let lead = LeadReference(id: "abc", userID: "u-1")
        let update = try LeadUpdate(lead: lead, changes: FieldChanges([(.standard("name"), "N"), (.custom("seats"), 9)]))
        #expect(JSONText.serialize(.object(try update.body(in: .v1))) == #"{"id":"abc","user_id":"u-1","name":"N","custom_attributes":{"seats":9}}"#)
        #expect(JSONText.serialize(.object(try update.body(in: .v2))) == #"{"name":"N","custom_attributes":{"seats":9}}"#)

        let v1Only = try LeadUpdate(lead: lead, changes: FieldChanges([(.standard("last_request_at"), 5)]))
        #expect(throws: LeadUpdateError.fieldNotInDialect("last_request_at", "last_request_at is a 1.x field; in 2.x use last_seen_at")) {
            try v1Only.body(in: .v2)
        }
        let byUserID = try LeadUpdate(lead: LeadReference(userID: "u-1"), changes: FieldChanges([(.standard("name"), "N")]))
        #expect(throws: LeadUpdateError.needsContactID) { try byUserID.body(in: .v2) }
        #expect(try byUserID.body(in: .v1)["user_id"] == "u-1")
    }

    @Test("a custom attribute takes values of its data_type, names both types when not, and always null")
    func attributeTypes() {
        let spend = DataAttribute(name: "monthly_spend", dataType: "float")
        #expect(spend.problem(with: 155.5) == nil)
        #expect(spend.problem(with: 155) == nil, "a float attribute takes an integer")
        #expect(spend.problem(with: .null) == nil)
        #expect(spend.problem(with: "lots") == #"monthly_spend is a float attribute, and "lots" is a string"#)
        let mates = DataAttribute(name: "team_mates", dataType: "integer")
        #expect(mates.problem(with: 9.0)?.contains("is an integer attribute, and 9.0 is a decimal") == true)
        let plan = DataAttribute(name: "plan", dataType: "string")
        #expect(plan.problem(with: 9)?.contains("quote the value") == true)
        #expect(DataAttribute(name: "vip", dataType: "boolean").problem(with: "yes") != nil)
        #expect(DataAttribute(name: "since", dataType: "date").problem(with: 1_700_000_000) == nil)
        #expect(DataAttribute(name: "odd", dataType: "something_new").problem(with: "x") == nil, "an unknown type is left to Intercom")
        let object: JSONValue = ["name": "custom_attributes.plan", "data_type": "string", "custom": true, "archived": false]
        let listed = DataAttribute(json: object.objectValue!)
        #expect(listed == DataAttribute(name: "plan", dataType: "string"))
    }
}
