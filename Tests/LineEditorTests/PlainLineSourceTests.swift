import LineEditor
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("PlainLineSource")
struct PlainLineSourceTests {
    /// Every result up to and including the first end of input.
    private func readAll(_ source: PlainLineSource) -> [LineReadResult] {
        var results: [LineReadResult] = []
        while true {
            let result = source.readLine(prompt: "ignored> ")
            results.append(result)
            if result == .endOfInput { return results }
        }
    }

    private func source(_ bytes: [UInt8]) throws -> PlainLineSource {
        let directory = TempDirectory()
        let path = directory.write("script.leadsh", bytes)
        // The source keeps the descriptor open; the directory may go.
        return try PlainLineSource(path: path)
    }

    @Test("LF and CRLF lines, blank lines kept")
    func splitsLines() throws {
        let lines = readAll(try source(Array("load 1\r\nshow\n\nset name \"A B\"\r\n".utf8)))
        #expect(lines == [.line("load 1"), .line("show"), .line(""), .line("set name \"A B\""), .endOfInput])
    }

    @Test("a last line without a newline is still a line")
    func readsUnterminatedLastLine() throws {
        #expect(readAll(try source(Array("show\npush".utf8))) == [.line("show"), .line("push"), .endOfInput])
        #expect(readAll(try source(Array("push\r".utf8))) == [.line("push"), .endOfInput])
    }

    @Test("bytes that are not UTF-8 become U+FFFD instead of failing")
    func decodesInvalidUTF8Lossily() throws {
        let lines = readAll(try source([0x61, 0xFF, 0x62, 0x0A, 0xC3, 0x0A, 0xC3, 0xA9, 0x0A]))
        #expect(lines == [.line("a\u{FFFD}b"), .line("\u{FFFD}"), .line("é"), .endOfInput])
    }

    @Test("an empty file ends at once, and keeps ending")
    func emptyFile() throws {
        let empty = try source([])
        #expect(empty.readLine(prompt: "") == .endOfInput)
        #expect(empty.readLine(prompt: "") == .endOfInput)
        #expect(empty.lineNumber == 0)
    }

    @Test("a byte order mark at the start is dropped")
    func dropsByteOrderMark() throws {
        #expect(readAll(try source([0xEF, 0xBB, 0xBF] + Array("show\n".utf8))) == [.line("show"), .endOfInput])
    }

    @Test("lineNumber counts the lines returned, for FILE:LINE messages")
    func countsLines() throws {
        let script = try source(Array("a\n\nb".utf8))
        _ = script.readLine(prompt: "")
        #expect(script.lineNumber == 1)
        _ = script.readLine(prompt: "")
        _ = script.readLine(prompt: "")
        #expect(script.lineNumber == 3)
        _ = script.readLine(prompt: "")
        #expect(script.lineNumber == 3)
        #expect(!script.isInteractive)
    }

    @Test("long lines across read chunks")
    func readsLongLines() throws {
        let long = String(repeating: "x", count: 200_000)
        #expect(readAll(try source(Array("\(long)\nshort\n".utf8))) == [.line(long), .line("short"), .endOfInput])
    }

    @Test("a missing script and a directory fail with clear errors")
    func reportsUnreadableScripts() throws {
        let directory = TempDirectory()
        let missing = try #require(throws: LineEditorError.self) {
            try PlainLineSource(path: directory.file("nope.leadsh"))
        }
        #expect(missing.isNotFound)
        #expect(missing.description.contains("nope.leadsh"))
        #expect(missing.description.contains("No such file"))

        let folder = try #require(throws: LineEditorError.self) { try PlainLineSource(path: directory.path) }
        #expect(folder.description.contains("is a directory"))
    }

    @Test("lines from a pipe, arriving in pieces")
    func readsFromPipe() throws {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        let source = PlainLineSource(fileDescriptor: fds[0], name: "<stdin>", closesDescriptor: true)
        #expect(source.name == "<stdin>")
        let writer = fds[1]
        for piece in ["lo", "ad 1\nsh", "ow\r", "\npush"] {
            _ = piece.utf8CString.withUnsafeBytes { write(writer, $0.baseAddress, $0.count - 1) }
        }
        close(writer)
        #expect(readAll(source) == [.line("load 1"), .line("show"), .line("push"), .endOfInput])
    }
}
