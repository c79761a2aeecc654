import Foundation

/// A throwaway certificate authority made with the `openssl` program at test time, and the
/// server certificates it issues. Nothing here is committed: every key lives in a temp folder.
///
/// ```swift
/// let ca = try TestCA()
/// let server = try ca.issue(names: ["127.0.0.1", "localhost"])
/// // FakeIntercomConfiguration.tls = FakeTLS(certificatePath: server.certificate, keyPath: server.key)
/// // leadsh --ca-file ca.certificate ...
/// ```
public final class TestCA: Sendable {
    /// The folder holding the CA's files and every certificate it issues.
    public let folder: TempDirectory
    /// The CA certificate (PEM): what `--ca-file` is given.
    public let certificate: String
    private let key: String
    private let name: String

    /// A certificate and its key, as PEM files.
    public struct Issued: Sendable {
        public var certificate: String
        public var key: String
    }

    /// Makes a new CA named `name`, valid from yesterday for ten days.
    public init(name: String = "leadsh test CA") throws {
        folder = TempDirectory("leadsh-ca")
        certificate = folder.file("ca.pem")
        key = folder.file("ca.key")
        self.name = name
        try TestCA.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "10", "-subj", "/CN=\(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        folder.write("index.txt", "")
        folder.write("serial", String(format: "%016llX\n", UInt64.random(in: 1...UInt64.max / 2)))
        folder.write(
            "ca.cnf",
            """
            [ ca ]
            default_ca = test_ca
            [ test_ca ]
            database = \(folder.file("index.txt"))
            new_certs_dir = \(folder.path)
            serial = \(folder.file("serial"))
            default_md = sha256
            policy = any_name
            unique_subject = no
            [ any_name ]
            commonName = supplied

            """)
    }

    /// Issues a server certificate for `names` (IP addresses and DNS names, the first one also its
    /// common name), valid between the two dates (default: from yesterday for ten days).
    public func issue(names: [String], notBefore: Date? = nil, notAfter: Date? = nil) throws -> Issued {
        let id = UUID().uuidString.prefix(8)
        let issued = Issued(certificate: folder.file("server-\(id).pem"), key: folder.file("server-\(id).key"))
        let request = folder.file("server-\(id).csr")
        try TestCA.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", issued.key, "-out", request, "-subj", "/CN=\(names.first ?? "server")",
        ])
        let alternativeNames = names.map { TestCA.isIPAddress($0) ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        let extensions = folder.write(
            "server-\(id).ext",
            """
            basicConstraints = CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = \(alternativeNames)

            """)
        let start = notBefore ?? Date().addingTimeInterval(-86_400)
        let end = notAfter ?? start.addingTimeInterval(10 * 86_400)
        try TestCA.openssl([
            "ca", "-batch", "-notext", "-config", folder.file("ca.cnf"), "-cert", certificate, "-keyfile", key,
            "-in", request, "-out", issued.certificate, "-extfile", extensions,
            "-startdate", TestCA.asn1Time(start), "-enddate", TestCA.asn1Time(end),
        ])
        return issued
    }

    /// `20240131235959Z`, the form `openssl ca -startdate` takes.
    static func asn1Time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Runs `openssl` with `arguments`; throws with its output when it fails.
    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailure(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
    }
}

/// The `openssl` program failed.
public struct OpenSSLFailure: Error, CustomStringConvertible {
    public var description: String
}
