import CommandParser
import Foundation
import IntercomClient
import Journal
import LeadModel
import Replayer

/// How the session reaches Intercom.
public enum SessionMode: String, Sendable {
    /// Talking to Intercom (or another base URL) with a token.
    case online
    /// Not sending: explicit (`offline`, `--offline`) or after the API was unreachable.
    case offline
}

/// The settings a session starts with.
public struct SessionSettings: Sendable {
    /// Shown in the prompt and `status`: `sandbox`, `online`, …
    public var label: String
    public var startOffline: Bool
    /// Merge a push into the lead's still-pending update.
    public var coalesce: Bool
    public var style: Style
    /// How long `sync` may wait through backoffs and rate limits.
    public var syncWait: Double
    public var blind: Bool
    /// Results are printed as JSON: `queue` then lists every row.
    public var jsonOutput = false
    /// How many rows `queue` lists as text when not told: a screenful on a terminal.
    public var queuePage = 1000
    /// The API version every request names; with no token, it still decides the dialect of edits.
    public var apiVersion: APIVersion = .default
    /// How old (seconds) the cached list of custom attributes may be before `load` reads it again.
    public var attributesMaxAge: Double = 3600
    /// What to use instead when the journal belongs to one app and the token to another:
    /// given the journal's app and the token's, the end of the refusal's one line.
    public var appAdvice: @Sendable (_ journalApp: String, _ tokenApp: String) -> String = { journalApp, tokenApp in
        "use app \(journalApp)'s token with this journal, or another journal for app \(tokenApp) (--journal PATH or -w WORKSPACE)"
    }

