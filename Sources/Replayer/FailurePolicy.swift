import IntercomClient
import Journal
import LeadModel

/// The process exit codes DESIGN promises (`Session` calls them `ExitCode` and adds the rules
/// for scripts and `sync`). What decides them for a failure is the ``FailurePolicy``.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// A command failed (a script stops at it unless `--on-error continue`).
    public static let commandFailed: Int32 = 1
    /// Bad usage or a setting that must change before anything can work.
    public static let usage: Int32 = 2
    /// The journal cannot be opened or written.
    public static let journal: Int32 = 3
    /// `sync` ended with updates still pending.
    public static let pending: Int32 = 4
    /// `sync` ended with failed or conflicting updates.
    public static let failed: Int32 = 5
}

/// Every kind of failure leadsh can meet on the way from the journal to Intercom: the
/// network, Intercom's answers, the settings, and the journal itself.
public enum FailureKind: String, CaseIterable, Sendable {
    /// No connection: refused, DNS, no route, or a connect that timed out.
    case unreachable
    /// Connected, but no whole answer within the request timeout.
    case timeout
    /// The connection closed mid-response: the request may have taken effect.
    case connectionLost = "connection_lost"
    /// A success status with a body that is not Intercom's.
    case invalidResponse = "invalid_response"
    case requestTimeout = "http_408"
    case rateLimited = "http_429"
    case serverError = "http_5xx"
    case badRequest = "http_400"
    case unauthorized = "http_401"
    case forbidden = "http_403"
    case notFound = "http_404"
    case httpConflict = "http_409"
    case gone = "http_410"
    case unprocessable = "http_422"
    /// Any other 4xx.
    case otherClientError = "http_4xx"
    /// `400 intercom_version_invalid`: the workspace refuses the API version.
    case versionRefused = "version_refused"
    /// TLS refused the server (trust, expiry, name, handshake).
    case tls
    /// The proxy refused or failed to carry the call.
    case proxy
    /// The update cannot be said in the sending dialect; nothing was sent.
    case unsendable
    /// The token belongs to another app than the journal.
    case wrongApp = "wrong_app"
    /// The re-read found the lead changed in Intercom since it was loaded.
    case remoteChange = "remote_change"
    /// The user stopped the command (Ctrl-C) or the process is ending.
    case cancelled
    /// The journal's file system is full.
    case journalFull = "journal_full"
    /// The journal's disk failed a read or write.
    case journalIO = "journal_io"
    /// Another process held the journal's write lock past the busy timeout.
    case journalBusy = "journal_busy"
    /// Any other failure to read or write the journal.
    case journalOther = "journal_other"
}

/// What a failure does to the row being sent and to the replay.
public enum Disposition: Sendable, Hashable {
    /// Send the row again after the retry backoff; it counts as an attempt, and after the
    /// last attempt the row fails.
    case retry
    /// Hold every request until the rate-limit window resets; not an attempt.
    case wait
    /// Stop the whole replay and keep everything pending; not an attempt.
    case stop(StopCause)
    /// Fail this row for good, with Intercom's code and message.
    case fail
    /// Keep the row as a conflict, for `resolve`.
    case conflict
}

/// Why a replay stops with everything kept pending.
public enum StopCause: Sendable, Hashable {
    /// The API does not answer: go offline and probe.
    case unreachable
    /// Intercom refused the token.
    case unauthorized
    /// A setting must change first (TLS trust, the proxy, the API version).
    case setting
    /// The token is another app's.
    case wrongApp
    /// The journal cannot record what happens.
    case journal
    /// The user or the process stopped it.
    case cancelled
}

/// One row of the policy: what a kind of failure does and how `sync` exits because of it.
public struct FailureRule: Sendable, Hashable {
    public var kind: FailureKind
    public var disposition: Disposition
    /// Whether the failed send counts against the row's attempts.
    public var countsAsAttempt: Bool
    /// The exit code of a `sync` that ends on this failure (a retried row that runs out of
    /// attempts fails, and `sync` then exits 5).
    public var exitCode: Int32
    /// What happens, for the README's table.
    public var effect: String
}

