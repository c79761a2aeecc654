import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// Custom attributes: under 2.x an attribute must exist in the workspace, and its type fixes
/// what `attr` may set; the list is read from `GET /data_attributes` and kept in the journal.
extension Session {
    /// `attr`/`unattr`: under 2.x the attribute must exist, and the value must fit its type.
    func editAttribute(_ name: String, _ value: JSONValue) async throws(CommandFailure) -> Reply {
        if selection == nil { _ = try requireLead() }
        if let catalog = try await attributeCatalog() { try check(name, value, against: catalog) }
        return try edit(.custom(name), value)
    }

    /// The catalog 2.x edits are checked against (`attr`, an import's columns): the cached list,
    /// read once when there is none and the session is online; nil under 1.x, or when it
    /// cannot be had (the edit is then not checked, as Intercom will check it).
    func attributeCatalog() async throws(CommandFailure) -> AttributeCatalog? {
        guard dialect == .v2 else { return nil }
        if let catalog = try journalCall({ try journal.cachedAttributes() }) { return catalog }
        guard connectivity.mode == .online, api != nil else { return nil }
        _ = await refreshAttributes()
        return try journalCall { try journal.cachedAttributes() }
    }

    /// Refuses an attribute the workspace lacks (with the nearest name), an archived one,
    /// or a value of the wrong type: the check an import makes too.
    func check(_ name: String, _ value: JSONValue, against catalog: AttributeCatalog) throws(CommandFailure) {
        guard let problem = catalog.problem(setting: name, to: value, suggest: CommandParser.nearest) else { return }
        throw CommandFailure(FailureCode(rawValue: problem.code) ?? .attributeType, problem.message)
    }

    /// Reads the attribute list again when the cached one is older than an hour (2.x only).
    /// Returns a notice when reading failed for a reason other than the network.
    func refreshAttributesIfStale() async -> Notice? {
        guard dialect == .v2 else { return nil }
        let catalog = try? journal.cachedAttributes()
        if let catalog, clock.now() - catalog.fetchedAt < settings.attributesMaxAge { return nil }
        return await refreshAttributes()
    }

    /// `GET /data_attributes?model=contact` into the journal; a notice when it failed.
    @discardableResult
    func refreshAttributes() async -> Notice? {
        guard let api else { return nil }
        do {
            let response = try await api.dataAttributes()
            try journal.cacheAttributes(response.value, fetchedAt: clock.now())
            return nil
        } catch let error as IntercomError {
            // An API that does not answer says nothing of the attributes: `load` already says offline.
            if FailurePolicy.rule(for: error).disposition == .stop(.unreachable) { return nil }
            return .attributesUnreadable(error.description)
        } catch {
            return .attributesNotCached("\(error)")
        }
    }

    /// `attributes`: the workspace's custom attributes with their types, read again when online.
    func attributes() async throws(CommandFailure) -> Reply {
        var notices: [Notice] = []
        let read = try await askIntercom("reading the attributes", notices: &notices, bindingApp: false, fallback: .showingCachedList) { api in
            try await api.dataAttributes().value
        }
        if let read { try journalCall { try journal.cacheAttributes(read, fetchedAt: clock.now()) } }
        let fresh = read != nil
        guard let catalog = try journalCall({ try journal.cachedAttributes() }) else {
            let why = api == nil ? "no token: set INTERCOM_TOKEN or pass --sandbox" : "offline"
            throw CommandFailure(.notCached, "the workspace's attributes were never read (\(why)); run `attributes` once while online")
        }
        if !fresh { notices.append(.cachedAttributes(fetchedAt: catalog.fetchedAt, now: clock.now())) }
        return Reply(.attributes(catalog.attributes.filter(\.custom)), notices: notices)
    }
}
