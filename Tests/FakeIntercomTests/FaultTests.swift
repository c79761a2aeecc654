import AsyncHTTPClient
import FakeIntercom
import LeadModel
import Testing

@Suite("Fault injection")
struct FaultTests {
    @Test func statusFaultsAnswerInOrderThenNormalService() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.serviceUnavailable, times: 2)
            fake.inject(.status(400, code: "parameter_invalid", message: "bad phone", field: "phone"))
            #expect(fake.pendingFaults.count == 3)
            let body = #"{"id":"\#(obrienID)","name":"X"}"#

            for _ in 0..<2 {
                let reply = try await client.post(body)
                #expect(reply.status == 503)
                #expect(try reply.json["type"] == "error.list")
                #expect(try reply.json["request_id"]?.stringValue != nil)
                #expect(try reply.error.code == "service_unavailable")
            }
            let invalid = try await client.post(body)
            #expect(invalid.status == 400)
            #expect(try invalid.error.code == "parameter_invalid")
            #expect(try invalid.error.message == "bad phone")
            #expect(try invalid.error.field == "phone")
            #expect(fake.lead(id: obrienID)?.name == "OBrien", "faulted requests are not carried out")

            let ok = try await client.post(body)
            #expect(ok.status == 200)
            #expect(fake.lead(id: obrienID)?.name == "X")
            #expect(fake.requests.count == 4, "faulted requests are recorded")
        }
    }

    @Test(arguments: [500, 502, 403, 409, 422])
    func anyStatusCanBeInjected(status: Int) async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.status(status, code: "code_\(status)", message: "message \(status)"))
            let reply = try await client.get("/contacts/\(obrienID)")
            #expect(reply.status == status)
            #expect(try reply.error.code == "code_\(status)")
            #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test func faultsOnlyHitContactsCalls() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.serverError)
            let me = try await client.get("/me")
            #expect(me.status == 200)
            let contact = try await client.get("/contacts/\(obrienID)")
            #expect(contact.status == 500)
            #expect(fake.pendingFaults.isEmpty)
        }
    }

    @Test func rateLimitedWithHeadersAndRetryAfter() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.rateLimited(retryAfter: 7, withHeaders: true))
            let reply = try await client.get("/contacts/\(obrienID)")
            #expect(reply.status == 429)
            #expect(try reply.error.code == "rate_limit_exceeded")
            #expect(reply.header("Retry-After") == "7")
            #expect(reply.header("X-RateLimit-Limit") == "167")
            #expect(reply.header("X-RateLimit-Remaining") == "0")
            #expect(reply.header("X-RateLimit-Reset").flatMap { Int64($0) } != nil)
        }
    }

    @Test func rateLimitedWithoutHeaders() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.rateLimited(retryAfter: nil, withHeaders: false))
            let reply = try await client.get("/contacts/\(obrienID)")
            #expect(reply.status == 429)
            #expect(try reply.error.code == "rate_limit_exceeded")
            #expect(reply.header("Retry-After") == nil)
            #expect(reply.rateLimitHeaders.isEmpty)
        }
    }

    @Test func dropMidResponseFailsTheClientButTheUpdateLands() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.dropMidResponse)
            await #expect(throws: (any Error).self) {
                _ = try await client.post(#"{"id":"\#(obrienID)","name":"Dropped"}"#)
            }
            #expect(fake.lead(id: obrienID)?.name == "Dropped")
            let next = try await client.get("/contacts/\(obrienID)")
            #expect(next.status == 200, "the fake serves new connections after a drop")
        }
    }

    @Test func dropMidResponseSendsTheHeadAndPartOfTheBody() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.dropMidResponse)
            var request = HTTPClientRequest(url: fake.baseURL + "/contacts/\(obrienID)")
            request.headers.add(name: "Authorization", value: "Bearer test-token")
            let response = try await client.http.execute(request, timeout: .seconds(5))
            #expect(response.status.code == 200)
            let declared = try #require(response.headers.first(name: "Content-Length").flatMap { Int($0) })
            #expect(declared == FakeIntercom.sampleLeads[0].json.utf8.count)
            await #expect(throws: (any Error).self) {
                _ = try await response.body.collect(upTo: 1 << 20)
            }
        }
    }

    @Test func hangNeverAnswersAndShutdownStillReturns() async throws {
        let fake = FakeIntercom(configuration: .v1)
        try await fake.start()
        let client = TestClient(baseURL: fake.baseURL)
        fake.inject(.hang)
        await #expect(throws: HTTPClientError.deadlineExceeded) {
            _ = try await client.send("GET", "/contacts/\(obrienID)", timeout: .milliseconds(300))
        }
        #expect(fake.requests.count == 1)

        await fake.shutdown()
        try await client.shutdown()
    }

    @Test func hangIsCutByStopListening() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.hang)
            let hung = Task { try await client.send("GET", "/contacts/\(obrienID)", timeout: .seconds(10)) }
            // Waits for the client's request to reach the fake's event loop (another thread).
            while fake.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            await fake.stopListening()
            // Cut by the stop, not by the client's 10 s deadline.
            let error = await #expect(throws: (any Error).self) { _ = try await hung.value }
            #expect((error as? HTTPClientError) != .deadlineExceeded)
            try await fake.resumeListening()
            let fresh = TestClient(baseURL: fake.baseURL)
            let reply = try await fresh.get("/contacts/\(obrienID)")
            try await fresh.shutdown()
            #expect(reply.status == 200)
        }
    }

    @Test func nonJSONBody() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.nonJSON(status: 502))
            let reply = try await client.post(#"{"id":"\#(obrienID)","name":"X"}"#)
            #expect(reply.status == 502)
            #expect(reply.text.hasPrefix("<html>"))
            #expect(reply.header("Content-Type") == "text/html")
            #expect((try? JSONText.parse(reply.body)) == nil)
        }
    }

    @Test func clearFaultsForgetsPendingOnes() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            fake.inject(.serverError, times: 3)
            fake.clearFaults()
            let reply = try await client.get("/contacts/\(obrienID)")
            #expect(reply.status == 200)
        }
    }
}
