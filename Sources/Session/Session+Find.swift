import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// Finding leads by email (`find`, `load email=`) and listing the cached ones (`leads`).
extension Session {
    /// `find CONDITION...`: the leads that match, from Intercom when online (every page, each
    /// cached as it arrives), else the cached leads matched here; they become what `load found`
    /// selects.
    func find(_ search: LeadSearch) async throws(CommandFailure) -> Reply {
        var search = search
        let columns = FoundLeads.columns(for: search)
        var notices: [Notice] = []
        var result = FoundLeads(search: search, columns: columns, rows: [], fromCache: false, dialect: dialect)
        switch dialect {
        case .v1:
            let leads: [Contact]
            let fromCache: Bool
            if let email = search.single("email") {
                (leads, fromCache, notices) = try await lookUp(email: email)
            } else {
                (leads, fromCache, notices) = try await lookUp(userID: search.single("user_id") ?? "")
            }
            result.fromCache = fromCache
            result.rows = leads.prefix(search.limit ?? .max).map { FoundRow($0, columns: columns) }
        case .v2:
            if let catalog = try await attributeCatalog() { search = try typedDates(search, catalog: catalog) }
            let online = try await askIntercom("find \(search)", notices: &notices) { api throws -> FoundLeads in
                try await self.searchIntercom(search, columns: columns, api: api)
            }
            if let online {
                result = online
            } else {
                if search.conditions.contains(where: { $0.field == .tag }) {
                    throw CommandFailure(
                        .notCached,
                        "offline: tag= cannot be matched in the cache (2.x leads carry their tags' ids, not their names); `online`, then find again")
                }
                result.fromCache = true
                result.rows = try journalCall {
                    try journal.cachedViews(matching: search.matches, reading: search.projection, limit: search.limit) {
                        FoundRow($0, columns: columns)
                    }
                }
                notices.append(.searchedCache)
            }
        }
        found = result.rows.map(\.id)
        return Reply(.found(result), notices: notices)
    }

