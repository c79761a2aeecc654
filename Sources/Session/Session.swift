import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// The settings a session starts with.
public struct SessionSettings: Sendable {
    /// Shown in the prompt and `status`: `sandbox`, `online`, a workspace's name.
    public var label: String
    public var startOffline: Bool
    /// Merge a push into the lead's still-pending update.
    public var coalesce: Bool
    /// How long `sync` may wait through backoffs and rate limits.
    public var syncWait: Double
    public var blind: Bool
    /// Results are printed as JSON: `queue` then lists every row.
    public var jsonOutput = false
    /// How many rows `queue` lists as text when not told: a screenful on a terminal.
    public var queuePage = 1000
    /// The API version every request names; with no token, it still decides the dialect of edits.
    public var apiVersion: APIVersion = .default
    /// What an import does at a refused row when the command does not say (`--on-error`).
    public var importOnError: ImportErrorPolicy = .stop
    /// How old (seconds) the cached list of custom attributes may be before `load` reads it again.
    public var attributesMaxAge: Double = 3600
    /// What to use instead when the journal belongs to one app and the token to another:
    /// given the journal's app and the token's, the end of the refusal's one line.
    public var appAdvice: @Sendable (_ journalApp: String, _ tokenApp: String) -> String = { journalApp, tokenApp in
        "use app \(journalApp)'s token with this journal, or another journal for app \(tokenApp) (--journal PATH or -w WORKSPACE)"
    }

    public init(label: String = "online", startOffline: Bool = false, coalesce: Bool = true, syncWait: Double = 30, blind: Bool = false) {
        self.label = label
        self.startOffline = startOffline
        self.coalesce = coalesce
        self.syncWait = syncWait
        self.blind = blind
    }
}

/// The lead being edited.
public struct LoadedLead: Sendable {
    /// The lead as the user sees it: last fetched copy plus their own unsent updates.
    public var view: Contact
    /// Unix seconds when the underlying copy was fetched.
    public var fetchedAt: Double
}

