#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file the line editor needed could not be read or written.
///
/// The description names the file and the system's reason, for example
/// `cannot open script 'edits.leadsh': No such file or directory`.
public struct LineEditorError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable {
        case openScript
        case scriptIsDirectory
        case readHistory
        case writeHistory
        case createDirectory
    }

    private let kind: Kind
    /// The file or directory concerned.
    public let path: String
    /// The `errno` value behind the failure, or 0 when there was none.
    public let code: Int32

    private init(_ kind: Kind, path: String, code: Int32) {
        self.kind = kind
        self.path = path
        self.code = code
    }

    static func openScript(_ path: String, errno code: Int32) -> Self { Self(.openScript, path: path, code: code) }
    static func scriptIsDirectory(_ path: String) -> Self { Self(.scriptIsDirectory, path: path, code: EISDIR) }
    static func readHistory(_ path: String, errno code: Int32) -> Self { Self(.readHistory, path: path, code: code) }
    static func writeHistory(_ path: String, errno code: Int32) -> Self { Self(.writeHistory, path: path, code: code) }
    static func createDirectory(_ path: String, errno code: Int32) -> Self {
        Self(.createDirectory, path: path, code: code)
    }

    /// True when the file does not exist.
    public var isNotFound: Bool { code == ENOENT }

    public var description: String {
        let reason = String(cString: strerror(code))
        switch kind {
        case .openScript: return "cannot open script '\(path)': \(reason)"
        case .scriptIsDirectory: return "cannot read script '\(path)': it is a directory"
        case .readHistory: return "cannot read history file '\(path)': \(reason)"
        case .writeHistory: return "cannot write history file '\(path)': \(reason)"
        case .createDirectory: return "cannot create directory '\(path)': \(reason)"
        }
    }
}