    /// Every page of a 2.x search (at most `search.limit` leads), each page cached as it comes;
    /// a rate limit met on the way is waited out (as long as any call waits for it) and the
    /// page asked again. Other failures end the search (the pages read stay cached).
    private func searchIntercom(_ search: LeadSearch, columns: [FieldKey], api: IntercomAPI) async throws -> FoundLeads {
        var tagIDs: [String: String] = [:]
        let tagNames = Set(search.conditions.filter { $0.field == .tag }.flatMap { $0.values.map(SearchCondition.text) })
        if !tagNames.isEmpty {
            let tags = try await waitingOutRateLimits { () async throws(IntercomError) in try await api.tags().value }
            try? journal.recordTags(tags.map { ($0.name, $0.id) }, replacing: true)
            for name in tagNames {
                guard let tag = tags.first(where: { $0.name == name }) ?? tags.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                    throw CommandFailure(.notFound, "find: the workspace has no tag named \"\(name)\"")
                }
                tagIDs[name] = tag.id
            }
        }
        let query = search.intercomQuery(tagIDs: tagIDs)
        var result = FoundLeads(search: search, columns: columns, rows: [], fromCache: false, dialect: dialect)
        var cursor: String?
        while true {
            if Task.isCancelled { throw CommandFailure(.cancelled, "cancelled") }
            let wanted = min(IntercomAPI.maxSearchPage, (search.limit ?? .max) - result.rows.count)
            let page = try await waitingOutRateLimits { () async throws(IntercomError) in
                try await api.searchPage(query: query, perPage: wanted, startingAfter: cursor).value
            }
            try journalCall { try journal.cache(page.contacts, fetchedAt: clock.now()) }
            result.rows += page.contacts.prefix(wanted).map { FoundRow($0, columns: columns) }
            result.total = page.total
            cursor = page.next
            onFindProgress(result.rows.count, page.total)
            if cursor == nil || result.rows.count >= (search.limit ?? .max) { break }
        }
        result.limited = cursor != nil
        return result
    }

    /// A read that meets a rate limit is asked again once the window resets (the client holds
    /// every call until then, as long as any call waits for a hold), a few times at most; any
    /// other failure is the failure policy's, through ``askIntercom(_:notices:bindingApp:fallback:_:)``.
    func waitingOutRateLimits<T>(_ call: () async throws(IntercomError) -> T) async throws(IntercomError) -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch {
                attempt += 1
                guard FailurePolicy.rule(for: error).disposition == .wait, attempt < 4 else { throw error }
            }
        }
    }

    /// A custom date attribute's value typed as a time (`trial_ends_at<2026-06-01`): `find`
    /// types values before it knows the workspace's attributes.
    private func typedDates(_ search: LeadSearch, catalog: AttributeCatalog) throws(CommandFailure) -> LeadSearch {
        var search = search
        for index in search.conditions.indices {
            guard case .custom(let name) = search.conditions[index].field, !search.conditions[index].op.isTextual,
                catalog.custom(named: name)?.dataType == "date"
            else { continue }
            for (position, value) in search.conditions[index].values.enumerated() {
                guard case .string(let text) = value else { continue }
                do {
                    search.conditions[index].values[position] = .integer(try TimeValue.parse(text, now: Int64(clock.now())))
                } catch {
                    throw CommandFailure(.invalidValue, "find: \(name) is a date: \(error.description)")
                }
            }
        }
        return search
    }

    /// The leads with this user_id (1.x `find user_id=`): Intercom's, or offline the cache's.
    private func lookUp(userID: String) async throws(CommandFailure) -> (leads: [Contact], fromCache: Bool, notices: [Notice]) {
        var notices: [Notice] = []
        if let found = try await askIntercom("find user_id=\(userID)", notices: &notices, { api in try await api.find(userID: userID).value }) {
            try journalCall { try journal.cache(found, fetchedAt: clock.now()) }
            return (found, false, notices)
        }
        let cached = try journalCall { try journal.cachedLead(userID: userID) }
        let views = try cached.map { lead throws(CommandFailure) in [try journalCall { try journal.userView(of: lead) }] } ?? []
        notices.append(.searchedCache)
        return (views, true, notices)
    }

    /// `load email=E`: loads the one lead with that email; the update still names it by id.
    func load(email: String) async throws(CommandFailure) -> Reply {
        try refuseIfUnpushedEdits()
        let (leads, fromCache, notices) = try await lookUp(email: email)
        if leads.isEmpty {
            // Not chooseOne's "merged, converted or deleted?": nothing was looked up by id. Offline
            // the notice saying the cache was searched is lost with the failure, so say it here.
            throw CommandFailure(
                .notFound,
                fromCache
                    ? "not found: no cached lead has the email \(email) (offline: Intercom was not searched)"
                    : "not found: no lead has the email \(email)")
        }
        let lead = try chooseOne(leads, label: "email=\(email)")
        guard let cached = try journalCall({ try journal.cachedLead(id: lead.id) }) else {
            throw CommandFailure(.journal, "the lead was found but could not be cached")
        }
        return try loaded(cached, fresh: !fromCache, notices: notices)
    }

    /// The leads with this email: Intercom's answer (cached as it arrives), or offline the
    /// cache's, with a notice saying so.
    private func lookUp(email: String) async throws(CommandFailure) -> (leads: [Contact], fromCache: Bool, notices: [Notice]) {
        var notices: [Notice] = []
        if let found = try await askIntercom("find email=\(email)", notices: &notices, { api in try await api.find(email: email).value }) {
            try journalCall { try journal.cache(found, fetchedAt: clock.now()) }
            return (found, false, notices)
        }
        let cached = try journalCall { try journal.cachedLeads(email: email) }
        let views = try cached.map { lead throws(CommandFailure) in try journalCall { try journal.userView(of: lead) } }
        notices.append(.searchedCache)
        return (views, true, notices)
    }

    /// `leads [FILTER]`: the cached leads whose name or email contains FILTER.
    func leads(filter: String?, json: Bool) throws(CommandFailure) -> Reply {
        let leads = try journalCall { try journal.leads(filter: filter) }
        return Reply(.leads(LeadList(leads: leads, now: clock.now(), json: json)))
    }

    /// The workspace's tag names the journal knows, for Tab after `tag`, `untag` and `find tag=`.
    public nonisolated func tagCompletions() -> [String] {
        ((try? journal.workspaceTags()) ?? []).map(\.name)
    }

    /// What Tab offers after `load`: cached ids, `email=` values, and the ids of leads whose
    /// name starts with what was typed. Called on libedit's thread; reads the journal only.
    public nonisolated func leadCompletions(for typed: String) -> [String] {
        if typed.hasPrefix("email=") {
            let prefix = String(typed.dropFirst("email=".count))
            return ((try? journal.leadCompletions(prefix: prefix).emails) ?? []).map { "email=" + $0 }
        }
        guard let found = try? journal.leadCompletions(prefix: typed) else { return [] }
        var candidates = found.ids
        // A name stands for its lead's id: `load OBr<Tab>` becomes `load 5811f6bb…` when
        // one cached lead's name starts so.
        if !typed.isEmpty, found.ids.isEmpty, found.idsByName.count == 1 {
            candidates.append(found.idsByName[0])
        }
        return candidates
    }
}
