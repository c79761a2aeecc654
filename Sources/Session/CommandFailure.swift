import IntercomClient
import LeadModel
import Replayer

/// The exit codes for every mode: the codes themselves and a failure's are the
/// ``FailurePolicy``'s (`Replayer`); scripts and `sync` add their rules here.
public typealias ExitCode = ExitStatus

extension ExitStatus {
    /// The exit code of a run that stopped at this failure.
    public static func of(_ failure: CommandFailure) -> Int32 { failure.code.exitCode }

    /// The exit code of a script or `-c` run: the largest exit code its failures ask for
    /// (1 for most, 2 for another app's token or a bad option, 3 for the journal), 2 when
    /// the token proved to belong to another app than the journal (a setting must change).
    public static func afterScript(failures: Int, worst: Int32, wrongApp: Bool) -> Int32 {
        if wrongApp { return usage }
        guard failures > 0 else { return success }
        return max(commandFailed, worst)
    }

    /// The exit code of `leadsh sync` once the replay stopped: failed or conflicting rows
    /// first, then rows still pending, else success.
    public static func afterSync(_ report: SyncReport) -> Int32 {
        if report.failedTotal + report.conflictTotal > 0 { return failed }
        if report.pending > 0 { return pending }
        return success
    }
}

/// A command that failed: one stable code from ``FailureCode`` and one line that names
/// the problem and what to do.
///
/// `--json` users read the code (`{"error": {"code": …}}`), so every code leadsh makes is
/// listed once, in ``FailureCode``; an error code of Intercom's own (`not_found`,
/// `intercom_version_invalid`, `http_503`) is passed through as ``FailureCode/intercom``
/// with its name kept.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public let code: FailureCode
    /// Intercom's code when `code` is ``FailureCode/intercom``.
    public let intercomCode: String?
    public let message: String
    /// Leads the message refers to (`several_matches` lists them under the message).
    public let candidates: [Contact]
    /// The dialect that names the candidates' `user_id` column.
    public let dialect: Dialect

    public init(_ code: FailureCode, _ message: String, listing candidates: [Contact] = [], dialect: Dialect = .v1) {
        self.code = code
        self.intercomCode = nil
        self.message = message
        self.candidates = candidates
        self.dialect = dialect
    }

    /// A failure Intercom named (its first error's code, or `http_STATUS`).
    public static func intercom(_ code: String, _ message: String) -> CommandFailure {
        CommandFailure(code: .intercom, intercomCode: code, message: message)
    }

    /// A failure of a call Intercom refused: its first error's code, or `http_STATUS` when it sent none.
    static func intercom(_ error: IntercomError, _ message: String) -> CommandFailure {
        .intercom(error.code ?? "http_\(error.status ?? 0)", message)
    }

    private init(code: FailureCode, intercomCode: String?, message: String) {
        self.code = code
        self.intercomCode = intercomCode
        self.message = message
        self.candidates = []
        self.dialect = .v1
    }

    /// The code as `--json` prints it.
    public var name: String { intercomCode ?? code.rawValue }

    public var description: String { message }
}

/// Every failure code leadsh reports, with its exit code and what it means. The README's
/// table of codes is checked against this list by a test.
public enum FailureCode: String, CaseIterable, Sendable {
    // The line itself.
    case unknownCommand = "unknown_command"
    case invalidCommand = "invalid_command"
    case invalidUTF8 = "invalid_utf8"
    case tokenInLine = "token_in_line"
    case secretVariable = "secret_variable"
    case usage
    case notHere = "not_here"
    case needsTerminal = "needs_terminal"
    case editor
    // Scripts.
    case sourceDepth = "source_depth"
    case cannotRead = "cannot_read"
    case unpushedEdits = "unpushed_edits"
    case cancelled
    // The lead and its edits.
    case noLead = "no_lead"
    case emailCannotIdentify = "email_cannot_identify"
    case notFound = "not_found"
    case severalMatches = "several_matches"
    case notCached = "not_cached"
    case noSuchField = "no_such_field"
    case invalidAttribute = "invalid_attribute"
    case invalidValue = "invalid_value"
    case unknownAttribute = "unknown_attribute"
    case archivedAttribute = "archived_attribute"
    case attributeType = "attribute_type"
    case nothingToPush = "nothing_to_push"
    case invalidUpdate = "invalid_update"
    // Imports.
    case importFile = "import_file"
    case rowsRefused = "rows_refused"
    case exportFile = "export_file"
    // The outbox.
    case failed
    case conflict
    case noSuchUpdate = "no_such_update"
    case invalidState = "invalid_state"
    case notInConflict = "not_in_conflict"
    // Reaching Intercom.
    case noToken = "no_token"
    case unreachable
    case tls
    case proxy
    case wrongApp = "wrong_app"
    case intercom
    // leadsh itself.
    case journal
    case `internal`

