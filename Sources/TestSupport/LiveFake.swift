import FakeIntercom

/// Runs `body` against a started ``FakeIntercom``, shutting it down afterwards whether `body` succeeds or throws.
///
/// ```swift
/// try await withFakeIntercom { fake in
///     fake.inject(.serverError)
///     // ... a client pointed at fake.baseURL ...
/// }
/// ```
public func withFakeIntercom<T>(
    _ configuration: FakeIntercomConfiguration = .init(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (FakeIntercom) async throws -> T
) async throws -> T {
    let fake = FakeIntercom(configuration: configuration)
    try await fake.start()
    do {
        // The test's client side on threads of its own too (``DispatchExecutor``): its requests
        // have real timeouts, which a test hogging the two-thread pool must not run out.
        let result = try await withTaskExecutorPreference(clientExecutor, isolation: isolation) { try await body(fake) }
        await fake.shutdown()
        return result
    } catch {
        await fake.shutdown()
        throw error
    }
}

/// The threads the tests' side of a live fake runs on (``withFakeIntercom(_:isolation:_:)``).
private let clientExecutor = DispatchExecutor(label: "tests.client")
