import FakeIntercom
import Foundation
import IntercomClient
import LeadModel
import TestSupport
import Testing

func client(_ fake: FakeIntercom, token: String? = nil, timeout: Duration = .seconds(5)) throws -> IntercomAPI {
    IntercomAPI(
        configuration: IntercomConfiguration(
            // The seed's 1.x calls (`GET /contacts?user_id=`, `POST /contacts`); 2.x has its own tests.
            endpoint: try Endpoint(fake.baseURL), token: token ?? fake.configuration.token, apiVersion: .seed,
            requestTimeout: timeout))
}

@Suite("Intercom client over loopback")
struct IntercomAPITests {
    @Test("fetch by id and by user_id; update sends exactly the expected request")
    func success() async throws {
        try await withFakeIntercom { fake in
            let api = try client(fake)
            defer { Task { await api.shutdown() } }
            let byID = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            #expect(byID.value.name == "OBrien")
            let byUser = try await api.fetch(userID: "77177570-cf5d-4f1a-bc75-75202af47d4f")
            #expect(byUser.value.id == "5811f6bbe6b4704ddfa84ac0")
            let update = try LeadUpdate(lead: byID.value.reference, changes: FieldChanges([(.custom("team_mates"), 10)]))
            let updated = try await api.update(update)
            #expect(updated.value.customAttributes["team_mates"] == .integer(10))
            let post = try #require(fake.requests.last)
            #expect(post.method == "POST")
            #expect(post.path == "/contacts")
            #expect(String(decoding: post.body, as: UTF8.self) == update.bodyJSON)
            let headers = Dictionary(post.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            #expect(headers["authorization"] == "Bearer \(fake.configuration.token)")
            #expect(headers["accept"] == "application/json")
            #expect(headers["content-type"] == "application/json")
            #expect(headers["intercom-version"] == "1.4")
        }
    }

    @Test("401, 404 and 400 carry status, Intercom's code and message")
    func errors() async throws {
        try await withFakeIntercom { fake in
            let bad = try client(fake, token: "wrong")
            defer { Task { await bad.shutdown() } }
            await #expect {
                _ = try await bad.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            } throws: { error in
                let e = error as? IntercomError
                return e?.status == 401 && e?.code == "unauthorized" && e?.kind == .http
            }
            let api = try client(fake)
            defer { Task { await api.shutdown() } }
            do {
                _ = try await api.fetch(id: "000000000000000000000000")
                Issue.record("expected a 404")
            } catch let error as IntercomError {
                #expect(error.status == 404)
                #expect(error.code == "not_found")
                #expect(error.description.contains("404 not_found"))
                #expect(error.description.contains("merged, converted or deleted?"))
                #expect(error.requestID != nil)
            }
            fake.inject(.status(400, code: "parameter_invalid", message: "Value: not of type Numeric, String or Boolean", field: "prefs"))
            do {
                _ = try await api.update(try LeadUpdate(lead: LeadReference(id: "5811f6bbe6b4704ddfa84ac0"), changes: FieldChanges([(.custom("prefs"), "x")])))
                Issue.record("expected a 400")
            } catch let error as IntercomError {
                #expect(error.status == 400)
                #expect(error.code == "parameter_invalid")
                #expect(error.errors.first?.field == "prefs")
            }
        }
    }

    @Test("429 and 5xx surface their status and the rate-limit headers")
    func rateLimitAndServerError() async throws {
        try await withFakeIntercom(FakeIntercomConfiguration(rateLimit: RateLimit(limit: 2, window: .seconds(10)))) { fake in
            let api = try client(fake)
            defer { Task { await api.shutdown() } }
            let first = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            #expect(first.rateLimit.limit == 2)
            #expect(first.rateLimit.remaining == 1)
            #expect(first.rateLimit.reset != nil)
            _ = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            // A second client, as another process that has not heard of the spent window.
            let other = try client(fake)
            defer { Task { await other.shutdown() } }
            do {
                _ = try await other.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected a 429")
            } catch let error as IntercomError {
                #expect(error.status == 429)
                #expect(error.code == "rate_limit_exceeded")
                #expect(error.rateLimit.remaining == 0)
                #expect(error.rateLimit.reset != nil)
            }
            fake.setRateLimit(nil)
            let fresh = try client(fake)
            defer { Task { await fresh.shutdown() } }
            fake.inject(.rateLimited(retryAfter: 3, withHeaders: false))
            do {
                _ = try await fresh.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected a 429")
            } catch let error as IntercomError {
                #expect(error.status == 429)
                #expect(error.rateLimit.retryAfter == 3)
            }
            let third = try client(fake)
            defer { Task { await third.shutdown() } }
            fake.inject(.serviceUnavailable)
            do {
                _ = try await third.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected a 503")
            } catch let error as IntercomError {
                #expect(error.status == 503)
                #expect(error.kind == .http)
            }
        }
    }

