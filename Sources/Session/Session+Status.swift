import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// `offline`, `online`, `status`, `help`, and the background work of an interactive shell:
/// probing an unreachable API and replaying rows whose backoff ended.
extension Session {
    func goOffline() -> Reply {
        connectivity.chooseOffline()
        return Reply(.offline)
    }

    func goOnline() async throws(CommandFailure) -> Reply {
        guard let api else { throw CommandFailure(.noToken, "no token: set INTERCOM_TOKEN or pass --sandbox") }
        do {
            _ = try await api.probe()
        } catch {
            switch probed(error) {
            case .unreachable: throw CommandFailure(.unreachable, "still offline: \(error.description)")
            case .refusedSetting: throw CommandFailure(error.kind == .tls ? .tls : .proxy, "cannot go online: \(error.description)")
            case .answered: throw .intercom(error, "the API answered but refused: \(error.description)")
            }
        }
        connectivity.answered()
        let synced = try await sync(blind: settings.blind, wait: 0)
        guard case .synced(let report) = synced.result else { return synced }
        return Reply(.online(report), notices: synced.notices)
    }

    /// How long the shell's background loop waits before ``backgroundTick()``: the probe's
    /// backoff while the API does not answer.
    public func backgroundWait() -> Double {
        let wait = connectivity.nextWake
        connectivity.wakes(at: clock.now() + wait)
        return wait
    }

    /// The interactive shell's first look at the API, before its banner: a probe, unless the
    /// session starts offline. Returns the notice the banner adds: why the session is offline
    /// (with the probe's next try), or the setting that refused.
    public func checkAtStart() async -> Notice? {
        guard let api, connectivity.mode == .online else { return nil }
        do {
            _ = try await api.probe()
        } catch {
            switch probed(error) {
            case .unreachable:
                connectivity.wakes(at: clock.now() + connectivity.nextWake)
                return offlineReason().map(Notice.offline)
            case .refusedSetting: return .transportRefused(error.description)
            case .answered: return nil
            }
        }
        connectivity.answered()
        return nil
    }

    /// Why the session is offline, when the API did not answer, and when the probe tries again.
    func offlineReason() -> OfflineReason? {
        connectivity.offlineReason(cause: api?.unreachableCause, now: clock.now())
    }

    /// The background loop's step: probe the API when it was unreachable (and replay when it
    /// answers), else send rows whose backoff has ended. Returns a notice when something changed.
    public func backgroundTick() async -> Notice? {
        if connectivity.wantsProbe { return await probeAndReplay() }
        return await replayDue()
    }

    /// Probes the API when offline (not by choice) and replays when it answers.
    private func probeAndReplay() async -> Notice? {
        guard let api, let replayer, connectivity.wantsProbe else { return nil }
        do {
            _ = try await api.probe()
        } catch {
            switch probed(error) {
            case .unreachable: return nil
            case .refusedSetting: return .transportRefused(error.description)
            // It answered (perhaps 401): reachable, and the replay will say why it stops.
            case .answered: break
            }
        }
        connectivity.answered()
        let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
        let notes = absorb(report.stop)
        try? refreshCurrent()
        return .reachableAgain(sent: report.sent, pending: report.counts.unsent, then: notes)
    }

    /// What a failed probe (`GET /me`) says of the connection, by the failure policy.
    private enum Probed { case unreachable, refusedSetting, answered }

    /// Notes what a failed probe means for the connectivity: the API did not answer, a transport
    /// setting (TLS, the proxy) refused, or the API answered, if only to refuse.
    private func probed(_ error: IntercomError) -> Probed {
        switch FailurePolicy.rule(for: error).disposition {
        case .stop(.unreachable):
            if connectivity.wantsProbe { connectivity.probeFailed() } else { connectivity.lost() }
            return .unreachable
        case .stop(.setting) where error.isTransportRefusal:
            connectivity.transportRefused(error.description)
            return .refusedSetting
        default:
            connectivity.answered()
            return .answered
        }
    }

    /// Sends rows whose backoff has ended, when online. Returns a notice when anything was sent.
    private func replayDue() async -> Notice? {
        guard let replayer, connectivity.mayReplayByItself else { return nil }
        guard let next = try? journal.nextAttemptTime(), next <= clock.now() else { return nil }
        let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
        let notes = absorb(report.stop)
        guard report.sent + report.failed + report.conflicts > 0 || !notes.isEmpty else { return nil }
        try? refreshCurrent()
        return .replayed(sent: report.sent, failed: report.failed, conflicts: report.conflicts, then: notes)
    }

    func status() throws(CommandFailure) -> Reply {
        let counts = try journalCall { try journal.counts() }
        let journalApp = try journalCall { try journal.appID() }
        return Reply(
            .status(
                StatusReport(
                    mode: api == nil ? .offline : connectivity.mode, label: settings.label,
                    baseURL: api?.configuration.endpoint.baseURL, apiVersion: apiVersion, dialect: dialect,
                    reachable: connectivity.reachable, journalPath: journal.path, counts: counts,
                    journalApp: journalApp, tokenApp: api?.cachedApp,
                    leadID: current?.view.id, unpushedEdits: edits.count, offline: offlineReason(), clockOffset: api?.clockOffset)))
    }

    func help(_ topic: String?) throws(CommandFailure) -> Reply {
        guard let topic else { return Reply(.help(HelpResult(spec: nil, dialect: dialect))) }
        // The parser refuses unknown topics with a suggestion; this guards direct callers.
        guard let spec = CommandSpec.named(topic) else {
            throw CommandFailure(.unknownCommand, "no help for \"\(topic)\"")
        }
        return Reply(.help(HelpResult(spec: spec, dialect: dialect)))
    }
}
