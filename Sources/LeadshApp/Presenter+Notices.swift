import Replayer
import Session

/// Notices as the one line each prints (stderr, or `{"notice": …}`).
extension Presenter {
    func text(_ notice: Notice) -> String {
        switch notice {
        case .unreachable(let detail, .workingOffline): return "API unreachable (\(detail)); working offline"
        case .unreachable(let detail, .showingCachedList): return "API unreachable (\(detail)); showing the cached list"
        case .usingCachedCopy(let fetchedAt, let now): return "offline: using the copy cached \(Words.age(now - fetchedAt)) ago"
        case .showingQueuedUpdates(let fresh): return "showing your queued updates on top of the \(fresh ? "fetched" : "cached") copy"
        case .cachedAttributes(let fetchedAt, let now): return "cached \(Words.age(now - fetchedAt)) ago"
        case .attributesUnreadable(let why): return "could not read the workspace's custom attributes: \(why)"
        case .attributesNotCached(let why): return "could not cache the workspace's custom attributes: \(why)"
        case .noTokenToSend: return "no token: set INTERCOM_TOKEN or pass --sandbox to send it"
        case .replayStopped(let stop, let wrongApp): return stopText(stop, wrongApp: wrongApp)
        case .transportRefused(let why): return "\(why); updates stay queued until this is fixed"
        case .reachableAgain(let sent, let pending, let then):
            return "API reachable again: sent \(sent), pending \(pending)" + tail(then)
        case .replayed(let sent, let failed, let conflicts, let then):
            var text = "replayed: sent \(sent)"
            if failed > 0 { text += ", failed \(failed)" }
            if conflicts > 0 { text += ", conflicts \(conflicts)" }
            return text + tail(then)
        case .searchedCache: return "offline: searched the cached leads, not Intercom"
        case .notReverted(let rows):
            let listed = rows.prefix(5).map { "#\($0.seq) \($0.state)" }.joined(separator: ", ") + (rows.count > 5 ? ", ..." : "")
            return "\(Words.plural(rows.count, "update")) of the range not sent, so not reverted: \(listed)"
        case .rowRefused(let file, let line, let message): return "\(file):\(line): \(message)"
        case .rateLimited(let until): return "rate limited; waiting until \(Words.clockTime(until))"
        case .offline(let reason): return Presenter.offlineText(reason)
        }
    }

    /// `offline: connection refused by api.intercom.io:443 (next try in 30 s)`: the one line
    /// the banner, `status` and `sync` give when the API did not answer.
    static func offlineText(_ reason: OfflineReason) -> String {
        var text = "offline: \(reason.cause)"
        if let wait = reason.nextTryIn { text += wait < 1 ? " (trying again now)" : " (next try in \(Int(wait.rounded(.up))) s)" }
        return text
    }

    /// `local clock 62 s behind Intercom`, when the offset is over 5 s (nil otherwise).
    static func clockText(_ offset: Double?) -> String? {
        guard let offset, abs(offset) > 5 else { return nil }
        return "local clock \(Int(abs(offset).rounded())) s \(offset > 0 ? "behind" : "ahead of") Intercom"
    }

    private func tail(_ notices: [Notice]) -> String {
        notices.isEmpty ? "" : "; " + notices.map(text).joined(separator: "; ")
    }

    private func stopText(_ stop: ReplayStop, wrongApp: String?) -> String {
        switch stop {
        case .finished, .cancelled: return ""
        case .unreachable(let why): return "API unreachable (\(why)); working offline, will replay when it answers"
        case .unauthorized(let why): return "Intercom refused the token: \(why); updates stay queued until the token is fixed"
        case .refused(let why): return "\(why); updates stay queued until this is fixed"
        case .wrongApp(let journalApp, let tokenApp): return wrongApp ?? "the journal belongs to app \(journalApp), the token to app \(tokenApp)"
        case .busy: return "a replay of this journal is under way (this shell's own, or another leadsh's); it will send the update"
        case .waiting(let until): return "some updates wait until \(Words.clockTime(until)) (backoff or rate limit)"
        case .journal(let line): return line
        }
    }
}
