import FakeIntercom
import LeadModel
import Testing

@Suite("Authentication and reading leads")
struct AuthAndReadTests {
    @Test func sampleLeadsStartWithTheSeedLead() {
        let leads = FakeIntercom.sampleLeads
        #expect(leads.count == 4)
        #expect(leads[0].id == obrienID)
        #expect(leads[0].userID == obrienUserID)
        #expect(leads[0].name == "OBrien")
    }

    @Test func missingTokenIsRejectedWithIntercomsErrorBody() async throws {
        try await withFakeAndClient(
            .init(rateLimit: RateLimit(limit: 5, window: .seconds(10)), appVersion: "1.4")
        ) { _, client in
            let reply = try await client.post(#"{"id":"\#(obrienID)","name":"X"}"#, token: nil)
            #expect(reply.status == 401)
            #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true)
            let body = try reply.json
            #expect(body["type"] == "error.list")
            #expect(body["request_id"]?.stringValue?.isEmpty == false)
            let error = try reply.error
            #expect(error.code == "unauthorized")
            #expect(error.message == "Access Token Invalid")
            #expect(reply.rateLimitHeaders.isEmpty)
        }
    }

    @Test func wrongTokenIsRejectedAndNothingChanges() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let reply = try await client.post(#"{"id":"\#(obrienID)","name":"X"}"#, token: "wrong")
            #expect(reply.status == 401)
            #expect(fake.lead(id: obrienID)?.name == "OBrien")
            let me = try await client.get("/me", token: "wrong")
            #expect(me.status == 401)
        }
    }

    @Test func meAnswersAnAdmin() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.get("/me")
            #expect(reply.status == 200)
            #expect(try reply.json["type"] == "admin")
            #expect(try reply.json["name"] == "Sandbox Admin")
        }
    }

    @Test func getByIDAnswersTheWholeLeadInOrder() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.get("/contacts/\(obrienID)")
            #expect(reply.status == 200)
            #expect(reply.text == FakeIntercom.sampleLeads[0].json)
            let contact = try Contact(jsonBytes: reply.body)
            #expect(contact.customAttributes.keys == ["paid_subscriber", "monthly_spend", "team_mates"])
            #expect(contact.customAttributes["team_mates"] == .integer(9))
            #expect(contact.customAttributes["monthly_spend"] == .double(155.5))
        }
    }

    @Test func getByUserID() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.get("/contacts?user_id=\(obrienUserID)")
            #expect(reply.status == 200)
            #expect(try Contact(jsonBytes: reply.body).id == obrienID)
        }
    }

    @Test func unknownLeadsAnswer404() async throws {
        try await withFakeAndClient(.v1) { _, client in
            for path in ["/contacts/000000000000000000000000", "/contacts?user_id=nobody"] {
                let reply = try await client.get(path)
                #expect(reply.status == 404, "\(path)")
                let error = try reply.error
                #expect(error.code == "not_found")
                #expect(error.message == "Contact Not Found")
            }
        }
    }

    @Test func listingWithoutIdentifierIsABadRequest() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.get("/contacts")
            #expect(reply.status == 400)
            #expect(try reply.error.code == "parameter_not_found")
        }
    }

    @Test func unknownRouteAnswers404() async throws {
        try await withFakeAndClient(.v1) { _, client in
            let reply = try await client.get("/users/1")
            #expect(reply.status == 404)
            #expect(try reply.error.code == "not_found")
        }
    }
}
