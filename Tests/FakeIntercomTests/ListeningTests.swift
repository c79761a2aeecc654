import AsyncHTTPClient
import FakeIntercom
import TestSupport
import Testing

@Suite("Listening, stopping and shutting down")
struct ListeningTests {
    @Test func publishesTheBoundPort() async throws {
        try await withFakeIntercom { first in
            try await withFakeIntercom { second in
                #expect(first.port > 0)
                #expect(second.port > 0)
                #expect(first.port != second.port)
                #expect(first.baseURL == "http://127.0.0.1:\(first.port)")
            }
        }
    }

    @Test func stopListeningRefusesConnectionsFastAndResumeUsesTheSamePort() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let port = fake.port
            let before = try await client.get("/me")
            #expect(before.status == 200)

            await fake.stopListening()
            #expect(await fake.isListening == false)
            // A fresh client, so the request opens a connection rather than reusing one the stop closed.
            let offline = TestClient(baseURL: fake.baseURL)
            let error = await #expect(throws: (any Error).self) {
                _ = try await offline.get("/me")
            }
            #expect(String(describing: error).lowercased().contains("refused"), "refused, not timed out")

            try await fake.resumeListening()
            #expect(fake.port == port)
            let after = try await offline.get("/me")
            #expect(after.status == 200)
            try await offline.shutdown()
        }
    }

    @Test func stopAndResumeRepeatedly() async throws {
        try await withFakeIntercom { fake in
            for _ in 0..<5 {
                await fake.stopListening()
                try await fake.resumeListening()
                // A fresh client: a pooled connection from before the stop would be closed under it.
                let client = TestClient(baseURL: fake.baseURL)
                let reply = try await client.get("/me")
                try await client.shutdown()
                #expect(reply.status == 200)
            }
        }
    }

    @Test func shutdownWithAnOpenKeepAliveConnectionIsQuickAndIdempotent() async throws {
        let fake = FakeIntercom(configuration: .v1)
        try await fake.start()
        let client = TestClient(baseURL: fake.baseURL)
        let reply = try await client.get("/me")  // leaves a pooled keep-alive connection open
        #expect(reply.status == 200)
        await fake.shutdown()
        await fake.shutdown()
        await #expect(throws: (any Error).self) {
            _ = try await client.get("/me")
        }
        await #expect(throws: FakeIntercomError.self) {
            try await fake.resumeListening()
        }
        try await client.shutdown()
    }

    @Test func withFakeIntercomShutsDownWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        var baseURL = ""
        await #expect(throws: Boom.self) {
            try await withFakeIntercom { fake in
                baseURL = fake.baseURL
                throw Boom()
            }
        }
        let client = TestClient(baseURL: baseURL)
        await #expect(throws: (any Error).self) {
            _ = try await client.get("/me")
        }
        try await client.shutdown()
    }

    @Test func delayHoldsEveryAnswer() async throws {
        try await withFakeAndClient(.init(delay: .milliseconds(400), appVersion: "1.4")) { fake, client in
            let clock = ContinuousClock()
            var started = clock.now
            let slow = try await client.get("/me")
            #expect(slow.status == 200)
            #expect(clock.now - started >= .milliseconds(400))

            fake.setDelay(.milliseconds(300))
            fake.inject(.serverError)
            started = clock.now
            let faulted = try await client.get("/contacts/\(obrienID)")
            #expect(faulted.status == 500)
            #expect(clock.now - started >= .milliseconds(300), "the delay comes before faults too")
        }
    }

    @Test func servesManyConcurrentRequests() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<200 {
                    group.addTask {
                        try await client.post(#"{"id":"\#(obrienID)","custom_attributes":{"n":\#(n)}}"#).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(fake.requests.count == 200)
        }
    }
}
