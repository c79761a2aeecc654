import TestSupport
import Testing

@testable import LineEditor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("HistoryFile")
struct HistoryFileTests {
    @Test("a new file is 0600 even under umask 0, in new 0700 directories")
    func createsPrivateFile() throws {
        let directory = TempDirectory()
        let path = directory.file("state/leadsh/history")
        let history = HistoryFile(path: path)

        let previous = umask(0)
        defer { umask(previous) }
        try history.append("show")
        umask(previous)

        #expect(permissions(of: path) == 0o600)
        #expect(permissions(of: directory.file("state")) == 0o700)
        #expect(permissions(of: directory.file("state/leadsh")) == 0o700)
        #expect(contents(of: path) == "show\n")
    }

    @Test("an existing file readable by others is made 0600 on append")
    func tightensExistingFile() throws {
        let directory = TempDirectory()
        let path = directory.write("history", "load 1\n")
        _ = chmod(path, 0o644)
        try HistoryFile(path: path).append("show")
        #expect(permissions(of: path) == 0o600)
        #expect(contents(of: path) == "load 1\nshow\n")
    }

    @Test("load keeps the last occurrence of each entry, oldest first, and compacts the file")
    func deduplicatesKeepingLast() throws {
        let directory = TempDirectory()
        let path = directory.write("history", "load a\nshow\nload a\ndiff\nshow\n")
        _ = chmod(path, 0o600)
        let history = HistoryFile(path: path)

        #expect(try history.load() == ["load a", "diff", "show"])
        #expect(contents(of: path) == "load a\ndiff\nshow\n")
        #expect(permissions(of: path) == 0o600)
    }

    @Test("a file without duplicates is left alone")
    func leavesCompactFileAlone() throws {
        let directory = TempDirectory()
        let path = directory.write("history", "load a\nshow\n")
        var before = stat()
        stat(path, &before)
        #expect(try HistoryFile(path: path).load() == ["load a", "show"])
        var after = stat()
        stat(path, &after)
        #expect(before.st_ino == after.st_ino)
    }

    @Test("load keeps only the newest entries up to the limit and rewrites the file")
    func limitsAndCompacts() throws {
        let directory = TempDirectory()
        let path = directory.file("history")
        let history = HistoryFile(path: path, limit: 3)
        for line in ["one", "two", "three", "four", "five"] { try history.append(line) }
        #expect(contents(of: path) == "one\ntwo\nthree\nfour\nfive\n")

        #expect(try history.load() == ["three", "four", "five"])
        #expect(contents(of: path) == "three\nfour\nfive\n")
        #expect(permissions(of: path) == 0o600)
        #expect(directory.names() == ["history"])
    }

    @Test("lines starting with a space, blank lines and secrets are not recorded")
    func skipsLinesThatMustNotBeRecorded() throws {
        let directory = TempDirectory()
        let path = directory.file("history")
        let history = HistoryFile(path: path)
        for line in [" attr note private", "", "   ", "\t", "set token abc", "Authorization: Bearer x"] {
            try history.append(line)
        }
        #expect(contents(of: path) == nil)
        try history.append("show")
        #expect(contents(of: path) == "show\n")
    }

    @Test(
        "mayRecord",
        arguments: [
            ("show", true),
            ("attr plan \"pro\"", true),
            (" show", false),
            ("", false),
            ("  \t ", false),
            ("export INTERCOM_TOKEN=abc", false),
            ("set name Token Ring", false),
            ("AUTHORIZATION", false),
            ("bearer abc", false),
            ("attr password x", false),
        ])
    func mayRecord(line: String, expected: Bool) {
        #expect(HistoryFile.mayRecord(line) == expected)
    }

    @Test("a repeat of the last entry is not appended again")
    func skipsImmediateRepeat() throws {
        let directory = TempDirectory()
        let path = directory.file("history")
        let history = HistoryFile(path: path)
        try history.append("show")
        try history.append("show")
        try history.append("diff")
        try history.append("show")
        #expect(contents(of: path) == "show\ndiff\nshow\n")
    }

    @Test("entries with newlines and backslashes survive a round trip")
    func escapesRoundTrip() throws {
        let directory = TempDirectory()
        let path = directory.file("history")
        let history = HistoryFile(path: path)
        let entries = ["attr note \"two\nlines\"", #"attr path "C:\new\table""#, "ends with \\", "cr\r\nlf"]
        for entry in entries { try history.append(entry) }

        #expect(contents(of: path)?.split(separator: "\n").count == entries.count)
        #expect(try history.load() == entries)
        // A repeat is recognised in its escaped form too.
        try history.append(entries[3])
        #expect(try history.load() == entries)
    }

    @Test("escape and unescape", arguments: ["plain", "a\nb", #"back\slash"#, #"\n literal"#, "\r", "\\"])
    func escapeIsReversible(entry: String) {
        let escaped = HistoryFile.escape(entry)
        #expect(!escaped.contains("\n") && !escaped.contains("\r"))
        #expect(HistoryFile.unescape(escaped) == entry)
    }

    @Test("an unknown escape in the file is kept as written")
    func keepsUnknownEscapes() {
        #expect(HistoryFile.unescape(#"a\tb\"#) == #"a\tb\"#)
    }

    @Test("a missing file loads as empty, and CRLF lines load without the CR")
    func loadsMissingAndCRLF() throws {
        let directory = TempDirectory()
        #expect(try HistoryFile(path: directory.file("none")).load() == [])
        let path = directory.write("history", "show\r\ndiff\r\n")
        #expect(try HistoryFile(path: path).load() == ["show", "diff"])
    }

    @Test("appending after a last line without newline starts a new line")
    func appendsAfterUnterminatedLine() throws {
        let directory = TempDirectory()
        let path = directory.write("history", "show")
        try HistoryFile(path: path).append("diff")
        #expect(contents(of: path) == "show\ndiff\n")
    }

    @Test("a history path under a regular file fails with a clear error")
    func reportsUncreatableDirectory() throws {
        let directory = TempDirectory()
        directory.write("file", "x")
        let history = HistoryFile(path: directory.file("file/history"))
        let error = try #require(throws: LineEditorError.self) { try history.append("show") }
        #expect(error.description.contains("cannot create directory"))
        #expect(error.path == directory.file("file"))
    }
}
