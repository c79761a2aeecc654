import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// What one command did: a typed result for the presenter, and notices for stderr.
///
/// The session never formats text, JSON or colour; ``CommandResult`` says what happened
/// and the app's presenter decides how it reads.
public struct Reply: Sendable {
    public var result: CommandResult
    public var notices: [Notice]
    /// Set when the command did its work in part and still failed (an import with refused
    /// rows): the result is printed, then the failure, and the command counts as failed.
    public var failure: CommandFailure?

    public init(_ result: CommandResult, notices: [Notice] = [], failure: CommandFailure? = nil) {
        self.result = result
        self.notices = notices
        self.failure = failure
    }
}

/// The result of each command.
public enum CommandResult: Sendable {
    case loaded(LoadResult)
    case lead(LeadView)
    case field(FieldView)
    case edited(EditResult)
    case changes(ChangeList)
    case discarded(count: Int)
    case preview(PushPreview)
    case pushed(PushOutcome)
    case queue(QueuePage)
    case synced(SyncReport)
    /// `online`: the probe answered and the journal was replayed.
    case online(SyncReport)
    case offline
    case requeued(RequeueResult)
    case dropped(JournalEntry)
    case conflicts([JournalEntry])
    case resolved(ResolveResult)
    case status(StatusReport)
    case help(HelpResult)
    case attributes([DataAttribute])
    /// `find email=`: the leads with that email.
    case found(FoundLeads)
    /// `load found`: how many leads are now selected.
    case selected(count: Int)
    /// `set`/`attr`/`unset`/`unattr` on a selection.
    case selectionEdited(key: FieldKey, value: JSONValue, leads: Int)
    /// `diff` on a selection.
    case selectionChanges(SelectionDiff)
    /// `push` (or `push --dry-run`) on a selection.
    case selectionPushed(SelectionPush)
    /// `leads`: the cached leads.
    case leads(LeadList)
    /// `import FILE`: what was journaled (and sent, when online).
    case imported(ImportReport)
    /// `export FILE`: what was written.
    case exported(ExportReport)
    /// `revert SEQ[..SEQ]`: the inverses queued.
    case reverted([Reverted])
    /// `history`: lines of the history, numbered from `firstNumber`.
    case history([String], firstNumber: Int)
    /// `history --as-script`: the session's commands that changed something.
    case script([String])
    /// `tag`/`untag`: the names, on the lead (`leads` nil) or on each lead of the selection.
    case tagged(names: [String], add: Bool, leads: Int?)
    /// `tags`: the lead's tags.
    case tagList(TagListView)
    /// `notes`: the lead's notes.
    case notes(NoteListView)
}

/// `load`: the lead now being edited.
public struct LoadResult: Sendable {
    public var lead: Contact
    public var fresh: Bool
    public var fetchedAt: Double
}

/// `show`: the lead with the unpushed edits applied.
public struct LeadView: Sendable {
    /// The lead as last loaded (with queued updates applied).
    public var loaded: Contact
    /// `loaded` with the unpushed edits applied.
    public var shown: Contact
    public var edits: FieldChanges
    public var fetchedAt: Double
    /// `show --all`: every field, empty ones too, as Intercom sent them.
    public var everything = false
}

/// `show FIELD`.
public struct FieldView: Sendable {
    public var key: FieldKey
    public var value: JSONValue
    /// The value before the unpushed edit, when there is one.
    public var was: JSONValue?
    public var pending: Bool
}

/// `set`, `attr`, `unset`, `unattr`.
public struct EditResult: Sendable {
    public var key: FieldKey
    public var old: JSONValue?
    public var new: JSONValue
    /// False when the field already had the value.
    public var changed: Bool
}

/// One unpushed edit against the value it replaces.
public struct Change: Sendable {
    public var key: FieldKey
    public var old: JSONValue?
    public var new: JSONValue
}

/// `diff`: the unpushed edits of the current lead.
public struct ChangeList: Sendable {
    public var leadID: String
    public var changes: [Change]
    /// Unpushed `tag` and `untag` edits.
    public var tags = TagChanges()

    public var isEmpty: Bool { changes.isEmpty && tags.isEmpty }
}

/// `push --dry-run`: the call that would be made.
public struct PushPreview: Sendable {
    public var method: String
    public var path: String
    public var body: JSONObject
    public var apiVersion: APIVersion
    public var changes: ChangeList
}

/// `push`: where the journaled update stands.
public struct PushOutcome: Sendable {
    public var entry: JournalEntry
    public var merged: Bool
    public var unsent: Int
    /// Why a pending update was not sent yet.
    public var waiting: Waiting?

