#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The persistent history: one file, mode 0600, one entry per line, oldest first.
///
/// An entry that contains a newline is stored escaped (`\n`, with backslashes doubled) and
/// unescaped by ``load()``. Appends go to the file at once; ``load()`` keeps the file
/// compact, rewriting it (atomically, through a temporary file in the same directory)
/// when it holds duplicates, more than ``limit`` entries, or lines that should not be there.
/// Two shells may share one file: appends and rewrites take an exclusive `flock`.
public struct HistoryFile: Sendable {
    /// The file's path.
    public let path: String
    /// How many entries ``load()`` keeps: the newest ones.
    public let limit: Int

    /// A history file at `path`; nothing is created until the first ``append(_:)`` or ``load()``.
    public init(path: String, limit: Int = 1000) {
        self.path = path
        self.limit = max(1, limit)
    }

    /// Whether `line` may go into the history.
    ///
    /// False for empty or blank lines, lines starting with a space (the way to keep one
    /// command out of the history), and lines that look as if they carry a secret: any
    /// line containing `token`, `authorization`, `bearer`, `password` or `secret`, in any case.
    public static func mayRecord(_ line: String) -> Bool {
        guard let first = line.unicodeScalars.first, first != " " else { return false }
        guard line.contains(where: { !$0.isWhitespace }) else { return false }
        let lowered = line.lowercased()
        return !secretWords.contains { lowered.contains($0) }
    }

    private static let secretWords = ["token", "authorization", "bearer", "password", "secret"]

    // MARK: Loading

    /// The entries, oldest first: each distinct entry once (at its last position), at most
    /// ``limit`` of them. An absent file gives no entries.
    ///
    /// - Throws: ``LineEditorError`` when the file exists but cannot be read, or needed
    ///   compacting and could not be rewritten.
    public func load() throws -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return [] }
            throw LineEditorError.readHistory(path, errno: errno)
        }
        defer { close(fd) }
        lockExclusively(fd)

        let lines = Self.splitLines(try readToEnd(fd))
        let entries = Self.compact(lines.map(Self.unescape), limit: limit)
        if entries.count != lines.count {
            try rewrite(entries)
        }
        return entries
    }

    /// Keeps the last occurrence of each recordable entry, then the newest `limit`.
    static func compact(_ entries: [String], limit: Int) -> [String] {
        var seen = Set<String>()
        var newestFirst: [String] = []
        for entry in entries.reversed() where mayRecord(entry) && !seen.contains(entry) {
            seen.insert(entry)
            newestFirst.append(entry)
            if newestFirst.count == limit { break }
        }
        return newestFirst.reversed()
    }

    // MARK: Appending

    /// Appends `line` to the file, unless ``mayRecord(_:)`` rejects it or it repeats the
    /// file's last entry. Creates the file (0600) and its missing directories (0700).
    ///
    /// - Throws: ``LineEditorError`` when the file cannot be created or written.
    public func append(_ line: String) throws {
        guard Self.mayRecord(line) else { return }
        let fd = try openForAppending()
        defer { close(fd) }
        let (lastEntry, endsWithNewline) = lastLine(fd)
        if lastEntry.map(Self.unescape) == line { return }
        var text = endsWithNewline ? "" : "\n"
        text += Self.escape(line) + "\n"
        let code = POSIX.writeAll(fd, Array(text.utf8))
        if code != 0 { throw LineEditorError.writeHistory(path, errno: code) }
    }

    /// Opens the file for appending under an exclusive lock, creating it and its directory.
    ///
    /// Reopens when a concurrent ``load()`` replaced the file while this one waited for the lock.
    private func openForAppending() throws -> Int32 {
        try createParentDirectories()
        for _ in 0..<5 {
            let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            if fd < 0 { throw LineEditorError.writeHistory(path, errno: errno) }
            lockExclusively(fd)
            var opened = stat()
            var current = stat()
            if fstat(fd, &opened) == 0, stat(path, &current) == 0, opened.st_ino == current.st_ino,
                opened.st_dev == current.st_dev
            {
                if opened.st_mode & 0o777 != 0o600 { _ = fchmod(fd, 0o600) }
                return fd
            }
            close(fd)
        }
        throw LineEditorError.writeHistory(path, errno: EAGAIN)
    }

    /// The file's last line (escaped form, nil when the file is empty) and whether the file ends
    /// with a newline. Looks at the last 64 KiB only.
    private func lastLine(_ fd: Int32) -> (String?, Bool) {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return (nil, true) }
        let size = Int(info.st_size)
        let count = min(size, 65_536)
        var tail = [UInt8](repeating: 0, count: count)
        let got = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(size - count)) }
        guard got == count else { return (nil, true) }
        let endsWithNewline = tail.last == UInt8(ascii: "\n")
        var body = tail[...]
        if endsWithNewline { body = body.dropLast() }
        if body.last == UInt8(ascii: "\r") { body = body.dropLast() }
        guard let start = body.lastIndex(of: UInt8(ascii: "\n")).map({ $0 + 1 }) ?? (count == size ? 0 : nil)
        else { return (nil, endsWithNewline) }
        return (String(decoding: body[start...], as: UTF8.self), endsWithNewline)
    }

    // MARK: Rewriting

    private func rewrite(_ entries: [String]) throws {
        let directory = Self.directory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? "history"
        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw LineEditorError.writeHistory(temporary, errno: errno) }
        _ = fchmod(fd, 0o600)
        let text = entries.map { Self.escape($0) + "\n" }.joined()
        var code = POSIX.writeAll(fd, Array(text.utf8))
        if code == 0 && fsync(fd) != 0 { code = errno }
        close(fd)
        if code == 0 && rename(temporary, path) != 0 { code = errno }
        if code != 0 {
            unlink(temporary)
            throw LineEditorError.writeHistory(path, errno: code)
        }
    }

    private func createParentDirectories() throws {
        let directory = Self.directory(of: path)
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) == 0 {
                _ = chmod(prefix, 0o700)
                continue
            }
            let code = errno
            var info = stat()
            if code == EEXIST, stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
            throw LineEditorError.createDirectory(prefix, errno: code == EEXIST ? ENOTDIR : code)
        }
    }

    private func readToEnd(_ fd: Int32) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw LineEditorError.readHistory(path, errno: errno)
            }
            bytes += chunk[..<count]
        }
    }

    private func lockExclusively(_ fd: Int32) {
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }

    // MARK: Format

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The file's lines, without terminators (LF or CRLF); blank lines are kept.
    static func splitLines(_ bytes: [UInt8]) -> [String] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { line in
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            return String(decoding: trimmed, as: UTF8.self)
        }
    }

    /// One entry as one line: backslash, newline and carriage return escaped.
    static func escape(_ entry: String) -> String {
        var result = ""
        result.reserveCapacity(entry.utf8.count)
        for scalar in entry.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The inverse of ``escape(_:)``; an unknown escape is kept as it is.
    static func unescape(_ line: String) -> String {
        guard line.contains("\\") else { return line }
        var result = ""
        var scalars = line.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalars.next() {
            case "\\": result += "\\"
            case "n": result += "\n"
            case "r": result += "\r"
            case let other?:
                result += "\\"
                result.unicodeScalars.append(other)
            case nil: result += "\\"
            }
        }
        return result
    }
}