/// The one failure policy: every error the client, the transport or the journal can raise
/// maps here, and only here, to what happens to the row, the replay and the exit code.
///
/// The replayer, the app check, the shell's background replay and probe, `load`, `online`,
/// `status` and the exit codes all read it. The README's table is checked against ``rules``
/// by a test.
public enum FailurePolicy {
    /// The rule for a kind of failure.
    public static func rule(for kind: FailureKind) -> FailureRule {
        switch kind {
        case .unreachable, .timeout:
            return FailureRule(
                kind: kind, disposition: .stop(.unreachable), countsAsAttempt: false, exitCode: ExitStatus.pending,
                effect: "stop, keep everything pending, go offline and probe until the API answers")
        case .connectionLost, .invalidResponse, .requestTimeout, .serverError:
            return FailureRule(
                kind: kind, disposition: .retry, countsAsAttempt: true, exitCode: ExitStatus.pending,
                effect: "send the row again after a backoff (full jitter, 1 s doubling to 10 min); failed after 8 attempts")
        case .rateLimited:
            return FailureRule(
                kind: kind, disposition: .wait, countsAsAttempt: false, exitCode: ExitStatus.pending,
                effect: "hold every request until the window resets (X-RateLimit-Reset or Retry-After, plus jitter), kept in the journal")
        case .unauthorized:
            return FailureRule(
                kind: kind, disposition: .stop(.unauthorized), countsAsAttempt: false, exitCode: ExitStatus.pending,
                effect: "stop, keep everything pending, tell the user to fix the token")
        case .forbidden:
            return FailureRule(
                kind: kind, disposition: .stop(.unauthorized), countsAsAttempt: false, exitCode: ExitStatus.pending,
                effect: "stop, keep everything pending: the token lacks a permission")
        case .versionRefused, .tls, .proxy:
            return FailureRule(
                kind: kind, disposition: .stop(.setting), countsAsAttempt: false, exitCode: ExitStatus.pending,
                effect: "stop, keep everything pending, name the setting to change")
        case .badRequest, .notFound, .httpConflict, .gone, .unprocessable, .otherClientError, .unsendable:
            return FailureRule(
                kind: kind, disposition: .fail, countsAsAttempt: true, exitCode: ExitStatus.failed,
                effect: "fail the row at once, keeping Intercom's code and message")
        case .remoteChange:
            return FailureRule(
                kind: kind, disposition: .conflict, countsAsAttempt: true, exitCode: ExitStatus.failed,
                effect: "keep the row as a conflict, for `resolve SEQ mine|theirs`")
        case .wrongApp:
            return FailureRule(
                kind: kind, disposition: .stop(.wrongApp), countsAsAttempt: false, exitCode: ExitStatus.usage,
                effect: "stop before sending anything, keep everything pending")
        case .cancelled:
            return FailureRule(
                kind: kind, disposition: .stop(.cancelled), countsAsAttempt: false, exitCode: ExitStatus.pending,
                effect: "stop, keep everything pending")
        case .journalFull, .journalIO, .journalBusy, .journalOther:
            return FailureRule(
                kind: kind, disposition: .stop(.journal), countsAsAttempt: false, exitCode: ExitStatus.journal,
                effect: "stop at once, name the journal and the cause; a row sent but not recorded is sent again by a later sync")
        }
    }

    /// Every rule, in the order of ``FailureKind``.
    public static var rules: [FailureRule] { FailureKind.allCases.map(rule(for:)) }

    /// The kind of a failed call to Intercom.
    public static func kind(of error: IntercomError) -> FailureKind {
        switch error.kind {
        case .unreachable: return .unreachable
        case .timeout: return .timeout
        case .connectionLost: return .connectionLost
        case .invalidResponse: return .invalidResponse
        case .cancelled: return .cancelled
        case .invalidRequest: return .unsendable
        case .tls: return .tls
        case .proxy: return .proxy
        case .http:
            switch error.status ?? 0 {
            case 400 where error.code == "intercom_version_invalid": return .versionRefused
            case 400: return .badRequest
            case 401: return .unauthorized
            case 403: return .forbidden
            case 404: return .notFound
            case 408: return .requestTimeout
            case 409: return .httpConflict
            case 410: return .gone
            case 422: return .unprocessable
            case 429: return .rateLimited
            case 500...: return .serverError
            default: return .otherClientError
            }
        }
    }

    /// The kind of a failed journal read or write.
    public static func kind(of error: JournalError) -> FailureKind {
        switch error.cause {
        case .diskFull: return .journalFull
        case .ioError: return .journalIO
        case .busy: return .journalBusy
        case nil: return .journalOther
        }
    }

    /// The rule for a failed call to Intercom.
    public static func rule(for error: IntercomError) -> FailureRule { rule(for: kind(of: error)) }

    /// The rule for a failed send of a row of kind `row`: the kind's rule, with two rules of
    /// the row kinds beyond fields.
    /// - A row that must not be sent twice (a note, a merge: ``OutboxKind/isIdempotent``)
    ///   counts a send whose outcome is unknown (no whole answer in time, or cancelled
    ///   mid-request) as an attempt, so its next send first checks whether this one landed.
    /// - A 403 on a tags or note row (a token without that permission) fails that row; the
    ///   updates go on. A 403 on an update still stops the replay.
    public static func rule(for error: IntercomError, row: OutboxKind) -> FailureRule {
        var rule = rule(for: error)
        switch (rule.kind, row) {
        case (.timeout, _) where !row.isIdempotent, (.cancelled, _) where !row.isIdempotent:
            rule.countsAsAttempt = true
        case (.forbidden, .tags), (.forbidden, .note):
            rule.disposition = .fail
            rule.countsAsAttempt = true
            rule.exitCode = ExitStatus.failed
            rule.effect = "fail the row, naming the permission the token lacks; the other rows go on"
        default:
            break
        }
        return rule
    }

    /// The rule for a failed journal read or write.
    public static func rule(for error: JournalError) -> FailureRule { rule(for: kind(of: error)) }
}
