import Foundation
import LeadModel
import Session

/// Writes results to stdout and diagnostics to stderr, as text or JSON lines.
final class Printer: @unchecked Sendable {
    let json: Bool
    let style: Style
    private let lock = NSLock()
    /// Where notices go while a line editor owns the terminal (prints above the prompt).
    var noticeSink: (@Sendable (String) -> Void)?
    /// The API token, never printed: any output holding it has it replaced.
    var secret: String?

    init(json: Bool, style: Style) {
        self.json = json
        self.style = style
    }

    func result(_ output: CommandOutput) {
        lock.lock()
        defer { lock.unlock() }
        if json {
            writeOut(JSONText.serialize(output.json) + "\n")
        } else if !output.text.isEmpty {
            writeOut(output.text + "\n")
        }
        for notice in output.notices { writeNotice(notice) }
    }

    /// A failed command: `FILE:LINE: message` in scripts, `error: message` at a terminal.
    func failure(_ failure: CommandFailure, location: String?, line: Int?) {
        lock.lock()
        defer { lock.unlock() }
        if json {
            var error = JSONObject()
            error["code"] = .string(failure.code)
            error["message"] = .string(failure.message)
            error["line"] = line.map { .integer(Int64($0)) } ?? .null
            if let location { error["source"] = .string(location) }
            writeErr(JSONText.serialize(.object(JSONObject([("error", .object(error))]))) + "\n")
        } else if let location {
            writeErr("\(location)\(line.map { ":\($0)" } ?? ""): \(failure.message)\n")
        } else {
            writeErr(style.red("error:") + " \(failure.message)\n")
        }
    }

    func notice(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeNotice(text)
    }

    func plain(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeOut(text + "\n")
    }

    private func writeNotice(_ text: String) {
        if json {
            writeErr(JSONText.serialize(.object(JSONObject([("notice", .string(text))]))) + "\n")
        } else if let noticeSink {
            noticeSink(redacted(text))
        } else {
            writeErr(text + "\n")
        }
    }

    func writeOut(_ text: String) {
        StandardStreams.out(redacted(text))
    }

    func writeErr(_ text: String) {
        StandardStreams.err(redacted(text))
    }

    /// `text` with the token replaced, the last line of defence behind the session never
    /// putting it anywhere.
    private func redacted(_ text: String) -> String {
        guard let secret, !secret.isEmpty, text.contains(secret) else { return text }
        return text.replacingOccurrences(of: secret, with: "[token redacted]")
    }
}
