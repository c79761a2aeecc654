import FakeIntercom
import IntercomClient
import LeadModel
import TestSupport
import Testing

func client(_ fake: FakeIntercom, version: String) throws -> IntercomAPI {
    IntercomAPI(
        configuration: IntercomConfiguration(
            endpoint: try Endpoint(fake.baseURL), token: fake.configuration.token, apiVersion: try APIVersion(version)))
}

func twin(of lead: Contact, id: String, userID: String, email: String) throws -> Contact {
    var fields = lead.fields
    fields["id"] = .string(id)
    fields["user_id"] = .string(userID)
    fields["email"] = .string(email)
    return try Contact(fields: fields)
}

@Suite("find(email:) in both dialects")
struct FindByEmailClientTests {
    @Test("1.x reads GET /contacts?email= with the pinned version; the email is escaped in the query")
    func v1() async throws {
        try await withFakeIntercom { fake in
            let api = try client(fake, version: "1.4")
            defer { Task { await api.shutdown() } }
            let found = try await api.find(email: "obrien@truth.org")
            #expect(found.value.map(\.id) == ["5811f6bbe6b4704ddfa84ac0"])
            #expect(found.value.first?.userID == "77177570-cf5d-4f1a-bc75-75202af47d4f")
            let request = try #require(fake.requests.last)
            #expect(request.method == "GET")
            #expect(request.path == "/contacts")
            #expect(request.queryValue("email") == "obrien@truth.org")
            #expect(request.header("Intercom-Version") == "1.4")

            fake.insert(try twin(of: FakeIntercom.sampleLeads[0], id: "aaaaaaaaaaaaaaaaaaaaaaaa", userID: "u-twin", email: "a+b&c=d@truth.org"))
            let odd = try await api.find(email: "a+b&c=d@truth.org")
            #expect(odd.value.map(\.id) == ["aaaaaaaaaaaaaaaaaaaaaaaa"], "+, & and = reach the server as themselves")
            #expect(try await api.find(email: "nobody@example.com").value.isEmpty)
        }
    }

    @Test("2.x searches on email and returns every match")
    func v2() async throws {
        try await withFakeIntercom { fake in
            fake.insert(try twin(of: FakeIntercom.sampleLeads[0], id: "bbbbbbbbbbbbbbbbbbbbbbbb", userID: "u-twin", email: "OBRIEN@truth.org"))
            let api = try client(fake, version: "2.14")
            defer { Task { await api.shutdown() } }
            let found = try await api.find(email: "obrien@truth.org")
            #expect(found.value.map(\.id) == ["5811f6bbe6b4704ddfa84ac0", "bbbbbbbbbbbbbbbbbbbbbbbb"])
            #expect(found.value.map(\.userID) == ["77177570-cf5d-4f1a-bc75-75202af47d4f", "u-twin"], "2.x's external_id")
            let request = try #require(fake.requests.last)
            #expect(request.method == "POST" && request.path == "/contacts/search")
            #expect(request.header("Intercom-Version") == "2.14")
            let query = try #require(request.bodyJSON?["query"])
            #expect(query == ["field": "email", "operator": "=", "value": "obrien@truth.org"])
        }
    }
}
