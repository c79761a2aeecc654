import CommandParser
import IntercomClient
import Journal
import LeadModel

/// Custom attributes: under 2.x an attribute must exist in the workspace, and its type fixes
/// what `attr` may set; the list is read from `GET /data_attributes` and kept in the journal.
extension Session {
    /// `attr`/`unattr`: under 2.x the attribute must exist, and the value must fit its type.
    func editAttribute(_ name: String, _ value: JSONValue) async throws(CommandFailure) -> Reply {
        _ = try requireLead()
        if dialect == .v2 {
            var catalog = try journalCall { try journal.cachedAttributes() }
            if catalog == nil, connectivity.mode == .online, api != nil {
                _ = await refreshAttributes()
                catalog = try journalCall { try journal.cachedAttributes() }
            }
            if let catalog { try check(name, value, against: catalog) }
        }
        return try edit(.custom(name), value)
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
            if error.isUnreachable { return nil }
            return .attributesUnreadable(error.description)
        } catch {
            return .attributesNotCached("\(error)")
        }
    }

    /// `attributes`: the workspace's custom attributes with their types, read again when online.
    func attributes() async throws(CommandFailure) -> Reply {
        var notices: [Notice] = []
        var fresh = false
        if connectivity.mode == .online, let api {
            do {
                let response = try await api.dataAttributes()
                connectivity.heardFrom()
                try journalCall { try journal.cacheAttributes(response.value, fetchedAt: clock.now()) }
                fresh = true
            } catch let error as IntercomError where error.isUnreachable {
                connectivity.lost()
                notices.append(.unreachable(detail: error.detail, then: .showingCachedList))
            } catch let error as IntercomError {
                throw .intercom(error.code ?? "http_\(error.status ?? 0)", "reading the attributes failed: \(error.description)")
            } catch let failure as CommandFailure {
                throw failure
            } catch {
                throw CommandFailure(.internal, "reading the attributes failed: \(error)")
            }
        }
        guard let catalog = try journalCall({ try journal.cachedAttributes() }) else {
            let why = api == nil ? "no token: set INTERCOM_TOKEN or pass --sandbox" : "offline"
            throw CommandFailure(.notCached, "the workspace's attributes were never read (\(why)); run `attributes` once while online")
        }
        if !fresh { notices.append(.cachedAttributes(fetchedAt: catalog.fetchedAt, now: clock.now())) }
        return Reply(.attributes(catalog.attributes.filter(\.custom)), notices: notices)
    }
}
