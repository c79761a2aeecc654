import Foundation
import LeadModel
import Session

/// Writes what the ``Presenter`` makes: results to stdout, failures and notices to stderr,
/// as text or JSON lines. The token is never written.
final class Printer: @unchecked Sendable {
    let json: Bool
    let presenter: Presenter
    private let lock = NSLock()
    /// Where notices go while a line editor owns the terminal (prints above the prompt).
    var noticeSink: (@Sendable (String) -> Void)?
    /// The API token, never printed: any output holding it has it replaced.
    var secret: String?
    private let out: any TextSink
    private let err: any TextSink

    init(json: Bool, style: Style, out: any TextSink, err: any TextSink) {
        self.json = json
        self.presenter = Presenter(style: style)
        self.out = out
        self.err = err
    }

    var style: Style { presenter.style }

    /// A command's result and its notices. `queue --json` is streamed a page at a time.
    /// Returns false when the result could not be written in full (reading the journal failed).
    @discardableResult
    func result(_ reply: Reply) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var complete = true
        var asJSON = json
        if case .leads(let list) = reply.result, list.json { asJSON = true }
        if json, case .queue(.stream(let cursor)) = reply.result {
            complete = stream(cursor)
        } else if asJSON {
            writeOut(JSONText.serialize(presenter.json(reply.result)) + "\n")
        } else {
            let text = presenter.text(reply.result)
            if !text.isEmpty { writeOut(text + "\n") }
        }
        for notice in reply.notices { writeNotice(presenter.text(notice)) }
        return complete && reply.failure == nil
    }

    /// The rows of `queue --json` as one array, written as they are read, so a journal of
    /// a million rows never sits in memory.
    private func stream(_ cursor: QueueCursor) -> Bool {
        var buffer = "["
        var first = true
        do {
            try cursor.forEach { entry in
                if !first { buffer += "," }
                first = false
                buffer += JSONText.serialize(Presenter.entryJSON(entry))
                if buffer.utf8.count >= 1 << 16 {
                    writeOut(buffer)
                    buffer = ""
                }
            }
        } catch {
            writeOut(buffer + "\n")
            writeFailure(CommandFailure(.journal, "reading the queue failed: \(error)"), location: nil, line: nil)
            return false
        }
        writeOut(buffer + "]\n")
        return true
    }

    /// A failed command: `FILE:LINE: message` in scripts, `error: message` at a terminal.
    func failure(_ failure: CommandFailure, location: String?, line: Int?) {
        lock.lock()
        defer { lock.unlock() }
        writeFailure(failure, location: location, line: line)
    }

    private func writeFailure(_ failure: CommandFailure, location: String?, line: Int?) {
        if json {
            writeErr(JSONText.serialize(presenter.failureJSON(failure, location: location, line: line)) + "\n")
        } else if let location {
            writeErr("\(location)\(line.map { ":\($0)" } ?? ""): \(presenter.message(failure))\n")
        } else {
            writeErr(style.red("error:") + " \(presenter.message(failure))\n")
        }
    }

    func notice(_ notice: Notice) {
        lock.lock()
        defer { lock.unlock() }
        writeNotice(presenter.text(notice))
    }

    func plain(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeOut(text + "\n")
    }

    /// A line of the shell's own on stderr (the quit warning).
    func warn(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        writeNotice(text)
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
        out.write(redacted(text))
    }

    func writeErr(_ text: String) {
        err.write(redacted(text))
    }

    /// `text` with the token replaced, the last line of defence behind the session never
    /// putting it anywhere.
    private func redacted(_ text: String) -> String {
        guard let secret, !secret.isEmpty else { return text }
        return text.replacingSecret(secret, with: "[token redacted]")
    }
}
