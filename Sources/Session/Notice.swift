import Replayer

/// Something worth telling the user beside a command's result (stderr, or `{"notice": …}`).
public enum Notice: Sendable, Equatable {
    /// The API did not answer; the session works offline.
    case unreachable(detail: String, then: UnreachableFallback)
    /// Offline: the lead comes from the journal's copy fetched at this time.
    case usingCachedCopy(fetchedAt: Double, now: Double)
    /// The lead is shown with the user's queued updates applied.
    case showingQueuedUpdates(fresh: Bool)
    /// The attribute list came from the journal, read at this time.
    case cachedAttributes(fetchedAt: Double, now: Double)
    /// Reading the workspace's custom attributes failed (not for the network).
    case attributesUnreadable(String)
    /// The workspace's custom attributes were read but could not be kept in the journal.
    case attributesNotCached(String)
    /// The update was journaled with no token to send it.
    case noTokenToSend
    /// A replay stopped early; what it means for the mode was already applied.
    case replayStopped(ReplayStop, wrongApp: String?)
    /// TLS or the proxy refused the probe: nothing will be sent until a setting changes.
    case transportRefused(String)
    /// The API answers again and the journal was replayed (background).
    case reachableAgain(sent: Int, pending: Int, then: [Notice])
    /// Rows whose backoff ended were replayed (background).
    case replayed(sent: Int, failed: Int, conflicts: Int, then: [Notice])
    /// `find`/`load email=` searched the journal's cache, not Intercom.
    case searchedCache
    /// A row of an import file was refused; nothing of it was journaled.
    case rowRefused(file: String, line: Int, message: String)
    /// Rows of a `revert` range that were not sent, so not reverted: sequence and state.
    case notReverted([NotReverted])
    /// A rate limit holds the replay until this time (interactive).
    case rateLimited(until: Double)
    /// The session is offline because the API did not answer: why, and when it tries again.
    case offline(OfflineReason)

    /// A row `revert` left alone.
    public struct NotReverted: Sendable, Equatable {
        public var seq: Int64
        public var state: String
    }

    /// What the session does after the API did not answer.
    public enum UnreachableFallback: Sendable, Equatable {
        case workingOffline
        case showingCachedList
    }
}
