import FakeIntercom
import LeadModel
import Testing

@Suite("Recorded requests")
struct RecordingTests {
    @Test func recordsMethodPathQueryHeadersAndBody() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let body = #"{"id":"\#(obrienID)","custom_attributes":{"team_mates":9,"monthly_spend":155.5}}"#
            _ = try await client.send(
                "POST", "/contacts", json: body, headers: [("Intercom-Version", "1.4")])
            _ = try await client.get("/contacts?user_id=a%20b+c&x=1")
            _ = try await client.get("/me", token: nil)

            let requests = fake.requests
            #expect(requests.count == 3)

            let post = requests[0]
            #expect(post.method == "POST")
            #expect(post.path == "/contacts")
            #expect(post.rawQuery == nil)
            #expect(post.header("authorization") == "Bearer test-token")
            #expect(post.headers.contains { $0.name == "Authorization" && $0.value == "Bearer test-token" })
            #expect(post.header("Content-Type") == "application/json")
            #expect(post.header("Intercom-Version") == "1.4")
            #expect(post.headers.first?.name == "Host")
            #expect(post.header("Host") == "127.0.0.1:\(fake.port)")
            #expect(post.bodyText == body)
            #expect(post.bodyJSON?["custom_attributes"]?["team_mates"] == .integer(9))
            #expect(post.bodyJSON?["custom_attributes"]?["monthly_spend"] == .double(155.5))
            #expect(post.bodyJSON?["custom_attributes"]?.objectValue?.keys == ["team_mates", "monthly_spend"])

            let get = requests[1]
            #expect(get.method == "GET")
            #expect(get.path == "/contacts")
            #expect(get.rawQuery == "user_id=a%20b+c&x=1")
            #expect(get.queryValue("user_id") == "a b c")
            #expect(get.query.map(\.name) == ["user_id", "x"])
            #expect(get.body.isEmpty)
            #expect(get.bodyJSON == nil)

            let rejected = requests[2]
            #expect(rejected.path == "/me")
            #expect(rejected.header("Authorization") == nil)
            #expect(requests[0].receivedAt <= requests[2].receivedAt)

            fake.clearRequests()
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func invalidJSONBodiesAreStillRecorded() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            _ = try await client.post("not json")
            let request = try #require(fake.requests.first)
            #expect(request.bodyText == "not json")
            #expect(request.bodyJSON == nil)
        }
    }

    @Test func recordingCanBeTurnedOff() async throws {
        try await withFakeAndClient(.init(recordsRequests: false, appVersion: "1.4")) { fake, client in
            _ = try await client.get("/me")
            #expect(fake.requests.isEmpty)
        }
    }
}