    public enum Waiting: Sendable {
        case noToken
        case offline
        /// Retried in this many seconds, after this error.
        case retry(after: Double, lastError: String)
        case queued
    }
}

/// `queue`: one page of rows as text, or every row streamed as JSON.
public enum QueuePage: Sendable {
    /// A page: the rows, whether `--all` was asked, and how many more rows there are.
    case page(entries: [JournalEntry], all: Bool, more: Int, now: Double)
    /// Every row (or the first `limit`), read from the journal a page at a time while printed.
    case stream(QueueCursor)
}

/// The outbox rows `queue --json` prints, read a page at a time as they are written out,
/// so a journal of a million rows never sits in memory.
public struct QueueCursor: Sendable {
    let journal: Journal
    public let all: Bool
    public let limit: Int?

    /// Calls `body` with each row in sequence order.
    public func forEach(_ body: (JournalEntry) throws -> Void) throws {
        if let limit {
            for entry in try journal.entries(all: all, limit: limit) { try body(entry) }
        } else {
            try journal.forEachEntry(all: all, body)
        }
    }
}

/// `sync` (and the replay `online` starts): what the replay did and how it stopped.
public struct SyncReport: Sendable {
    public var sent: Int
    public var alreadyApplied: Int
    public var failed: Int
    public var conflicts: Int
    public var pending: Int
    public var stop: ReplayStop
    /// Failed and conflicting rows in the whole journal, for the exit code.
    public var failedTotal: Int
    public var conflictTotal: Int
    /// Why the session is offline after the replay, when the API did not answer.
    public var offline: OfflineReason? = nil
}

/// `retry`: the row requeued, and its state after the replay that followed (when online).
public struct RequeueResult: Sendable {
    public var entry: JournalEntry
    public var after: UpdateState?
}

/// `resolve`.
public struct ResolveResult: Sendable {
    public var seq: Int64
    public var resolution: Resolution
    /// Nothing of ours was left: the row was dropped.
    public var dropped: Bool
    public var after: UpdateState?
}

/// `status`.
public struct StatusReport: Sendable {
    public var mode: SessionMode
    public var label: String
    public var baseURL: String?
    public var apiVersion: APIVersion
    public var dialect: Dialect
    public var reachable: Bool?
    public var journalPath: String
    public var counts: JournalCounts
    public var journalApp: String?
    public var tokenApp: IntercomApp?
    public var leadID: String?
    public var unpushedEdits: Int
    /// Why the session is offline, when the API did not answer.
    public var offline: OfflineReason? = nil
    /// Intercom's clock minus this machine's, in seconds, from the answers' `Date` (nil: no answer yet).
    public var clockOffset: Double? = nil
}

/// `help` and `help COMMAND`.
public struct HelpResult: Sendable {
    /// The command asked about; nil for the overview.
    public var spec: CommandSpec?
    public var dialect: Dialect
}

/// `find email=E`.
public struct FoundLeads: Sendable {
    public var search: LeadSearch
    /// The fields the conditions named, shown after id, external id, name and email.
    public var columns: [FieldKey]
    public var rows: [FoundRow]
    /// Offline: the journal's cache was searched, not Intercom.
    public var fromCache: Bool
    public var dialect: Dialect
    /// How many contacts Intercom said match (`total_count`), when it said.
    public var total: Int?
    /// `--limit` stopped the search before its last page.
    public var limited = false

    /// The fields a search's table shows besides the usual four: each one its conditions name.
    static func columns(for search: LeadSearch) -> [FieldKey] {
        let usual: Set<FieldKey> = [.standard("id"), .standard("name"), .standard("email"), .standard("external_id"), .standard("user_id")]
        var columns: [FieldKey] = []
        for condition in search.conditions {
            guard let key = condition.field.key, !usual.contains(key), !columns.contains(key) else { continue }
            columns.append(key)
        }
        return columns
    }
}

/// One lead `find` listed: what its table shows, not the whole lead (a search of many
/// thousands keeps only these in memory; the leads themselves are in the journal's cache).
public struct FoundRow: Sendable, Hashable {
    public var id: String
    public var userID: String?
    public var name: String?
    public var email: String?
    /// The value of each of ``FoundLeads/columns``, in order.
    public var values: [JSONValue?]

    init(_ lead: Contact, columns: [FieldKey]) {
        id = lead.id
        userID = lead.userID
        name = lead.name
        email = lead.email
        values = columns.map { key in
            if case .standard(let name) = key { return SearchCondition.standardValue(name, of: lead) }
            return lead.value(of: key)
        }
    }
}

