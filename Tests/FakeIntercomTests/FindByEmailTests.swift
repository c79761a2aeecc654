import FakeIntercom
import LeadModel
import TestSupport
import Testing

/// O'Brien's twin: another lead with the same email in other case (emails do not identify leads).
func obrienTwin() throws -> Contact {
    var fields = FakeIntercom.sampleLeads[0].fields
    fields["id"] = "5811f6bbe6b4704ddfa84a99"
    fields["user_id"] = "0a0a0a0a-1111-4222-8333-444444444444"
    fields["email"] = "OBrien@Truth.org"
    fields["name"] = "OBrien Twin"
    return try Contact(fields: fields)
}

@Suite("1.x List by Email and 2.x search by email")
struct FindByEmailTests {
    @Test("1.x GET /contacts?email= answers a contact.list of whole leads, matching in any case")
    func v1List() async throws {
        try await withFakeAndClient { fake, client in
            let v1 = [("Intercom-Version", "1.4")]
            let one = try await client.send("GET", "/contacts?email=obrien%40truth.org", headers: v1)
            #expect(one.status == 200)
            let body = try one.json
            #expect(body["type"] == "contact.list")
            #expect(body["total_count"] == 1)
            #expect(body["pages"] == ["type": "pages", "next": nil, "page": 1, "per_page": 50, "total_pages": 1])
            let contact = try #require(body["contacts"]?.arrayValue?.first?.objectValue)
            #expect(try Contact(fields: contact) == FakeIntercom.sampleLeads[0], "the whole 1.x lead, as GET /contacts/{id} gives it")

            fake.insert(try obrienTwin())
            let two = try await client.send("GET", "/contacts?email=OBRIEN%40TRUTH.ORG", headers: v1)
            #expect(
                try two.json["contacts"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
                    == ["5811f6bbe6b4704ddfa84ac0", "5811f6bbe6b4704ddfa84a99"])

            let none = try await client.send("GET", "/contacts?email=nobody%40example.com", headers: v1)
            #expect(none.status == 200, "no match is an empty list, not a 404")
            #expect(try none.json["contacts"] == [])
            #expect(try none.json["total_count"] == 0)
        }
    }

    @Test("2.x search on email finds every contact with it")
    func v2Search() async throws {
        try await withFakeAndClient { fake, client in
            fake.insert(try obrienTwin())
            let reply = try await client.send(
                "POST", "/contacts/search", json: #"{"query":{"field":"email","operator":"=","value":"obrien@truth.org"}}"#,
                headers: [("Intercom-Version", "2.14")])
            #expect(reply.status == 200)
            #expect(try reply.json["total_count"] == 2)
            #expect(
                try reply.json["data"]?.arrayValue?.compactMap { $0["external_id"]?.stringValue }
                    == ["77177570-cf5d-4f1a-bc75-75202af47d4f", "0a0a0a0a-1111-4222-8333-444444444444"])
        }
    }
}
