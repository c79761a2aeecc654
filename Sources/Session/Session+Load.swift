import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// `load`: read a lead from Intercom (or the journal's copy when offline) to edit it.
extension Session {
    func load(_ target: LoadTarget) async throws(CommandFailure) -> Reply {
        if case .email(let email) = target { return try await load(email: email) }
        try refuseIfUnpushedEdits()
        let (id, userID): (String?, String?) = {
            switch target {
            case .id(let id): return (id, nil)
            case .userID(let uid): return (nil, uid)
            case .email, .found: return (nil, nil)
            }
        }()
        let label = id ?? "user_id=\(userID ?? "")"
        var notices: [Notice] = []

        let answer = try await askIntercom("load \(label)", notices: &notices) { api in
            if let id { return [try await api.fetch(id: id).value] }
            return try await api.find(userID: userID!).value
        }
        if let answer {
            let contact = try chooseOne(answer, label: label)
            try journalCall { try journal.cache(contact, fetchedAt: clock.now()) }
            guard let cached = try journalCall({ try journal.cachedLead(id: contact.id) }) else {
                throw CommandFailure(.journal, "the lead was fetched but could not be cached")
            }
            let stale = await refreshAttributesIfStale()
            return try loaded(cached, fresh: true, notices: stale.map { [$0] } ?? [])
        }

        let cached = try journalCall { try journal.cachedLead(id: id, userID: userID) }
        guard let cached else {
            let why = api == nil ? "no token: set INTERCOM_TOKEN or pass --sandbox" : "offline"
            throw CommandFailure(
                .notCached,
                "lead \(label) was never loaded, so it cannot be edited offline (\(why)); load it once while online"
            )
        }
        let firstTime = explainedLeads.insert(cached.contact.id).inserted
        if firstTime { notices.append(.usingCachedCopy(fetchedAt: cached.fetchedAt, now: clock.now())) }
        return try loaded(cached, fresh: false, notices: notices, explain: firstTime)
    }

    /// `load` would drop the current lead's unpushed edits: refused.
    func refuseIfUnpushedEdits() throws(CommandFailure) {
        if !edits.isEmpty {
            throw CommandFailure(
                .unpushedEdits,
                "the current lead has unpushed edits (\(edits.keys.map(\.description).joined(separator: ", "))); `push` or `discard` them first"
            )
        }
    }

    /// Asks Intercom when online, after binding the journal to the token's app. Returns the
    /// answer, or nil when offline or when the API did not answer (the session then goes
    /// offline and `notices` says so); Intercom's refusals fail the command.
    ///
    /// `bindingApp` false skips the binding (reading the attribute list binds nothing);
    /// `fallback` says what the session does instead when the API did not answer.
    func askIntercom<T>(
        _ what: String, notices: inout [Notice], bindingApp: Bool = true, fallback: Notice.UnreachableFallback = .workingOffline,
        _ call: (IntercomAPI) async throws -> T
    ) async throws(CommandFailure) -> T? {
        guard connectivity.mode == .online, let api else { return nil }
        do {
            if bindingApp { try await bindJournalToTokenApp() }
            let value = try await call(api)
            connectivity.heardFrom()
            return value
        } catch let error as IntercomError {
            // The failure policy decides: an API that does not answer sends the session
            // offline (the command works from the cache); everything else fails the command.
            guard FailurePolicy.rule(for: error).disposition == .stop(.unreachable) else { throw Session.failure(error, doing: what) }
            connectivity.lost()
            notices.append(.unreachable(detail: error.detail, then: fallback))
            return nil
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(.internal, "\(what) failed: \(error)")
        }
    }

    /// A failed call to Intercom as a command's failure: TLS and proxy refusals by name,
    /// Intercom's own error code otherwise.
    static func failure(_ error: IntercomError, doing what: String) -> CommandFailure {
        switch FailurePolicy.kind(of: error) {
        case .tls: return CommandFailure(.tls, "\(what) failed: \(error.description)")
        case .proxy: return CommandFailure(.proxy, "\(what) failed: \(error.description)")
        default: return .intercom(error, "\(what) failed: \(error.description)")
        }
    }

    /// The first authenticated answer binds the journal to the token's app (`GET /me`, asked
    /// once per process), so that updates prepared offline from what `load` cached can never
    /// replay into another workspace. A journal bound to another app is refused before anything
    /// is read into it. Failures to learn the app are left to the call that follows.
    func bindJournalToTokenApp() async throws(CommandFailure) {
        guard let api, let app = try? await api.app() else { return }
        let other: String?
        do {
            other = try journal.bind(toApp: app.id)
        } catch {
            return
        }
        guard let other else { return }
        let line =
            "this journal (\(journal.path)) belongs to app \(other), but the token is for app \(app.id): "
            + "nothing was loaded into it; " + settings.appAdvice(other, app.id)
        connectivity.wrongApp(line)
        throw CommandFailure(.wrongApp, line)
    }

    /// The one contact a lookup found; several are listed and none is loaded.
    func chooseOne(_ contacts: [Contact], label: String) throws(CommandFailure) -> Contact {
        if contacts.count == 1 { return contacts[0] }
        if contacts.isEmpty {
            throw CommandFailure(.notFound, "lead \(label) not found (merged, converted or deleted?)")
        }
        throw CommandFailure(.severalMatches, "\(contacts.count) contacts match \(label); nothing loaded. Load one by id:", listing: contacts, dialect: dialect)
    }

    func loaded(_ cached: CachedLead, fresh: Bool, notices: [Notice], explain: Bool = true) throws(CommandFailure) -> Reply {
        let view = try journalCall { try journal.userView(of: cached) }
        current = LoadedLead(view: view, fetchedAt: cached.fetchedAt)
        selection = nil
        edits = FieldChanges()
        previewed = nil
        var notices = notices
        if explain, view != cached.contact {
            notices.append(.showingQueuedUpdates(fresh: fresh))
        }
        return Reply(.loaded(LoadResult(lead: view, fresh: fresh, fetchedAt: cached.fetchedAt)), notices: notices)
    }

    func requireLead() throws(CommandFailure) -> LoadedLead {
        guard let current else {
            throw CommandFailure(.noLead, "no lead loaded; use `load ID` or `load user_id=UID` first")
        }
        return current
    }
}
