import IntercomClient
import Journal
import LeadModel
import Synchronization

/// What a replay is allowed to do.
public struct ReplayOptions: Sendable {
    /// Leads sent to at once; each lead has at most one request in flight.
    public var concurrency: Int
    /// How long (seconds) to wait through backoffs and rate-limit pauses before stopping.
    public var maxWait: Double
    /// Skip the re-read before sending (last writer wins).
    public var blind: Bool
    /// Re-read a lead before sending when its cached copy is older than this (seconds).
    public var conflictCheckAge: Double
    public var backoff: BackoffPolicy

    public init(concurrency: Int = 8, maxWait: Double = 0, blind: Bool = false, conflictCheckAge: Double = 5, backoff: BackoffPolicy = .replayRetry) {
        self.concurrency = max(1, concurrency)
        self.maxWait = maxWait
        self.blind = blind
        self.conflictCheckAge = conflictCheckAge
        self.backoff = backoff
    }
}

/// Why a replay stopped.
public enum ReplayStop: Sendable, Equatable {
    /// Nothing is left to send now.
    case finished
    /// The API could not be reached; everything stays pending.
    case unreachable(String)
    /// Intercom refused the token (401/403); everything stays pending.
    case unauthorized(String)
    /// A setting must change before anything can be sent (the API version the workspace
    /// refuses, the certificate trust, the proxy); everything stays pending.
    case refused(String)
    /// The token belongs to another app (workspace) than the journal or its updates:
    /// nothing is sent, everything stays pending, nothing counts as an attempt.
    case wrongApp(journal: String, token: String)
    /// Updates wait for a backoff or rate-limit window that ends after the allowed wait.
    case waiting(until: Double)
    /// Another replayer holds this journal.
    case busy
    case cancelled
    /// The journal could not record what happened: the line names the journal and the cause.
    /// Everything stays pending; a row sent but not recorded goes again with a later replay.
    case journal(String)

    /// The stop a ``StopCause`` of the failure policy makes, with the failure's words.
    init?(_ cause: StopCause, _ why: String) {
        switch cause {
        case .unreachable: self = .unreachable(why)
        case .unauthorized: self = .unauthorized(why)
        case .setting: self = .refused(why)
        case .journal: self = .journal(why)
        case .cancelled: self = .cancelled
        case .wrongApp: return nil
        }
    }
}

/// Something a replay did, for progress output.
public enum ReplayEvent: Sendable {
    case sent(JournalEntry, alreadyApplied: Bool)
    case failed(JournalEntry, String)
    case conflict(JournalEntry)
    case retryLater(JournalEntry, until: Double, String)
    /// The row's lead was merged away by leadsh: the row now goes to `user`, sent again.
    case followedMerge(JournalEntry, user: LeadReference)
    case rateLimited(until: Double)
    case pacing(until: Double)
}

/// What a replay did.
public struct ReplayReport: Sendable {
    public var sent = 0
    public var alreadyApplied = 0
    public var failed = 0
    public var conflicts = 0
    public var rateLimitedResponses = 0
    public var stop: ReplayStop = .finished
    public var counts = JournalCounts()

    public init() {}
}
