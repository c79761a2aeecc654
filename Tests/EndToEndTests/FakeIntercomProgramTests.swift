import Foundation
import IntercomClient
import LeadModel
import TestSupport
import Testing

@Suite("The fake-intercom program")
struct FakeIntercomProgramTests {
    @Test("it prints where it listens, updates with the token, answers 401 without, and exits 0 on SIGTERM")
    func servesByHand() async throws {
        let program = try RunningProduct("fake-intercom", ["--port", "0", "--token", "t"], environment: ProcessInfo.processInfo.environment)
        let line = await program.firstLine()
        let prefix = "fake-intercom listening on "
        #expect(line.hasPrefix(prefix))
        let baseURL = String(line.dropFirst(prefix.count).prefix { $0 != " " })
        let endpoint = try Endpoint(baseURL)

        let api = IntercomAPI(configuration: IntercomConfiguration(endpoint: endpoint, token: "t"))
        let update = try LeadUpdate(lead: LeadReference(id: "5811f6bbe6b4704ddfa84ac0"), changes: FieldChanges([(.standard("name"), "X")]))
        let updated = try await api.update(update)
        #expect(updated.value.name == "X")
        #expect(updated.value.userID == "77177570-cf5d-4f1a-bc75-75202af47d4f")
        await api.shutdown()

        let wrong = IntercomAPI(configuration: IntercomConfiguration(endpoint: endpoint, token: "not-t"))
        do {
            _ = try await wrong.fetch(id: "5811f6bbe6b4704ddfa84ac0")
            Issue.record("expected a 401")
        } catch {
            #expect(error.status == 401)
            #expect(error.code == "unauthorized")
        }
        await wrong.shutdown()

        program.signal(SIGTERM)
        #expect(await program.wait() == 0)
    }
}
