import Foundation

/// A real HTTP proxy for tests: `tinyproxy` (Debian's `tinyproxy-bin`, which `scripts/bootstrap`
/// installs) on a loopback port, with its own config and log in a temp folder.
///
/// ```swift
/// let proxy = try await TinyProxy.start(credentials: ("alice", "secret"))
/// defer { proxy.stop() }
/// // HTTPS_PROXY=proxy.url(user: "alice", password: "secret") leadsh ...
/// // proxy.connects: the CONNECT lines it logged
/// ```
public final class TinyProxy: @unchecked Sendable {
    /// Where the program is installed.
    public static let path = "/usr/bin/tinyproxy"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    public let port: Int
    public let folder: TempDirectory
    private let process: Process

    private init(port: Int, folder: TempDirectory, process: Process) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// Starts tinyproxy on a free loopback port and waits until it accepts connections.
    ///
    /// - Parameters:
    ///   - credentials: when set, the proxy answers 407 unless `Proxy-Authorization` carries them.
    ///   - connectPorts: when set, `CONNECT` to any other port is refused with 403.
    public static func start(credentials: (user: String, password: String)? = nil, connectPorts: [Int] = []) async throws -> TinyProxy {
        let folder = TempDirectory("leadsh-proxy")
        let port = try freeLoopbackPort()
        var config = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            LogFile "\(folder.file("tinyproxy.log"))"
            LogLevel Connect
            MaxClients 50
            Allow 127.0.0.1

            """
        if let credentials { config += "BasicAuth \(credentials.user) \(credentials.password)\n" }
        for connectPort in connectPorts { config += "ConnectPort \(connectPort)\n" }
        folder.write("tinyproxy.conf", config)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-d", "-c", folder.file("tinyproxy.conf")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let proxy = TinyProxy(port: port, folder: folder, process: process)
        let deadline = ContinuousClock.now + .seconds(10)
        while !canConnect(port: port) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                proxy.stop()
                throw ProxyStartFailure(description: "tinyproxy did not start on port \(port): \(proxy.log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return proxy
    }

    /// `http://[user:password@]127.0.0.1:PORT`.
    public func url(user: String? = nil, password: String? = nil) -> String {
        let credentials = user.map { "\($0):\(password ?? "")@" } ?? ""
        return "http://\(credentials)127.0.0.1:\(port)"
    }

    /// Everything tinyproxy logged so far.
    public var log: String { contents(of: folder.file("tinyproxy.log")) ?? "" }

    /// The targets of the `CONNECT` requests it logged (`127.0.0.1:4443`), in order.
    public var connects: [String] {
        log.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "): CONNECT ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
    }

    /// Stops the proxy and waits for it. SIGKILL: tinyproxy may sit out a SIGTERM while
    /// connections are open, and it keeps nothing that needs flushing (its log is written per line).
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// tinyproxy could not be started.
public struct ProxyStartFailure: Error, CustomStringConvertible {
    public var description: String
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick, released at once).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ProxyStartFailure(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw ProxyStartFailure(description: "bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