/// The state of one shell: the loaded lead, its unpushed edits, the connectivity, and what
/// each command does. Commands return typed ``Reply`` values; the session never reads
/// input or writes output, and never formats either.
///
/// What each command does lives in a file named for its concern: `Session+Load`,
/// `Session+Edit`, `Session+Push`, `Session+Outbox`, `Session+Attributes`,
/// `Session+Status`; the connectivity policy in ``Connectivity``.
public actor Session {
    let journal: Journal
    /// Nil when no token is configured: commands that need the API fail clearly.
    let api: IntercomAPI?
    let replayer: Replayer?
    let clock: any WallClock
    public let settings: SessionSettings
    /// The dialect of the API version in use: which fields `set` takes, how updates are sent.
    public nonisolated let dialect: Dialect
    var connectivity: Connectivity
    public internal(set) var current: LoadedLead?
    /// Unpushed edits to the current lead, or to every lead of the selection.
    public internal(set) var edits = FieldChanges()
    /// Unpushed `tag` and `untag` edits, on the current lead or on each lead of the selection.
    public internal(set) var tagEdits = TagChanges()
    /// The leads the last `find` listed, in its order: what `load found` selects.
    var found: [String] = []
    /// The leads `load found` selected: `set`, `attr`, `unset`, `unattr` and `push` act on
    /// each of them; `export` writes them. Nil when a single lead (or nothing) is loaded.
    public internal(set) var selection: LeadSelection?
    /// The edits the last `push --dry-run` previewed.
    var previewed: FieldChanges?
    /// Leads whose cached-copy notices were given once already: a script that loads the
    /// same lead offline a hundred times says so once, not a hundred times.
    var explainedLeads: Set<String> = []
    /// Called with replay progress (for notices on a terminal).
    var onReplayEvent: @Sendable (ReplayEvent) -> Void = { _ in }
    /// Called with the rows an import has read so far.
    var onImportProgress: @Sendable (Int) -> Void = { _ in }
    /// Called with the leads a search has listed so far, and how many match in all.
    var onFindProgress: @Sendable (Int, Int?) -> Void = { _, _ in }

    /// - Parameter jitter: the randomness of the replay's backoffs (seeded by the simulator).
    public init(
        journal: Journal, api: IntercomAPI?, settings: SessionSettings, clock: any WallClock = SystemClock(),
        jitter: any JitterSource = SystemJitter()
    ) {
        self.journal = journal
        self.api = api
        self.clock = clock
        self.replayer = api.map { Replayer(journal: journal, api: $0, clock: clock, jitter: jitter) }
        self.settings = settings
        self.dialect = api?.configuration.apiVersion.dialect ?? settings.apiVersion.dialect
        self.connectivity = Connectivity(startOffline: settings.startOffline, hasAPI: api != nil)
    }

    /// The API version in use.
    public nonisolated var apiVersion: APIVersion { api?.configuration.apiVersion ?? settings.apiVersion }

    /// Whether a token is configured.
    public nonisolated var hasToken: Bool { api != nil }

    public var mode: SessionMode { connectivity.mode }

    /// The refusal's line once the token's app proved not to be the journal's (exit 2).
    public var wrongApp: String? { connectivity.wrongApp }

    public func setReplayObserver(_ observer: @escaping @Sendable (ReplayEvent) -> Void) {
        onReplayEvent = observer
    }

    /// True when there are edits not yet pushed.
    public var hasUnpushedEdits: Bool { !edits.isEmpty || !tagEdits.isEmpty }

    /// True when there are edits neither pushed nor shown by the last `push --dry-run`: a
    /// script whose last preview showed exactly the edits still unpushed meant to preview
    /// them, not to forget them. Edits made after the preview still count.
    public var hasForgottenEdits: Bool { (!edits.isEmpty && edits != previewed) || (!tagEdits.isEmpty && previewed == nil) }

    /// The prompt's parts; the shell words and styles it.
    public func promptState() -> PromptState {
        PromptState(
            label: settings.label, hasToken: api != nil, offline: connectivity.mode == .offline,
            unsent: (try? journal.unsentCount()) ?? 0,
            lead: current.map { $0.view.name ?? $0.view.email ?? $0.view.id }, unpushed: hasUnpushedEdits, selected: selection?.ids.count)
    }

    /// Updates not yet delivered (pending and sending).
    public func unsentCount() -> Int { (try? journal.unsentCount()) ?? 0 }

    /// Runs one command.
    public func execute(_ command: Command) async throws(CommandFailure) -> Reply {
        switch command {
        case .load(.found): return try loadFound()
        case .load(let target): return try await load(target)
        case .show(let field, let all): return try show(field, all: all)
        case .set(let field, let value): return try edit(.standard(field), value)
        case .attr(let name, let value): return try await editAttribute(name, value)
        case .unset(let field): return try edit(.standard(field), .null)
        case .unattr(let name): return try await editAttribute(name, .null)
        case .attributes: return try await attributes()
        case .diff: return try diff()
        case .push(let dryRun): return try await push(dryRun: dryRun)
        case .discard: return discard()
        case .queue(let all, let limit): return try queue(all: all, limit: limit)
        case .sync(let blind): return try await sync(blind: blind || settings.blind, wait: settings.syncWait)
        case .retry(let seq): return try await retry(seq)
        case .drop(let seq): return try drop(seq)
        case .conflicts: return try conflicts()
        case .resolve(let seq, let resolution): return try await resolve(seq, resolution)
        case .offline: return goOffline()
        case .online: return try await goOnline()
        case .status: return try status()
        case .help(let topic): return try help(topic)
        case .history, .source, .quit, .edit:
            throw CommandFailure(.notHere, "this command is handled by the shell")
        case .find(let search): return try await find(search)
        case .leads(let filter, let json): return try leads(filter: filter, json: json)
        case .importFile(let path, let dryRun, let onError): return try await importFile(path: path, dryRun: dryRun, onError: onError)
        case .revert(let first, let last): return try await revert(from: first, through: last)
        case .export(let path, let columns, let filter): return try await export(path: path, columns: columns, filter: filter)
        case .tag(let names, let add): return try tag(names, add: add)
        case .tags: return try await tags()
        case .note(let text): return try await note(text)
        case .notes: return try await notes()
        case .merge(let target, let dryRun): return try await merge(into: target, dryRun: dryRun)
        }
    }

    /// A journal call whose errors become failures (`journal`, `no_such_update`, `invalid_state`).
    func journalCall<T>(_ body: () throws -> T) throws(CommandFailure) -> T {
        do {
            return try body()
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as JournalError {
            let code: FailureCode = error.kind == .noSuchEntry ? .noSuchUpdate : error.kind == .invalidState ? .invalidState : .journal
            throw CommandFailure(code, error.message)
        } catch {
            throw CommandFailure(.journal, "\(error)")
        }
    }
}

/// The leads `load found` selected, by id, in the order `find` listed them.
public struct LeadSelection: Sendable, Hashable {
    public var ids: [String]

    public init(ids: [String]) { self.ids = ids }
}

/// What the prompt shows: `leadsh[sandbox](2 pending) OBrien*> `.
public struct PromptState: Sendable, Equatable {
    public var label: String
    public var hasToken: Bool
    public var offline: Bool
    public var unsent: Int
    /// The current lead's name, email or id.
    public var lead: String?
    public var unpushed: Bool
    /// How many leads `load found` selected (nil: none).
    public var selected: Int? = nil
}
