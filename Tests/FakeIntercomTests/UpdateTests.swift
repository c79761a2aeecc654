import FakeIntercom
import LeadModel
import Testing

@Suite("Updating and creating leads")
struct UpdateTests {
    /// The body of the seed's "Update Lead" example.
    static let seedBody = """
        {"id": "5811f6bbe6b4704ddfa84ac0", "user_id": "77177570-cf5d-4f1a-bc75-75202af47d4f",
         "phone": "123987456", "email": "obrien@truth.org", "name": "OBrien",
         "last_seen_user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9",
         "custom_attributes": {"paid_subscriber" : true, "monthly_spend": 155.5, "team_mates": 9}}
        """

    @Test func theSeedsUpdateAnswersTheWholeLeadWithTypedValues() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let before = try #require(fake.lead(id: obrienID))
            let reply = try await client.post(Self.seedBody)
            #expect(reply.status == 200)
            #expect(reply.text.contains(#""monthly_spend":155.5,"team_mates":9}"#))
            let lead = try Contact(jsonBytes: reply.body)
            #expect(lead.phone == "123987456")
            #expect(lead.userAgentData == "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9")
            #expect(lead.customAttributes["team_mates"] == .integer(9))
            #expect(lead.customAttributes["monthly_spend"] == .double(155.5))
            #expect(lead.fields.keys == before.fields.keys)
            #expect(try #require(lead.updatedAt) > before.updatedAt!)
            #expect(fake.lead(id: obrienID) == lead)
        }
    }

    @Test func updateByIDAppliesFieldsAndMergesAttributesInOrder() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let reply = try await client.post(
                """
                {"id":"\(obrienID)","name":"O'Brien","unsubscribed_from_emails":true,"created_at":1,"type":"user",
                 "custom_attributes":{"team_mates":10,"plan":"pro","monthly_spend":200.25,"churn_risk":null}}
                """)
            #expect(reply.status == 200)
            let lead = try Contact(jsonBytes: reply.body)
            #expect(lead.name == "O'Brien")
            #expect(lead.unsubscribedFromEmails == true)
            #expect(lead.createdAt == 1_477_572_283, "created_at is read-only")
            #expect(lead.type == "contact", "type is read-only")
            #expect(lead.customAttributes.keys == ["paid_subscriber", "monthly_spend", "team_mates", "plan", "churn_risk"])
            #expect(lead.customAttributes["team_mates"] == .integer(10))
            #expect(lead.customAttributes["monthly_spend"] == .double(200.25))
            #expect(lead.customAttributes["churn_risk"] == .null)
            #expect(fake.lead(id: obrienID)?.customAttributes["plan"] == "pro")
        }
    }

    @Test func updateByUserID() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let reply = try await client.post(#"{"user_id":"\#(obrienUserID)","email":"obrien@minitrue.example"}"#)
            #expect(reply.status == 200)
            #expect(try Contact(jsonBytes: reply.body).id == obrienID)
            #expect(fake.lead(userID: obrienUserID)?.email == "obrien@minitrue.example")
        }
    }

    @Test func identifiersNamingDifferentLeadsOrNoLeadAnswer404() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let julia = FakeIntercom.sampleLeads[1]
            for body in [
                #"{"id":"\#(obrienID)","user_id":"\#(julia.userID!)","name":"X"}"#,
                #"{"id":"ffffffffffffffffffffffff","name":"X"}"#,
                #"{"user_id":"no-such-user","name":"X"}"#,
            ] {
                let reply = try await client.post(body)
                #expect(reply.status == 404, "\(body)")
                #expect(try reply.error.code == "not_found")
                #expect(try reply.error.message == "Contact Not Found")
            }
            #expect(fake.allLeads == FakeIntercom.sampleLeads)
        }
    }

    @Test func updatedAtMovesForwardEvenWhenTheClockIsBehind() async throws {
        let future: Int64 = 4_000_000_000
        var lead = FakeIntercom.sampleLeads[0]
        lead.fields["updated_at"] = .integer(future)
        try await withFakeAndClient(.init(leads: [lead], appVersion: "1.4")) { _, client in
            let reply = try await client.post(#"{"id":"\#(obrienID)","name":"X"}"#)
            #expect(try Contact(jsonBytes: reply.body).updatedAt == future + 1)
        }
    }

    @Test func postWithoutIdentifiersCreatesANewLeadEveryTime() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let body = #"{"email":"obrien@truth.org","name":"Duplicate","custom_attributes":{"team_mates":2}}"#
            let first = try Contact(jsonBytes: try await client.post(body).body)
            let second = try Contact(jsonBytes: try await client.post(body).body)
            #expect(first.id != second.id)
            #expect(first.id != obrienID)
            #expect(first.id.count == 24 && first.id.allSatisfy(\.isHexDigit))
            #expect(first.userID?.count == 36)
            #expect(first.type == "contact")
            #expect(first.email == "obrien@truth.org")
            #expect(first.name == "Duplicate")
            #expect(first.customAttributes["team_mates"] == .integer(2))
            #expect(first.createdAt != nil && first.createdAt == first.updatedAt)
            #expect(first.tags?.type == "tag.list")
            #expect(fake.allLeads.count == FakeIntercom.sampleLeads.count + 2)
            #expect(fake.lead(userID: second.userID!) == second)
        }
    }

    @Test(arguments: [
        #"{"team_mates":{"count":9}}"#,
        #"{"team_mates":[9]}"#,
    ])
    func nestedAttributeValuesAreRejected(attributes: String) async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let reply = try await client.post(#"{"id":"\#(obrienID)","name":"X","custom_attributes":\#(attributes)}"#)
            #expect(reply.status == 400)
            let error = try reply.error
            #expect(error.code == "parameter_invalid")
            #expect(error.message == "Value: not of type Numeric, String or Boolean")
            #expect(error.field == "team_mates")
            #expect(fake.lead(id: obrienID)?.name == "OBrien", "nothing is applied")
        }
    }

    @Test func customAttributesMustBeAnObjectWithValidNames() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let notObject = try await client.post(#"{"id":"\#(obrienID)","custom_attributes":[1]}"#)
            #expect(notObject.status == 400)
            #expect(try notObject.error.code == "parameter_invalid")
            #expect(try notObject.error.field == "custom_attributes")

            let badName = try await client.post(#"{"id":"\#(obrienID)","custom_attributes":{"has space":1}}"#)
            #expect(badName.status == 400)
            #expect(try badName.error.code == "parameter_invalid")
            #expect(try badName.error.field == "has space")
        }
    }

    @Test(arguments: [
        (#""name":5"#, "name"),
        (#""unsubscribed_from_emails":"yes""#, "unsubscribed_from_emails"),
        (#""last_request_at":"yesterday""#, "last_request_at"),
    ])
    func standardFieldsOfTheWrongTypeAreRejected(field: String, name: String) async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.post(#"{"id":"\#(obrienID)",\#(field)}"#)
            #expect(reply.status == 400)
            #expect(try reply.error.code == "parameter_invalid")
            #expect(try reply.error.field == name)
        }
    }

    @Test func invalidJSONIsABadRequest() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.post(#"{"id": "#)
            #expect(reply.status == 400)
            #expect(try reply.error.code == "bad_request")
        }
    }

    @Test func anyContentTypeIsReadAsJSON() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let reply = try await client.send(
                "POST", "/contacts", json: #"{"id":"\#(obrienID)","name":"X"}"#,
                headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(reply.status == 200)
            #expect(fake.lead(id: obrienID)?.name == "X")
        }
    }

    @Test func teammateEditsBumpUpdatedAtAndShowInReads() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let before = try #require(fake.lead(id: obrienID)?.updatedAt)
            let edited = fake.edit(leadID: obrienID, FieldChanges([(.standard("name"), "Big Brother"), (.custom("team_mates"), 12)]))
            #expect(try #require(edited?.updatedAt) > before)
            let lead = try Contact(jsonBytes: try await client.get("/contacts/\(obrienID)").body)
            #expect(lead.name == "Big Brother")
            #expect(lead.customAttributes["team_mates"] == .integer(12))
            #expect(fake.edit(leadID: "missing", FieldChanges()) == nil)
        }
    }

    @Test func removedLeadsAnswer404() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            #expect(fake.removeLead(id: obrienID)?.id == obrienID)
            let byID = try await client.get("/contacts/\(obrienID)")
            let byUserID = try await client.get("/contacts?user_id=\(obrienUserID)")
            let other = try await client.get("/contacts/\(FakeIntercom.sampleLeads[1].id)")
            #expect(byID.status == 404)
            #expect(byUserID.status == 404)
            #expect(other.status == 200)
        }
    }
}