    @Test("a window with nothing remaining holds the next call until it resets; past maxHoldWait it fails unsent")
    func spentWindowHoldsCalls() async throws {
        try await withFakeIntercom(FakeIntercomConfiguration(rateLimit: RateLimit(limit: 1, window: .seconds(30)))) { fake in
            var configuration = IntercomConfiguration(endpoint: try Endpoint(fake.baseURL), token: fake.configuration.token)
            configuration.maxHoldWait = 5
            let api = IntercomAPI(configuration: configuration)
            defer { Task { await api.shutdown() } }
            let first = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            #expect(first.rateLimit.remaining == 0)
            do {
                _ = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected the call to be held back")
            } catch let error as IntercomError {
                #expect(error.status == 429)
                #expect(error.rateLimit.reset == first.rateLimit.reset)
            }
            #expect(fake.requests.count == 1, "nothing was sent into the spent window")
        }
    }

    @Test("a refused connection is reported as unreachable, not retried until the deadline")
    func unreachableFast() async throws {
        try await withFakeIntercom { fake in
            let api = try client(fake, timeout: .seconds(30))
            defer { Task { await api.shutdown() } }
            await fake.stopListening()
            do {
                _ = try await api.fetch(id: "x")
                Issue.record("expected unreachable")
            } catch let error as IntercomError {
                // Retrying the connection until the 30 s deadline would end as `.timeout`.
                #expect(error.kind == .unreachable)
                #expect(error.isUnreachable)
            }
        }
    }

    @Test("a hung server times out; a non-JSON 200 is an invalid response")
    func timeoutAndGarbage() async throws {
        try await withFakeIntercom { fake in
            let api = try client(fake, timeout: .milliseconds(500))
            defer { Task { await api.shutdown() } }
            fake.inject(.hang)
            do {
                _ = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected a timeout")
            } catch let error as IntercomError {
                #expect(error.kind == .timeout)
            }
            // A client of its own with a generous deadline: on a loaded machine the 500 ms one
            // above could time out before the garbage arrives, and that is not what this half tests.
            let patient = try client(fake, timeout: .seconds(30))
            defer { Task { await patient.shutdown() } }
            fake.inject(.nonJSON(status: 200))
            do {
                _ = try await patient.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected an invalid response")
            } catch let error as IntercomError {
                #expect(error.kind == .invalidResponse)
            }
        }
    }

    @Test("plain http:// is refused for any host but loopback, naming https")
    func endpointPolicy() throws {
        #expect(throws: EndpointError.self) { try Endpoint("http://api.intercom.io") }
        #expect(throws: EndpointError.self) { try Endpoint("http://10.0.0.1:8080") }
        #expect(throws: EndpointError.self) { try Endpoint("ftp://api.intercom.io") }
        #expect {
            _ = try Endpoint("http://example.com")
        } throws: { error in
            "\(error)".contains("https://")
        }
        #expect(try Endpoint("http://127.0.0.1:8750").isLoopback)
        #expect(try Endpoint("http://127.8.9.10").isLoopback)
        #expect(try Endpoint("http://localhost:1/").baseURL == "http://localhost:1")
        #expect(try Endpoint("http://[::1]:9").isLoopback)
        #expect(try Endpoint("https://api.eu.intercom.io").baseURL == "https://api.eu.intercom.io")
        #expect(throws: EndpointError.self) { try Endpoint("http://127.0.0.1.example.com") }
    }
}

@Suite("Intercom client when the API goes away")
struct IntercomAPIOutageTests {
    @Test("a client with a pooled connection finds the API unreachable once it stops listening")
    func pooledConnection() async throws {
        try await withFakeIntercom { fake in
            let api = try client(fake, timeout: .seconds(30))
            defer { Task { await api.shutdown() } }
            _ = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            await fake.stopListening()
            do {
                _ = try await api.fetch(id: "5811f6bbe6b4704ddfa84ac0")
                Issue.record("expected unreachable")
            } catch let error as IntercomError {
                #expect(error.kind == .unreachable, "\(error)")
            }
        }
    }
}