    public init(label: String = "online", startOffline: Bool = false, coalesce: Bool = true, style: Style = .plain, syncWait: Double = 30, blind: Bool = false) {
        self.label = label
        self.startOffline = startOffline
        self.coalesce = coalesce
        self.style = style
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

/// The state of one shell: the loaded lead, its unpushed edits, the mode, and what each command does.
///
/// The same session serves a terminal, a script and `-c`; it never reads input
/// or writes output itself.
public actor Session {
    public nonisolated let journal: Journal
    /// Nil when no token is configured: commands that need the API fail clearly.
    public nonisolated let api: IntercomAPI?
    public nonisolated let replayer: Replayer?
    public let settings: SessionSettings
    /// The dialect of the API version in use: which fields `set` takes, how updates are sent.
    public nonisolated let dialect: Dialect
    public private(set) var mode: SessionMode
    /// Whether the API answered the last time it was asked (nil: not asked yet).
    public internal(set) var reachable: Bool?
    public private(set) var current: LoadedLead?
    /// Unpushed edits to the current lead.
    public private(set) var edits = FieldChanges()
    /// Leads whose cached-copy notices were given once already: a script that loads the
    /// same lead offline a hundred times says so once, not a hundred times.
    private var explainedLeads: Set<String> = []
    /// The refusal's line once a replay found the token's app is not the journal's: the
    /// token does not change, so every later send is refused the same way.
    public private(set) var wrongApp: String?
    /// Why the last replay stopped for a setting (TLS, the proxy, the token, the API version):
    /// until a replay gets further, the shell does not replay by itself, so it does not
    /// repeat the same refusal every few seconds. Commands (`sync`, `push`, `online`) still replay.
    private var refusedSetting: String?
    /// Called with replay progress (for notices on a terminal).
    private var onReplayEvent: @Sendable (ReplayEvent) -> Void = { _ in }

    public init(journal: Journal, api: IntercomAPI?, settings: SessionSettings, clock: any ReplayClock = SystemReplayClock()) {
        self.journal = journal
        self.api = api
        self.replayer = api.map { Replayer(journal: journal, api: $0, clock: clock) }
        self.settings = settings
        self.dialect = api?.configuration.apiVersion.dialect ?? settings.apiVersion.dialect
        self.mode = settings.startOffline || api == nil ? .offline : .online
    }

    /// The API version in use.
    public nonisolated var apiVersion: APIVersion { api?.configuration.apiVersion ?? settings.apiVersion }

    public func setReplayObserver(_ observer: @escaping @Sendable (ReplayEvent) -> Void) {
        onReplayEvent = observer
    }

    /// True when there are edits not yet pushed.
    public var hasUnpushedEdits: Bool { !edits.isEmpty }

    /// The prompt: `leadsh[sandbox] OBrien*>`, with the pending count when any is waiting.
    public func prompt() -> String {
        var label = settings.label
        if mode == .offline && api != nil { label = settings.label == "online" ? "offline" : "\(settings.label),offline" }
        if api == nil { label = "no token" }
        var text = "leadsh[\(label)]"
        if let unsent = try? journal.unsentCount(), unsent > 0 { text += "(\(unsent) pending)" }
        if let current {
            text += " " + (current.view.name ?? current.view.email ?? current.view.id)
            if !edits.isEmpty { text += "*" }
        }
        return text + "> "
    }

    /// Runs one command.
    public func execute(_ command: Command) async throws(CommandFailure) -> CommandOutput {
        switch command {
        case .load(let target): return try await load(target)
        case .show(let field): return try show(field)
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
        case .history, .source, .quit:
            throw CommandFailure("not_here", "this command is handled by the shell")
        case .find, .leads, .importFile, .revert: throw CommandFailure("not_yet", "\(command.spec.name) is not wired into the shell yet")
        }
    }

    // MARK: load

    private func load(_ target: LoadTarget) async throws(CommandFailure) -> CommandOutput {
        if case .email(let email) = target {
            throw CommandFailure(
                "email_cannot_identify",
                "cannot load a lead by email (\(email)) for editing: Intercom identifies a lead for update only by id or user_id, and an update without them creates a new lead. Use `load ID` or `load user_id=UID`"
            )
        }
        if !edits.isEmpty {
            throw CommandFailure(
                "unpushed_edits",
                "the current lead has unpushed edits (\(edits.keys.map(\.description).joined(separator: ", "))); `push` or `discard` them first"
            )
        }
        let (id, userID): (String?, String?) = {
            switch target {
            case .id(let id): return (id, nil)
            case .userID(let uid): return (nil, uid)
            case .email: return (nil, nil)
            }
        }()
        let label = id ?? "user_id=\(userID ?? "")"
        var notices: [String] = []

        if mode == .online, let api {
            do {
                try await bindJournalToTokenApp()
                let contact: Contact
                if let id {
                    contact = try await api.fetch(id: id).value
                } else {
                    contact = try chooseOne(try await api.find(userID: userID!).value, label: label)
                }
                reachable = true
                try journalCall { try journal.cache(contact) }
                let cached = try journalCall { try journal.cachedLead(id: contact.id) }
                guard let cached else { throw CommandFailure("journal", "the lead was fetched but could not be cached") }
                let stale = await refreshAttributesIfStale()
                return try loaded(cached, fresh: true, notices: stale.map { [$0] } ?? [])
            } catch let error as IntercomError where error.isUnreachable {
                enterOffline(reachable: false)
                notices.append("API unreachable (\(error.detail)); working offline")
            } catch let error as IntercomError where error.isTransportRefusal {
                throw CommandFailure(error.kind == .tls ? "tls" : "proxy", "load \(label) failed: \(error.description)")
            } catch let error as IntercomError {
                throw CommandFailure(error.code ?? "http_\(error.status ?? 0)", "load \(label) failed: \(error.description)")
            } catch let failure as CommandFailure {
                throw failure
            } catch {
                throw CommandFailure("internal", "load \(label) failed: \(error)")
            }
        }

        let cached = try journalCall { try journal.cachedLead(id: id, userID: userID) }
        guard let cached else {
            let why = api == nil ? "no token: set INTERCOM_TOKEN or pass --sandbox" : "offline"
            throw CommandFailure(
                "not_cached",
                "lead \(label) was never loaded, so it cannot be edited offline (\(why)); load it once while online"
            )
        }
        let firstTime = explainedLeads.insert(cached.contact.id).inserted
        if firstTime { notices.append("offline: using the copy cached \(age(Journal.now() - cached.fetchedAt)) ago") }
        return try loaded(cached, fresh: false, notices: notices, explain: firstTime)
    }

    /// The first authenticated answer binds the journal to the token's app (`GET /me`, asked
    /// once per process), so that updates prepared offline from what `load` cached can never
    /// replay into another workspace. A journal bound to another app is refused before anything
    /// is read into it. Failures to learn the app are left to the call that follows.
    private func bindJournalToTokenApp() async throws(CommandFailure) {
        guard let api, let app = try? await api.app() else { return }
        let other: String?
        do {
            other = try journal.bind(toApp: app.id)
        } catch {
            return
        }
        guard let other else { return }
        let line = "this journal (\(journal.path)) belongs to app \(other), but the token is for app \(app.id): "
            + "nothing was loaded into it; " + settings.appAdvice(other, app.id)
        wrongApp = line
        throw CommandFailure("wrong_app", line)
    }

    /// The one contact a lookup found; several are listed and none is loaded.
    private func chooseOne(_ contacts: [Contact], label: String) throws(CommandFailure) -> Contact {
        if contacts.count == 1 { return contacts[0] }
        if contacts.isEmpty {
            throw CommandFailure("not_found", "lead \(label) not found (merged, converted or deleted?)")
        }
        let rows = contacts.map { [$0.id, $0.userID ?? "", $0.name ?? "", $0.email ?? ""] }
        let table = Table.render(header: ["ID", dialect == .v1 ? "USER_ID" : "EXTERNAL_ID", "NAME", "EMAIL"], rows: rows, style: settings.style)
        throw CommandFailure(
            "several_matches", "\(contacts.count) contacts match \(label); nothing loaded. Load one by id:\n\(table)")
    }

    private func loaded(_ cached: CachedLead, fresh: Bool, notices: [String], explain: Bool = true) throws(CommandFailure) -> CommandOutput {
        let view = try journalCall { try journal.userView(of: cached) }
        current = LoadedLead(view: view, fetchedAt: cached.fetchedAt)
        edits = FieldChanges()
        var notices = notices
        if explain, view != cached.contact {
            notices.append("showing your queued updates on top of the \(fresh ? "fetched" : "cached") copy")
        }
        let name = view.name.map { " (\($0))" } ?? ""
        let text = "loaded \(view.id)\(name)" + (fresh ? "" : " from cache")
        return CommandOutput(text: text, json: leadJSON(view, pending: FieldChanges(), fresh: fresh, fetchedAt: cached.fetchedAt), notices: notices)
    }

    // MARK: show / edit / diff

    func requireLead() throws(CommandFailure) -> LoadedLead {
        guard let current else {
            throw CommandFailure("no_lead", "no lead loaded; use `load ID` or `load user_id=UID` first")
        }
        return current
    }

    private func show(_ field: String?) throws(CommandFailure) -> CommandOutput {
        let lead = try requireLead()
        let view = lead.view.applying(edits)
        let style = settings.style
        if let field {
            let key = resolveKey(field, in: view)
            guard let value = view.value(of: key) ?? edits[key] else {
                throw CommandFailure("no_such_field", "the lead has no field \(field)")
            }
            let pending = edits[key] != nil
            let text = display(value) + (pending ? style.yellow(" * (was \(display(lead.view.value(of: key))))") : "")
            return CommandOutput(text: text, json: .object(JSONObject([("field", .string(key.description)), ("value", value), ("pending", .bool(pending))])))
        }
        var rows: [(String, String)] = []
        for (key, value) in view.fields where key != "custom_attributes" {
            let pending = edits[.standard(key)] != nil
            rows.append((key, line(value, pending: pending, was: lead.view.fields[key])))
        }
        for (name, value) in view.customAttributes {
            let pending = edits[.custom(name)] != nil
            rows.append(("custom_attributes.\(name)", line(value, pending: pending, was: lead.view.customAttributes[name])))
        }
        let width = rows.map(\.0.count).max() ?? 0
        let text = rows.map { style.bold($0.0.padding(toLength: width, withPad: " ", startingAt: 0)) + "  " + $0.1 }.joined(separator: "\n")
        return CommandOutput(text: text, json: leadJSON(view, pending: edits, fresh: nil, fetchedAt: lead.fetchedAt))
    }

    private func line(_ value: JSONValue, pending: Bool, was: JSONValue?) -> String {
        var text = display(value)
        if text.count > 200 { text = String(text.prefix(197)) + "..." }
        if pending { text += settings.style.yellow("  * was \(display(was))") }
        return text
    }

    private func resolveKey(_ field: String, in view: Contact) -> FieldKey {
        if field.hasPrefix("custom_attributes.") { return FieldKey(path: field) }
        if view.fields[field] != nil || StandardField.named(field) != nil { return .standard(field) }
        return .custom(field)
    }

    func edit(_ key: FieldKey, _ value: JSONValue) throws(CommandFailure) -> CommandOutput {
        let lead = try requireLead()
        if case .custom(let name) = key, let problem = CustomAttributeRules.problem(withName: name) {
            throw CommandFailure("invalid_attribute", problem)
        }
        if let problem = CustomAttributeRules.problem(withValue: value) {
            throw CommandFailure("invalid_value", "\(key): \(problem)")
        }
        let old = lead.view.value(of: key)
        if old == value || (old == nil && value == .null) {
            edits[key] = nil
            return CommandOutput(
                text: "\(key) is already \(display(value)); nothing to change",
                json: .object(JSONObject([("field", .string(key.description)), ("value", value), ("changed", .bool(false))])))
        }
        edits[key] = value
        return CommandOutput(
            text: "",
            json: .object(JSONObject([("field", .string(key.description)), ("old", old ?? .null), ("new", value), ("changed", .bool(true))])))
    }

    private func diff() throws(CommandFailure) -> CommandOutput {
        let lead = try requireLead()
        let (table, items) = changes(of: lead)
        let text = edits.isEmpty ? "no pending edits" : table
        return CommandOutput(text: text, json: .object(JSONObject([("lead", .string(lead.view.id)), ("changes", .array(items))])))
    }

    /// The pending edits against the lead's values: a table for people, and `diff --json`'s items.
    private func changes(of lead: LoadedLead) -> (table: String, items: [JSONValue]) {
        var rows: [[String]] = []
        var items: [JSONValue] = []
        for (key, value) in edits {
            let old = lead.view.value(of: key)
            rows.append([key.description, old.map { display($0) + " (\($0.typeName))" } ?? "(absent)", "->", display(value) + " (\(value.typeName))"])
            items.append(.object(JSONObject([
                ("field", .string(key.description)), ("old", old ?? .null), ("old_type", .string(old?.typeName ?? "absent")),
                ("new", value), ("new_type", .string(value.typeName)),
            ])))
        }
        return (Table.render(header: ["FIELD", "OLD", "", "NEW"], rows: rows, style: settings.style), items)
    }

    private func discard() -> CommandOutput {
        let count = edits.count
        edits = FieldChanges()
        return CommandOutput(text: count == 0 ? "no pending edits" : "discarded \(count) edit\(count == 1 ? "" : "s")",
            json: .object(JSONObject([("discarded", .integer(Int64(count)))])))
    }

    /// Drops unpushed edits without a message (quitting after the warning).
    public func abandonEdits() { edits = FieldChanges() }

    /// After `push --dry-run` in a dry run of a whole script: the lead reads as if the push had
    /// happened, so later edits compare against it, and the edits are not reported as unpushed.
    public func settleDryRun() {
        if let view = current?.view { current?.view = view.applying(edits) }
        edits = FieldChanges()
    }

    // MARK: push

    private func push(dryRun: Bool) async throws(CommandFailure) -> CommandOutput {
        let lead = try requireLead()
        guard !edits.isEmpty else {
            throw CommandFailure("nothing_to_push", "nothing to push: no pending edits (change something with `set` or `attr` first)")
        }
        let update: LeadUpdate
        do {
            update = try LeadUpdate(lead: lead.view.reference, changes: edits)
        } catch {
            let code: String
            switch error {
            case .noIdentifier, .emailOnly: code = "email_cannot_identify"
            case .noChanges, .invalidValue, .fieldNotInDialect, .needsContactID: code = "invalid_update"
            }
            throw CommandFailure(code, "push refused: \(error.description)")
        }
        var base = FieldChanges()
        for key in edits.keys {
            if let value = lead.view.value(of: key) { base[key] = value }
        }

        let call: (method: String, path: String, body: JSONObject)
        do {
            call = try IntercomAPI.request(for: update, in: dialect)
        } catch {
            throw CommandFailure("invalid_update", "push refused: \(error.description)")
        }
        if dryRun {
            let (table, items) = changes(of: lead)
            let text = "\(call.method) \(call.path) (Intercom-Version: \(apiVersion); dry run: nothing sent, nothing journaled)\n"
                + JSONText.prettyPrint(.object(call.body)) + "\n" + table
            return CommandOutput(text: text, json: .object(JSONObject([
                ("dry_run", .bool(true)), ("method", .string(call.method)), ("path", .string(call.path)),
                ("api_version", .string(apiVersion.description)), ("body", .object(call.body)),
                ("lead", .string(lead.view.id)), ("changes", .array(items)),
            ])))
        }

        let appended = try journalCall {
            try journal.append(
                NewUpdate(update: update, base: base, baseUpdatedAt: lead.view.updatedAt, apiVersion: apiVersion.description),
                coalesce: settings.coalesce)
        }
        // Durable from here on: the edits live in the journal.
        current?.view = lead.view.applying(edits)
        edits = FieldChanges()
        let seq = appended.entry.seq
        let mergedNote = appended.merged ? " (merged into #\(seq))" : ""

        var notices: [String] = []
        var entry = appended.entry
        if let replayer, mode == .online {
            let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
            notices += noteStop(report.stop)
            if case .wrongApp = report.stop, let wrongApp {
                throw CommandFailure("wrong_app", "update #\(seq) journaled, not sent: \(wrongApp)")
            }
            // The replay moved the row on: read its state now.
            entry = try journalCall { try journal.entry(seq: seq) } ?? entry
        } else if api == nil {
            notices.append("no token: set INTERCOM_TOKEN or pass --sandbox to send it")
        }
        let unsent = try journalCall { try journal.unsentCount() }
        let json = JSONValue.object(JSONObject([
            ("seq", .integer(seq)), ("op_id", .string(entry.opID)), ("state", .string(entry.state.rawValue)),
            ("merged", .bool(appended.merged)), ("pending", .integer(Int64(unsent))),
        ]))
        switch entry.state {
        case .sent:
            try refreshCurrent()
            return CommandOutput(text: settings.style.green("sent") + " #\(seq)\(mergedNote)", json: json, notices: notices)
        case .failed:
            throw CommandFailure(entry.lastErrorCode ?? "failed", "push failed: \(entry.lastError ?? "refused") (update #\(seq) kept as failed; `retry \(seq)` or `drop \(seq)`)")
        case .conflict:
            throw CommandFailure("conflict", "push conflicts: the lead changed in Intercom since it was loaded (update #\(seq); see `conflicts`, then `resolve \(seq) mine|theirs`)")
        default:
            let why: String
            if mode == .offline {
                why = api == nil ? "no token" : "offline"
            } else if entry.nextAttemptAt > Journal.now() {
                why = "retrying in \(age(entry.nextAttemptAt - Journal.now())): \(entry.lastError ?? "")"
            } else {
                why = "waiting"
            }
            return CommandOutput(
                text: settings.style.yellow("queued") + " (\(why)), \(unsent) pending #\(seq)\(mergedNote)", json: json, notices: notices)
        }
    }

    private func refreshCurrent() throws(CommandFailure) {
        guard let lead = current else { return }
        if let cached = try journalCall({ try journal.cachedLead(id: lead.view.id) }) {
            current = LoadedLead(view: try journalCall { try journal.userView(of: cached) }, fetchedAt: cached.fetchedAt)
        }
    }

    private func noteStop(_ stop: ReplayStop) -> [String] {
        refusedSetting = nil
        switch stop {
        case .finished, .cancelled: return []
        case .unreachable(let why):
            enterOffline(reachable: false)
            return ["API unreachable (\(why)); working offline, will replay when it answers"]
        case .unauthorized(let why):
            reachable = true
            refusedSetting = why
            return ["Intercom refused the token: \(why); updates stay queued until the token is fixed"]
        case .refused(let why):
            refusedSetting = why
            return ["\(why); updates stay queued until this is fixed"]
        case .wrongApp(let journalApp, let tokenApp):
            let unsent = (try? journal.unsentCount()) ?? 0
            let line = "this journal (\(journal.path)) belongs to app \(journalApp), but the token is for app \(tokenApp): "
                + "nothing was sent, \(unsent) update\(unsent == 1 ? "" : "s") stay\(unsent == 1 ? "s" : "") pending; "
                + settings.appAdvice(journalApp, tokenApp)
            wrongApp = line
            return [line]
        case .busy:
            return ["another leadsh is replaying this journal; it will send the update"]
        case .waiting(let until):
            return ["some updates wait until \(clockTime(until)) (backoff or rate limit)"]
        }
    }

    // MARK: journal commands

    /// `queue`: as text, one page of rows (read as one page, so a journal of a million rows
    /// costs no more than a small one) and how many more; as JSON, every row (or `limit`).
    private func queue(all: Bool, limit: Int?) throws(CommandFailure) -> CommandOutput {
        if settings.jsonOutput {
            // JSON lists every row (or `limit` rows), read from the journal a page at a time.
            var items: [JSONValue] = []
            do {
                if let limit {
                    items = try journal.entries(all: all, limit: limit).map(Session.entryJSON)
                } else {
                    try journal.forEachEntry(all: all) { items.append(Session.entryJSON($0)) }
                }
            } catch {
                throw CommandFailure("journal", "\(error)")
            }
            return CommandOutput(text: "", json: .array(items))
        }
        let page = limit ?? settings.queuePage
        let entries = try journalCall { try journal.entries(all: all, limit: page) }
        let now = Journal.now()
        let rows = entries.map { entry in
            [
                "#\(entry.seq)", entry.lead.label, Session.shortened(entry.changes.keys.map(\.description).joined(separator: ","), to: 48),
                entry.state.rawValue, entry.apiVersion ?? "-", "\(entry.attempts)", age(now - entry.createdAt), entry.lastError ?? "",
            ]
        }
        var text = rows.isEmpty
            ? (all ? "the journal is empty" : "nothing queued")
            : Table.render(header: ["SEQ", "LEAD", "FIELDS", "STATE", "API", "ATTEMPTS", "AGE", "LAST ERROR"], rows: rows, style: settings.style)
        if rows.count == page {
            let counts = try journalCall { try journal.counts() }
            let total = all ? counts.byState.values.reduce(0, +) : counts.byState.filter { $0.key != .sent && $0.key != .dropped }.values.reduce(0, +)
            if total > rows.count {
                text += "\n… \(total - rows.count) more (`queue \(all ? "--all " : "")N` lists N, `queue --json` all)"
            }
        }
        return CommandOutput(text: text, json: .array(entries.map(Session.entryJSON)))
    }

    /// Text cut to `limit` characters with `…`, for table cells.
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// One outbox row as `queue --json` prints it.
    public static func entryJSON(_ entry: JournalEntry) -> JSONValue {
        var lead = JSONObject()
        lead["id"] = entry.lead.id.map(JSONValue.string) ?? .null
        lead["user_id"] = entry.lead.userID.map(JSONValue.string) ?? .null
        var object = JSONObject()
        object["seq"] = .integer(entry.seq)
        object["op_id"] = .string(entry.opID)
        object["lead"] = .object(lead)
        object["fields"] = .object(entry.changes.jsonObject)
        object["base"] = .object(entry.base.jsonObject)
        object["state"] = .string(entry.state.rawValue)
        object["attempts"] = .integer(Int64(entry.attempts))
        object["last_status"] = entry.lastStatus.map { .integer(Int64($0)) } ?? .null
        object["last_error"] = entry.lastError.map(JSONValue.string) ?? .null
        object["last_error_code"] = entry.lastErrorCode.map(JSONValue.string) ?? .null
        object["merged"] = .integer(Int64(entry.mergedCount))
        object["created_at"] = .double(entry.createdAt)
        object["api_version"] = entry.apiVersion.map(JSONValue.string) ?? .null
        object["next_attempt_at"] = entry.nextAttemptAt > 0 ? .double(entry.nextAttemptAt) : .null
        if let theirs = entry.theirs { object["theirs"] = .object(theirs.jsonObject) }
        return .object(object)
    }

    private func requireAPI() throws(CommandFailure) -> Replayer {
        guard let replayer else {
            throw CommandFailure("no_token", "no token: set INTERCOM_TOKEN or pass --sandbox")
        }
        return replayer
    }

    /// Replays the journal now.
    public func sync(blind: Bool, wait: Double) async throws(CommandFailure) -> CommandOutput {
        let replayer = try requireAPI()
        if mode == .offline { mode = .online }
        let report = await replayer.drain(ReplayOptions(maxWait: wait, blind: blind), onEvent: onReplayEvent)
        let notices = noteStop(report.stop)
        if case .wrongApp = report.stop, let wrongApp { throw CommandFailure("wrong_app", wrongApp) }
        if case .finished = report.stop { reachable = true }
        try refreshCurrent()
        var parts = ["sent \(report.sent)"]
        if report.alreadyApplied > 0 { parts.append("already applied \(report.alreadyApplied)") }
        if report.failed > 0 { parts.append(settings.style.red("failed \(report.failed)")) }
        if report.conflicts > 0 { parts.append(settings.style.red("conflicts \(report.conflicts)")) }
        parts.append("pending \(report.counts.unsent)")
        let json = JSONValue.object(JSONObject([
            ("sent", .integer(Int64(report.sent))), ("already_applied", .integer(Int64(report.alreadyApplied))),
            ("failed", .integer(Int64(report.failed))), ("conflicts", .integer(Int64(report.conflicts))),
            ("pending", .integer(Int64(report.counts.unsent))), ("stop", .string(Session.stopName(report.stop))),
        ]))
        return CommandOutput(text: parts.joined(separator: ", "), json: json, notices: notices)
    }

    static func stopName(_ stop: ReplayStop) -> String {
        switch stop {
        case .finished: return "finished"
        case .unreachable: return "unreachable"
        case .unauthorized: return "unauthorized"
        case .refused: return "refused"
        case .wrongApp: return "wrong_app"
        case .waiting: return "waiting"
        case .busy: return "busy"
        case .cancelled: return "cancelled"
        }
    }

    private func retry(_ seq: Int64) async throws(CommandFailure) -> CommandOutput {
        let entry = try journalCall { try journal.retry(seq: seq) }
        var text = "update #\(entry.seq) requeued"
        var notices: [String] = []
        if let replayer, mode == .online {
            let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
            notices = noteStop(report.stop)
            if case .wrongApp = report.stop, let wrongApp { throw CommandFailure("wrong_app", wrongApp) }
            if let after = try journalCall({ try journal.entry(seq: seq) }) { text += "; now \(after.state.rawValue)" }
        }
        return CommandOutput(text: text, json: Session.entryJSON(entry), notices: notices)
    }

    private func drop(_ seq: Int64) throws(CommandFailure) -> CommandOutput {
        let entry = try journalCall { try journal.drop(seq: seq) }
        return CommandOutput(text: "update #\(seq) dropped (kept in `queue --all` as dropped)", json: Session.entryJSON(entry))
    }

    private func conflicts() throws(CommandFailure) -> CommandOutput {
        var blocks: [String] = []
        var items: [JSONValue] = []
        do {
            try journal.forEachEntry { entry in
                guard entry.state == .conflict else { return }
                items.append(Session.entryJSON(entry))
                var rows: [[String]] = []
                for (key, mine) in entry.changes {
                    // `theirs` holds the fields they changed; the others are as they were.
                    let theirs = entry.theirs?[key].map { display($0) } ?? "(unchanged)"
                    rows.append([key.description, display(entry.base[key]), theirs, display(mine)])
                }
                blocks.append("#\(entry.seq) \(entry.lead.label)\n" + Table.render(header: ["FIELD", "BASE", "THEIRS", "MINE"], rows: rows, style: settings.style))
            }
        } catch {
            throw CommandFailure("journal", "\(error)")
        }
        return CommandOutput(text: blocks.isEmpty ? "no conflicts" : blocks.joined(separator: "\n\n"), json: .array(items))
    }

    private func resolve(_ seq: Int64, _ resolution: Resolution) async throws(CommandFailure) -> CommandOutput {
        guard let entry = try journalCall({ try journal.entry(seq: seq) }) else {
            throw CommandFailure("no_such_update", "no update #\(seq) in the journal (see `queue --all`)")
        }
        guard entry.state == .conflict, let theirs = entry.theirs else {
            throw CommandFailure("not_in_conflict", "update #\(seq) is \(entry.state.rawValue), not in conflict")
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
            try journalCall { try journal.drop(seq: seq) }
            return CommandOutput(text: "update #\(seq): kept theirs; nothing of ours left to send (dropped)", json: .object(JSONObject([("seq", .integer(seq)), ("state", "dropped")])))
        }
        try journalCall { try journal.requeueResolved(seq: seq, changes: changes, base: base) }
        var text = "update #\(seq) resolved (\(resolution.rawValue)) and requeued"
        var notices: [String] = []
        if let replayer, mode == .online {
            let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
            notices = noteStop(report.stop)
            if case .wrongApp = report.stop, let wrongApp { throw CommandFailure("wrong_app", wrongApp) }
            if let after = try journalCall({ try journal.entry(seq: seq) }) { text += "; now \(after.state.rawValue)" }
        }
        return CommandOutput(text: text, json: .object(JSONObject([("seq", .integer(seq)), ("resolution", .string(resolution.rawValue))])), notices: notices)
    }

    // MARK: mode

    func enterOffline(reachable isReachable: Bool?) {
        mode = .offline
        if let isReachable { reachable = isReachable }
    }

    private func goOffline() -> CommandOutput {
        enterOffline(reachable: nil)
        return CommandOutput(text: "offline: pushes are journaled and wait for `online` or `sync`", json: .object(JSONObject([("mode", "offline")])))
    }

    private func goOnline() async throws(CommandFailure) -> CommandOutput {
        guard let api else { throw CommandFailure("no_token", "no token: set INTERCOM_TOKEN or pass --sandbox") }
        do {
            _ = try await api.probe()
        } catch let error where error.isUnreachable {
            enterOffline(reachable: false)
            throw CommandFailure("unreachable", "still offline: \(error.description)")
        } catch let error where error.isTransportRefusal {
            reachable = nil
            throw CommandFailure(error.kind == .tls ? "tls" : "proxy", "cannot go online: \(error.description)")
        } catch {
            reachable = true
            mode = .online
            throw CommandFailure(error.code ?? "http_\(error.status ?? 0)", "the API answered but refused: \(error.description)")
        }
        reachable = true
        mode = .online
        let synced = try await sync(blind: settings.blind, wait: 0)
        return CommandOutput(text: "online; " + synced.text, json: synced.json, notices: synced.notices)
    }

    /// Probes the API when offline (not by choice) and replays when it answers.
    /// Returns a one-line notice when something changed, for the shell to print.
    public func probeAndReplay() async -> String? {
        guard let api, let replayer, mode == .offline, reachable == false, wrongApp == nil else { return nil }
        do {
            _ = try await api.probe()
        } catch let error where error.isUnreachable {
            return nil
        } catch let error where error.isTransportRefusal {
            // TLS or the proxy refused: probing again cannot help until a setting changes.
            reachable = nil
            refusedSetting = error.description
            return "\(error.description); updates stay queued until this is fixed"
        } catch {
            // It answered (perhaps 401): reachable, but do not replay with a bad token.
        }
        reachable = true
        mode = .online
        let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
        let notes = noteStop(report.stop)
        try? refreshCurrent()
        return "API reachable again: sent \(report.sent), pending \(report.counts.unsent)" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))
    }

