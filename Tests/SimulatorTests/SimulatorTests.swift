import Testing

@testable import ReplaySimulator

@Suite("The replay simulator")
struct SimulatorTests {
    @Test("placeholder")
    func placeholder() {}
}
