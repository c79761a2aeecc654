import CommandParser
import IntercomClient
import Journal
import LeadModel

/// Finding leads by email (`find`, `load email=`) and listing the cached ones (`leads`).
extension Session {
    /// `find email=E`: the leads with that email, from Intercom when online (and cached), else
    /// from the journal's cache.
    func find(email: String) async throws(CommandFailure) -> Reply {
        let (leads, fromCache, notices) = try await lookUp(email: email)
        return Reply(.found(FoundLeads(email: email, leads: leads, fromCache: fromCache, dialect: dialect)), notices: notices)
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