    /// The process's exit code when a run stops at this failure.
    public var exitCode: Int32 {
        switch self {
        case .usage, .wrongApp: return ExitCode.usage
        case .journal: return ExitCode.journal
        default: return ExitCode.commandFailed
        }
    }

    /// What the code means, for the README's table.
    public var meaning: String {
        switch self {
        case .unknownCommand: return "the line's first word is not a command (a suggestion follows when one is near)"
        case .invalidCommand: return "a command's arguments are wrong; the usage follows"
        case .invalidUTF8: return "the line is not UTF-8 text; nothing was run"
        case .tokenInLine: return "the line holds the Intercom token; it was not run, kept or printed"
        case .secretVariable: return "a script tried to expand $INTERCOM_TOKEN"
        case .usage: return "an option's value is wrong"
        case .notHere: return "a shell-only command reached the session"
        case .needsTerminal: return "`edit` opens an editor, so it runs only on a terminal, not in a script"
        case .editor: return "`edit`: the editor could not start, failed, or its file could not be written or read; nothing changed"
        case .sourceDepth: return "`source` nested more than 16 deep"
        case .cannotRead: return "`source` could not read the script"
        case .unpushedEdits: return "edits not pushed: `load` refused, or a script ended with them"
        case .cancelled: return "Ctrl-C stopped the command"
        case .noLead: return "no lead loaded"
        case .emailCannotIdentify: return "an email alone cannot name a lead for update"
        case .notFound: return "no lead matches"
        case .severalMatches: return "several leads match; they are listed and none is loaded"
        case .notCached: return "offline, and the lead (or the attribute list) was never read"
        case .noSuchField: return "`show FIELD`: the lead has no such field"
        case .invalidAttribute: return "a custom attribute name Intercom refuses"
        case .invalidValue: return "a value Intercom refuses (too long, nested, …)"
        case .unknownAttribute: return "2.x: the workspace has no such custom attribute"
        case .archivedAttribute: return "2.x: the custom attribute is archived"
        case .attributeType: return "2.x: the value does not fit the attribute's type"
        case .nothingToPush: return "`push` with no edits"
        case .invalidUpdate: return "the update cannot be sent in this API version"
        case .importFile: return "the import file cannot be read, or its header names no lead column or an unknown field (`FILE:1:`)"
        case .rowsRefused: return "rows of an import were refused (each printed as `FILE:LINE:`); the others were journaled"
        case .exportFile: return "`export` could not write the file, or a column it was asked for cannot be written"
        case .failed: return "Intercom refused the update for good; it is kept as failed"
        case .conflict: return "the lead changed in Intercom since it was loaded"
        case .noSuchUpdate: return "no update with that number"
        case .invalidState: return "the update is not in a state the command works on"
        case .notInConflict: return "`resolve` on an update not in conflict"
        case .noToken: return "the command needs a token (or --sandbox)"
        case .unreachable: return "`online`: the API still does not answer"
        case .tls: return "TLS refused the connection (certificate, trust)"
        case .proxy: return "the proxy refused or failed"
        case .wrongApp: return "the journal belongs to another app than the token"
        case .intercom: return "Intercom's own error code, passed through (`not_found`, `http_503`, …)"
        case .journal: return "the journal could not be read or written"
        case .internal: return "a bug in leadsh; please report it"
        }
    }
}
