import Replayer

/// How the session reaches Intercom.
public enum SessionMode: String, Sendable {
    /// Talking to Intercom (or another base URL) with a token.
    case online
    /// Not sending: explicit (`offline`, `--offline`) or after the API was unreachable.
    case offline
}

/// The one owner of the connectivity policy: the mode, whether the API answered, when to
/// probe it again, and what the way a replay stopped means for all of these.
///
/// The session asks it before it replays by itself; the shell's background loop asks it
/// how long to wait. Nothing else changes the mode.
struct Connectivity: Sendable {
    private(set) var mode: SessionMode
    /// Whether the API answered the last time it was asked (nil: not asked yet, or a
    /// setting such as TLS refused before it could answer).
    private(set) var reachable: Bool?
    /// Why the last replay stopped for a setting (TLS, the proxy, the token, the API version):
    /// until a replay gets further, the session does not replay by itself, so it does not
    /// repeat the same refusal every few seconds. Commands (`sync`, `push`, `online`) still replay.
    private(set) var refusedSetting: String?
    /// The refusal's line once the token's app proved not to be the journal's: the token does
    /// not change, so every later send is refused the same way.
    private(set) var wrongApp: String?
    /// When the background loop looks next (Unix seconds), and probes if the API still does not
    /// answer; nil when no loop runs (a one-shot `leadsh sync`, a script).
    private(set) var nextWakeAt: Double?
    /// Probes that found the API still unreachable, for the probe's backoff.
    private var failedProbes = 0
    private let hasAPI: Bool
    private let probePolicy: BackoffPolicy

    init(startOffline: Bool, hasAPI: Bool, probePolicy: BackoffPolicy = .probe) {
        self.mode = startOffline || !hasAPI ? .offline : .online
        self.hasAPI = hasAPI
        self.probePolicy = probePolicy
    }

    /// The user chose `offline`: no probing, no replay until `online` or `sync`.
    mutating func chooseOffline() {
        mode = .offline
    }

    /// A command (`sync`) replays now, whatever the mode was.
    mutating func replayAsked() {
        if mode == .offline { mode = .online }
    }

    /// The API did not answer: offline, probing until it does.
    mutating func lost() {
        mode = .offline
        reachable = false
    }

    /// The API answered (even to refuse the call): online.
    mutating func answered() {
        reachable = true
        mode = .online
        failedProbes = 0
    }

    /// The API answered a read; the mode stays as it is.
    mutating func heardFrom() {
        reachable = true
    }

    /// TLS or the proxy refused: asking again cannot help until a setting changes.
    mutating func transportRefused(_ why: String) {
        reachable = nil
        refusedSetting = why
    }

    /// The journal and the token belong to different apps.
    mutating func wrongApp(_ line: String) {
        wrongApp = line
    }

    /// What a replay's stop means for the mode. Returns the notice to show, if any;
    /// `wrongAppLine` words the refusal when the stop was another app's token.
    mutating func absorb(_ stop: ReplayStop, wrongAppLine: (_ journalApp: String, _ tokenApp: String) -> String) -> Notice? {
        refusedSetting = nil
        switch stop {
        case .finished, .cancelled:
            return nil
        case .unreachable:
            lost()
        case .unauthorized(let why):
            reachable = true
            refusedSetting = why
        case .refused(let why):
            refusedSetting = why
        case .wrongApp(let journalApp, let tokenApp):
            wrongApp = wrongAppLine(journalApp, tokenApp)
        case .busy, .waiting, .journal:
            break
        }
        return .replayStopped(stop, wrongApp: wrongApp)
    }

    /// Whether the background loop should probe the API: offline because it did not answer.
    var wantsProbe: Bool { hasAPI && mode == .offline && reachable == false && wrongApp == nil }

    /// Whether the session may replay by itself (rows whose backoff ended): online, and no
    /// setting refused the last replay.
    var mayReplayByItself: Bool { hasAPI && mode == .online && refusedSetting == nil && wrongApp == nil }

    /// A probe found the API still unreachable.
    mutating func probeFailed() {
        failedProbes += 1
    }

    /// How long the background loop waits before it looks again: the probe's backoff while
    /// the API does not answer, else the probe policy's first step.
    var nextWake: Double {
        probePolicy.delay(afterAttempt: wantsProbe ? failedProbes + 1 : 1)
    }

    /// The background loop sleeps until `time`, then probes if the API still does not answer.
    mutating func wakes(at time: Double) {
        nextWakeAt = time
    }

    /// Why the session is offline, when the API did not answer: `cause` is the client's
    /// (``IntercomAPI/unreachableCause``), the next try the background loop's, if one runs.
    func offlineReason(cause: String?, now: Double) -> OfflineReason? {
        guard mode == .offline, reachable == false, let cause else { return nil }
        return OfflineReason(cause: cause, nextTryIn: nextWakeAt.map { max(0, $0 - now) })
    }
}

/// Why the session is offline: `connection refused by api.intercom.io:443`, and how long
/// until the probe asks again (nil: nothing probes in this process).
public struct OfflineReason: Sendable, Equatable {
    public var cause: String
    public var nextTryIn: Double?
}
