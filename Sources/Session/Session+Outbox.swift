import CommandParser
import Journal
import LeadModel
import Replayer

/// The outbox commands: `queue`, `sync`, `retry`, `drop`, `conflicts`, `resolve`.
extension Session {
    /// `queue`: as text, one page of rows (read as one page, so a journal of a million rows
    /// costs no more than a small one) and how many more; as JSON, every row (or `limit`),
    /// streamed by the presenter.
    func queue(all: Bool, limit: Int?) throws(CommandFailure) -> Reply {
        if settings.jsonOutput {
            return Reply(.queue(.stream(queueCursor(all: all, limit: limit))))
        }
        let page = limit ?? settings.queuePage
        let entries = try journalCall { try journal.entries(all: all, limit: page) }
        var more = 0
        if entries.count == page {
            let counts = try journalCall { try journal.counts() }
            let total =
                all
                ? counts.byState.values.reduce(0, +)
                : counts.byState.filter { $0.key != .sent && $0.key != .dropped }.values.reduce(0, +)
            more = max(0, total - entries.count)
        }
        return Reply(.queue(.page(entries: entries, all: all, more: more, now: clock.now())))
    }

    /// The rows `queue --json` lists, for `leadsh queue --json` to stream.
    public nonisolated func queueCursor(all: Bool, limit: Int?) -> QueueCursor {
        QueueCursor(journal: journal, all: all, limit: limit)
    }

    /// Replays the journal now, waiting up to `wait` seconds through backoffs and rate limits.
    public func sync(blind: Bool, wait: Double) async throws(CommandFailure) -> Reply {
        guard let replayer else {
            throw CommandFailure(.noToken, "no token: set INTERCOM_TOKEN or pass --sandbox")
        }
        connectivity.replayAsked()
        let report = await replayer.drain(ReplayOptions(maxWait: wait, blind: blind), onEvent: onReplayEvent)
        let notices = absorb(report.stop)
        if case .wrongApp = report.stop, let wrongApp = connectivity.wrongApp { throw CommandFailure(.wrongApp, wrongApp) }
        if case .journal(let line) = report.stop {
            let sent = report.sent + report.alreadyApplied
            throw CommandFailure(.journal, line + (sent > 0 ? "; \(sent) recorded as sent before it stopped" : ""))
        }
        if case .finished = report.stop { connectivity.heardFrom() }
        try refreshCurrent()
        let counts = try journalCall { try journal.counts() }
        return Reply(
            .synced(
                SyncReport(
                    sent: report.sent, alreadyApplied: report.alreadyApplied, failed: report.failed, conflicts: report.conflicts,
                    pending: report.counts.unsent, stop: report.stop, failedTotal: counts[.failed], conflictTotal: counts[.conflict],
                    offline: offlineReason())),
            notices: notices)
    }

    func retry(_ seq: Int64) async throws(CommandFailure) -> Reply {
        let entry = try journalCall { try journal.retry(seq: seq, now: clock.now()) }
        guard connectivity.mode == .online else { return Reply(.requeued(RequeueResult(entry: entry, after: nil))) }
        let replay = try await replayNow(readingBack: seq)
        return Reply(.requeued(RequeueResult(entry: entry, after: replay.entry?.state)), notices: replay.notices)
    }

    func drop(_ seq: Int64) throws(CommandFailure) -> Reply {
        Reply(.dropped(try journalCall { try journal.drop(seq: seq, now: clock.now()) }))
    }

    func conflicts() throws(CommandFailure) -> Reply {
        var entries: [JournalEntry] = []
        try journalCall {
            try journal.forEachEntry { entry in
                if entry.state == .conflict { entries.append(entry) }
            }
        }
        return Reply(.conflicts(entries))
    }

    func resolve(_ seq: Int64, _ resolution: Resolution) async throws(CommandFailure) -> Reply {
        guard let entry = try journalCall({ try journal.entry(seq: seq) }) else {
            throw CommandFailure(.noSuchUpdate, "no update #\(seq) in the journal (see `queue --all`)")
        }
        guard entry.state == .conflict, let theirs = entry.theirs else {
            throw CommandFailure(.notInConflict, "update #\(seq) is \(entry.state.rawValue), not in conflict")
        }
        var changes = entry.changes
        var base = entry.base
        switch resolution {
        case .mine:
            // Ours wins: treat the server's values as the base so the re-read lets them through.
            for (key, value) in theirs { base[key] = value }
        case .theirs:
            for (key, _) in theirs {
                changes[key] = nil
                base[key] = nil
            }
        }
        if changes.isEmpty {
            _ = try journalCall { try journal.drop(seq: seq, now: clock.now()) }
            return Reply(.resolved(ResolveResult(seq: seq, resolution: resolution, dropped: true, after: .dropped)))
        }
        try journalCall { try journal.requeueResolved(seq: seq, changes: changes, base: base, now: clock.now()) }
        guard connectivity.mode == .online else {
            return Reply(.resolved(ResolveResult(seq: seq, resolution: resolution, dropped: false, after: nil)))
        }
        let replay = try await replayNow(readingBack: seq)
        return Reply(.resolved(ResolveResult(seq: seq, resolution: resolution, dropped: false, after: replay.entry?.state)), notices: replay.notices)
    }
}
