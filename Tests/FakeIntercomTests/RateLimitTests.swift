import FakeIntercom
import Foundation
import LeadModel
import TestSupport
import Testing

@Suite("Rate limiting")
struct RateLimitTests {
    @Test func limitPerWindowWithHeadersThenTheNextWindowAllowsAgain() async throws {
        let limit = RateLimit(limit: 3, window: .seconds(1))
        let clock = ManualClock()
        var configuration = FakeIntercomConfiguration(rateLimit: limit, appVersion: "1.4")
        configuration.clock = clock
        try await withFakeAndClient(configuration) { _, client in
            var remaining: [String?] = []
            for _ in 0..<3 {
                let reply = try await client.get("/contacts/\(obrienID)")
                #expect(reply.status == 200)
                #expect(reply.header("X-RateLimit-Limit") == "3")
                remaining.append(reply.header("X-RateLimit-Remaining"))
            }
            #expect(remaining == ["2", "1", "0"])

            let limited = try await client.get("/contacts/\(obrienID)")
            #expect(limited.status == 429)
            #expect(try limited.error.code == "rate_limit_exceeded")
            #expect(try limited.error.message == "Exceeded rate limit of 3 in 1_seconds")
            #expect(limited.header("X-RateLimit-Limit") == "3")
            #expect(limited.header("X-RateLimit-Remaining") == "0")
            let reset = try #require(limited.header("X-RateLimit-Reset").flatMap { Int64($0) })
            let now = clock.now()
            #expect(Double(reset) >= now && Double(reset) <= now + 2, "reset is in Unix seconds, rounded up")

            // Just before the announced reset the window still refuses; at it, the next window allows requests again.
            clock.advance(by: Double(reset) - now - 0.01)
            #expect(try await client.get("/contacts/\(obrienID)").status == 429)
            clock.advance(by: 0.02)
            let again = try await client.get("/contacts/\(obrienID)")
            #expect(again.status == 200)
            #expect(again.header("X-RateLimit-Remaining") == "2")
        }
    }

    @Test func unauthenticatedRequestsAreNotCountedAndCarryNoHeaders() async throws {
        try await withFakeAndClient(
            .init(rateLimit: RateLimit(limit: 1, window: .seconds(10)), appVersion: "1.4")
        ) { _, client in
            for _ in 0..<3 {
                let rejected = try await client.get("/me", token: nil)
                #expect(rejected.status == 401)
                #expect(rejected.rateLimitHeaders.isEmpty)
            }
            let first = try await client.get("/me")
            #expect(first.status == 200)
            #expect(first.header("X-RateLimit-Remaining") == "0")
            let second = try await client.get("/me")
            #expect(second.status == 429)
            #expect(try second.error.message == "Exceeded rate limit of 1 in 10_seconds")
        }
    }

    @Test func limitCanBeSetAndRemovedAtRunTime() async throws {
        try await withFakeAndClient(.v1) { fake, client in
            let unlimited = try await client.get("/me")
            #expect(unlimited.rateLimitHeaders.isEmpty)

            fake.setRateLimit(RateLimit(limit: 1, window: .seconds(10)))
            let first = try await client.get("/me")
            let second = try await client.get("/me")
            #expect(first.status == 200)
            #expect(first.header("X-RateLimit-Limit") == "1")
            #expect(second.status == 429)

            fake.setRateLimit(nil)
            let third = try await client.get("/me")
            #expect(third.status == 200)
            #expect(third.rateLimitHeaders.isEmpty)
        }
    }

    @Test func rejectedUpdatesAreNotApplied() async throws {
        try await withFakeAndClient(
            .init(rateLimit: RateLimit(limit: 0, window: .seconds(10)), appVersion: "1.4")
        ) { fake, client in
            let reply = try await client.post(#"{"id":"\#(obrienID)","name":"X"}"#)
            #expect(reply.status == 429)
            #expect(fake.lead(id: obrienID)?.name == "OBrien")
        }
    }
}
