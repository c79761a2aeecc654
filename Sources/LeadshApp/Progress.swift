import Foundation
import Replayer
import Session

/// An import's progress on a terminal: one line on stderr, redrawn at most five times a
/// second, cleared when the command ends.
final class ImportProgress: @unchecked Sendable {
    private let enabled: Bool
    private let sink: any TextSink
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool, sink: any TextSink) {
        self.enabled = enabled
        self.sink = sink
    }

    func draw(_ rows: Int) {
        draw(text: "importing: \(rows) rows read")
    }

    /// A search's line: leads listed so far, of how many.
    func draw(found: Int, of total: Int?) {
        draw(text: "finding: \(found)" + (total.map { " of \($0)" } ?? "") + " leads")
    }

    private func draw(text: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        drawn = true
        sink.write("\r\u{1B}[K" + text)
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        guard drawn else { return }
        drawn = false
        sink.write("\r\u{1B}[K")
    }
}

/// Replay progress on a terminal: done/total, rate, ETA; nothing when not a terminal.
final class Progress: @unchecked Sendable {
    private let enabled: Bool
    private let sink: any TextSink
    private let total: Int
    private let lock = NSLock()
    private var done = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var waitNote = ""

    init(enabled: Bool, total: Int, sink: any TextSink) {
        self.enabled = enabled && total > 30
        self.sink = sink
        self.total = total
    }

    func record(_ event: ReplayEvent) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .sent, .failed, .conflict: done += 1
        case .rateLimited(let until), .pacing(let until):
            waitNote = " (waiting for the rate window until \(Words.clockTime(until)))"
        case .retryLater, .followedMerge: break
        }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = now
        let elapsed = max(0.001, now.timeIntervalSince(started))
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Int(Double(total - done) / rate) : 0
        sink.write(String(format: "\r\u{1B}[K%d/%d  %.0f/s  ETA %ds%@", done, total, rate, eta, waitNote))
        if case .sent = event { waitNote = "" }
    }

    func finish() {
        guard enabled else { return }
        sink.write("\r\u{1B}[K")
    }
}
