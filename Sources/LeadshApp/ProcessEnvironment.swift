#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's environment variables, read from `environ` the way Foundation's
/// `ProcessInfo.environment` reads them (each `NAME=value` split at its first `=`, entries
/// without one skipped, the last of a repeated name kept), without setting up `ProcessInfo`.
public enum ProcessEnvironment {
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        let first: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var entry = first else { return result }
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let delimiter = text.firstIndex(of: "=") {
                result[String(text[..<delimiter])] = String(text[text.index(after: delimiter)...])
            }
            entry += 1
        }
        return result
    }
}