    /// Sends rows whose backoff has ended, when online. Returns a notice when anything was sent.
    public func replayDue() async -> String? {
        guard let replayer, mode == .online, refusedSetting == nil, wrongApp == nil else { return nil }
        guard let next = try? journal.nextAttemptTime(), next <= Journal.now() else { return nil }
        let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
        let notes = noteStop(report.stop)
        guard report.sent + report.failed + report.conflicts > 0 || !notes.isEmpty else { return nil }
        try? refreshCurrent()
        var text = "replayed: sent \(report.sent)"
        if report.failed > 0 { text += ", failed \(report.failed)" }
        if report.conflicts > 0 { text += ", conflicts \(report.conflicts)" }
        return text + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))
    }

    /// Whether the shell should be probing for the API.
    public var wantsProbe: Bool { mode == .offline && reachable == false && api != nil }

    private func status() throws(CommandFailure) -> CommandOutput {
        let counts = try journalCall { try journal.counts() }
        var countsObject = JSONObject()
        for state in UpdateState.allCases { countsObject[state.rawValue] = .integer(Int64(counts[state])) }
        let modeName = api == nil ? "offline" : mode.rawValue
        var lines = [
            "mode        \(modeName)\(settings.label != "online" ? " (\(settings.label))" : "")",
            "endpoint    \(api?.configuration.endpoint.baseURL ?? "none (no token)")",
            "api         Intercom-Version \(apiVersion) (the \(dialect) dialect: \(dialect == .v1 ? "updates with POST /contacts" : "updates with PUT /contacts/{id}"))",
            "reachable   \(reachable.map { $0 ? "yes" : "no" } ?? "unknown")",
            "journal     \(journal.path)",
            "updates     " + UpdateState.allCases.filter { counts[$0] > 0 }.map { "\($0.rawValue) \(counts[$0])" }.joined(separator: ", "),
        ]
        if counts.byState.isEmpty { lines[5] = "updates     none" }
        let journalApp = try journalCall { try journal.appID() }
        let tokenApp = api?.cachedApp
        var appLine = "app         " + (journalApp ?? "not known yet (learnt at the first connection)")
        if let name = tokenApp?.name, tokenApp?.id == journalApp { appLine += " (\(name))" }
        if let tokenApp, let journalApp, tokenApp.id != journalApp { appLine += "; the token is for app \(tokenApp.id): nothing is sent" }
        lines.insert(appLine, at: 5)
        if let current { lines.append("lead        \(current.view.id)\(edits.isEmpty ? "" : " (\(edits.count) unpushed edits)")") }
        let json = JSONValue.object(JSONObject([
            ("mode", .string(modeName)), ("sandbox", .bool(settings.label == "sandbox")),
            ("api_version", .string(apiVersion.description)), ("dialect", .string(dialect.rawValue)),
            ("reachable", reachable.map(JSONValue.bool) ?? .null), ("counts", .object(countsObject)),
            ("app", journalApp.map(JSONValue.string) ?? .null), ("token_app", tokenApp.map { .string($0.id) } ?? .null),
            ("lead", current.map { .string($0.view.id) } ?? .null), ("unpushed_edits", .integer(Int64(edits.count))),
        ]))
        return CommandOutput(text: lines.joined(separator: "\n"), json: json)
    }

    private func help(_ topic: String?) throws(CommandFailure) -> CommandOutput {
        func json(_ spec: CommandSpec) -> JSONValue {
            .object(JSONObject([
                ("command", .string(spec.name)), ("usage", .string(spec.usage)), ("summary", .string(spec.summary)),
                ("example", .string(spec.example)),
            ]))
        }
        guard let topic else {
            return CommandOutput(text: CommandSpec.overview, json: .array(CommandSpec.all.map(json)))
        }
        // The parser refuses unknown topics with a suggestion; this guards direct callers.
        guard let spec = CommandSpec.named(topic) else {
            throw CommandFailure("unknown_command", "no help for \"\(topic)\"")
        }
        if spec.name == "set" {
            return CommandOutput(text: CommandSpec.setHelp(in: dialect), json: json(spec))
        }
        return CommandOutput(text: spec.help, json: json(spec))
    }

    // MARK: helpers

    /// Custom attribute names of the current lead, for completion.
    public func attributeNames() -> [String] {
        var names = current?.view.applying(edits).customAttributes.keys ?? []
        if dialect == .v2, let catalog = try? journal.cachedAttributes() {
            let known = Set(names)
            names += catalog.writableCustomNames.filter { !known.contains($0) }
        }
        return names
    }

    func journalCall<T>(_ body: () throws -> T) throws(CommandFailure) -> T {
        do {
            return try body()
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as JournalError {
            throw CommandFailure(error.kind == .noSuchEntry ? "no_such_update" : error.kind == .invalidState ? "invalid_state" : "journal", error.message)
        } catch {
            throw CommandFailure("journal", "\(error)")
        }
    }

    private func leadJSON(_ view: Contact, pending: FieldChanges, fresh: Bool?, fetchedAt: Double) -> JSONValue {
        var object = JSONObject()
        object["lead"] = .object(view.fields)
        object["pending"] = .object(pending.jsonObject)
        object["fetched_at"] = .double(fetchedAt)
        if let fresh { object["from_cache"] = .bool(!fresh) }
        return .object(object)
    }
}

/// A Unix time as the local wall-clock time people read in notices: `14:05:09`.
public func clockTime(_ unix: Double) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    return formatter.string(from: Date(timeIntervalSince1970: unix))
}