/// `leads [FILTER]`.
public struct LeadList: Sendable {
    public var leads: [LeadSummary]
    public var now: Double
    /// `leads --json`: one array, whatever the output mode.
    public var json: Bool
}

/// `import FILE`: the summary.
public struct ImportReport: Sendable {
    public var file: String
    public var dryRun: Bool
    /// Rows journaled now (or, in a dry run, that would be).
    public var imported = 0
    /// Of those, rows merged into a lead's pending update.
    public var merged = 0
    /// Rows journaled by an earlier run of the same file.
    public var alreadyImported = 0
    public var refused = 0
    /// Rows with nothing to change (every cell empty).
    public var unchanged = 0
    /// Rows journaled for leads not in the cache: no base for conflict detection.
    public var withoutBase = 0
    /// The line of the refused row the import stopped at (`--on-error stop`).
    public var stoppedAt: Int?
    /// The export the file came back from (its `id@<export id>` column), or nil.
    public var exportID: String?
    /// The replay that followed, when online.
    public var sync: SyncReport?
}

/// One reverted update and the update that undoes it.
public struct Reverted: Sendable {
    public var original: Int64
    public var inverse: JournalEntry
    /// The inverse's state after the replay that followed (when online).
    public var after: UpdateState?
}

/// One field of a selection's `diff`: how many leads it changes, and from what.
public struct SelectionChange: Sendable {
    public var key: FieldKey
    public var new: JSONValue
    /// Leads whose value changes.
    public var changing = 0
    /// Leads that hold the new value already.
    public var unchanged = 0
    /// The values it replaces, each with how many leads hold it, most common first once
    /// ``sortedOld`` is read; nil is "no value".
    private var old: [JSONValue?: Int] = [:]

    init(key: FieldKey, new: JSONValue) {
        self.key = key
        self.new = new
    }

    mutating func count(old value: JSONValue?) { old[value, default: 0] += 1 }

    /// The replaced values, most common first (then by text, for a stable order).
    public var sortedOld: [(value: JSONValue?, count: Int)] {
        old.map { (value: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : ($0.value.map(JSONText.serialize) ?? "") < ($1.value.map(JSONText.serialize) ?? "")
        }
    }

    /// Whether a lead's value (nil: none) is already the new one.
    static func same(_ old: JSONValue?, _ new: JSONValue) -> Bool {
        guard let old else { return new == .null }
        return old == new
    }
}

/// `diff` of a selection.
public struct SelectionDiff: Sendable {
    /// Selected leads read from the cache.
    public var leads: Int
    /// Selected leads no longer cached (left out).
    public var missing: Int
    public var fields: [SelectionChange]
    /// Per tag name of the unpushed `tag`/`untag` edits: how many leads it changes.
    public var tags: [SelectionTagChange] = []
}

/// A `tag` or `untag` on a selection: how many leads change, how many already are so.
public struct SelectionTagChange: Sendable {
    public var name: String
    public var add: Bool
    public var changing = 0
    public var unchanged = 0
}

/// A call `push --dry-run` shows.
public struct PushBody: Sendable {
    public var method: String
    public var path: String
    public var body: JSONObject
}

/// `push` of a selection: what was journaled (and sent, when online).
public struct SelectionPush: Sendable {
    public var leads: Int
    public var dryRun: Bool
    /// Updates journaled (or, in a dry run, that would be): one per lead that changes.
    public var journaled = 0
    /// Of those, merged into a lead's pending update.
    public var merged = 0
    /// Leads that hold every new value already: nothing journaled for them.
    public var unchanged = 0
    /// Selected leads no longer cached.
    public var missing = 0
    /// The rows journaled, for `revert` (merged rows keep their older numbers).
    public var seqs: ClosedRange<Int64>?
    /// A dry run's first three calls.
    public var bodies: [PushBody] = []
    /// The replay that followed, when online.
    public var sync: SyncReport?

    init(leads: Int, dryRun: Bool) {
        self.leads = leads
        self.dryRun = dryRun
    }
}

/// `export FILE`: the file written and the export it records.
public struct ExportReport: Sendable {
    public var file: String
    /// The id the file's first column names (`id@<export id>`).
    public var exportID: String
    /// The header as written.
    public var columns: [String]
    public var leads: Int
    /// Whether the leads were the selection (`load found`), not the cached leads.
    public var fromSelection: Bool
    /// Leads of the selection no longer cached, so not written.
    public var notCached: Int
}
