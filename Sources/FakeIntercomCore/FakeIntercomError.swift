/// Why the fake could not start or listen again.
public enum FakeIntercomError: Error, Sendable, CustomStringConvertible {
    /// ``FakeIntercom/shutdown()`` was called; the fake cannot listen again.
    case shutDown
    /// The server stopped before it was listening.
    case stoppedWhileStarting
    /// A list of leads (a seed file) is not a JSON array of contacts.
    case invalidLeads(String)
    /// The TLS certificate or key cannot be used.
    case invalidTLS(String)

    public var description: String {
        switch self {
        case .shutDown: "the fake Intercom is shut down"
        case .stoppedWhileStarting: "the fake Intercom stopped before it was listening"
        case .invalidLeads(let reason): "not a list of leads: \(reason)"
        case .invalidTLS(let reason): "cannot serve HTTPS: \(reason)"
        }
    }
}

/// The certificate and key (PEM files) the fake serves HTTPS with.
public struct FakeTLS: Sendable, Hashable {
    /// The server's certificate, optionally followed by its chain.
    public var certificatePath: String
    /// The certificate's private key.
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}
