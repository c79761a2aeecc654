import Foundation
import LeadModel

/// The 2.x contacts API over the same store the 1.x lead API uses.
///
/// - `GET /contacts/{id}`: the contact; a merged one answers 404 before 2.16 and
///   `410 contact_merged` with `Link: </contacts/TARGET>; rel="canonical"` from 2.16.
/// - `GET /contacts/find_by_external_id/{external_id}`: the same, by external id.
/// - `PUT /contacts/{id}`: changes only the fields given (``ContactV2/write(_:rejectsV1Fields:attributes:)``).
/// - `POST /contacts`: creates only; `id` and `user_id` in the body are ignored.
/// - `POST /contacts/search`: ``ContactSearch`` queries, paged: `pagination.per_page` (default 50,
///   at most 150) and `pagination.starting_after`, the `pages.next.starting_after` of the page before.
/// - `GET /contacts`: lists every contact, paged; 1.x's `user_id`/`id` parameters are ignored.
extension Backend.State {
    /// The most contacts a page may hold, and how many it holds by default.
    static let maxPerPage = 150
    static let defaultPerPage = 50
    /// The workspace's time zone, where search dates are cut to days.
    static let searchTimeZone = TimeZone(identifier: Backend.timeZoneIdentifier) ?? TimeZone(secondsFromGMT: 0)!

    mutating func routeV2(
        _ request: RecordedRequest, path: String, version: APIVersion, now: Int64
    ) throws(IntercomError) -> Backend.Outcome {
        switch (request.method, path) {
        case ("GET", "/contacts"):
            let perPage = try Self.perPage(request.queryValue("per_page").map { Int($0) ?? 0 })
            return .json(page(store.leads, perPage: perPage, startingAfter: request.queryValue("starting_after")))
        case ("POST", "/contacts"):
            let body = try Self.bodyObject(of: request)
            let write = try ContactV2.write(body, rejectsV1Fields: false, attributes: attributes)
            // Changed first, rendered after: `render(try store.create(...))` would read `self` before the change.
            let created = try store.create(write, now: now)
            return .json(render(created))
        case ("POST", "/contacts/search"):
            let body = try Self.bodyObject(of: request)
            guard let queryValue = body["query"] else {
                throw IntercomError(
                    status: 400, code: "parameter_not_found", message: "query parameter not found", field: "query")
            }
            let query = try ContactSearch.parse(queryValue, attributes: attributes, timeZone: Self.searchTimeZone)
            var perPage = Self.defaultPerPage
            var startingAfter: String?
            if let pagination = body["pagination"], !pagination.isNull {
                guard let object = pagination.objectValue else {
                    throw .parameterInvalid("pagination must be an object", field: "pagination")
                }
                if let value = object["per_page"], !value.isNull {
                    guard let number = value.integerValue else {
                        throw .parameterInvalid("per_page must be an integer", field: "per_page")
                    }
                    perPage = try Self.perPage(Int(clamping: number))
                }
                startingAfter = object["starting_after"]?.stringValue
            }
            let matches = store.leads.filter { query.matches($0, role: store.role(of: $0.id)) }
            return .json(page(matches, perPage: perPage, startingAfter: startingAfter))
        case ("GET", _) where path.hasPrefix("/contacts/find_by_external_id/"):
            let externalID = Self.pathComponent(path, after: "/contacts/find_by_external_id/")
            guard let externalID, let lead = store.lead(userID: externalID) else { throw .contactNotFound }
            return .json(render(lead))
        case ("GET", _) where path.hasPrefix("/contacts/"):
            guard let id = Self.pathComponent(path, after: "/contacts/") else { throw .contactNotFound }
            guard let lead = store.lead(id: id) else {
                if version.isAtLeast(2, 16), let target = store.mergeTarget(of: id) {
                    throw .contactMerged(into: target)
                }
                throw .contactNotFound
            }
            return .json(render(lead))
        case ("PUT", _) where path.hasPrefix("/contacts/"):
            guard let id = Self.pathComponent(path, after: "/contacts/"), store.lead(id: id) != nil else {
                throw .contactNotFound
            }
            let body = try Self.bodyObject(of: request)
            let write = try ContactV2.write(body, rejectsV1Fields: true, attributes: attributes)
            let updated = try store.update(id: id, write, now: now)
            return .json(render(updated))
        default:
            throw .resourceNotFound
        }
    }

    /// A lead as a 2.x contact of this workspace.
    func render(_ lead: Contact) -> JSONValue {
        ContactV2.render(
            lead, role: store.role(of: lead.id), workspaceID: appID,
            noteIDs: notes.notes(of: lead.id).reversed().map(\.id))
    }

    /// `{"type":"list","data":[...],"total_count":N,"pages":{...}}`, the page after `startingAfter`.
    ///
    /// The cursor is the id of the last contact of the previous page; `pages.next` is
    /// given while more follow.
    func page(_ leads: [Contact], perPage: Int, startingAfter: String?) -> JSONValue {
        var start = 0
        if let startingAfter, let index = leads.firstIndex(where: { $0.id == startingAfter }) {
            start = index + 1
        }
        let end = min(leads.count, start + perPage)
        let slice = start < end ? Array(leads[start..<end]) : []
        var pages = JSONObject()
        pages["type"] = "pages"
        pages["page"] = .integer(Int64(start / perPage + 1))
        if end < leads.count, let last = slice.last {
            pages["next"] = ["page": .integer(Int64(start / perPage + 2)), "starting_after": .string(last.id)]
        }
        pages["per_page"] = .integer(Int64(perPage))
        pages["total_pages"] = .integer(Int64((leads.count + perPage - 1) / perPage))
        return [
            "type": "list",
            "data": .array(slice.map(render)),
            "total_count": .integer(Int64(leads.count)),
            "pages": .object(pages),
        ]
    }

    /// A page size from a request; nil means the default.
    static func perPage(_ requested: Int?) throws(IntercomError) -> Int {
        guard let requested else { return defaultPerPage }
        guard (1...maxPerPage).contains(requested) else {
            throw .parameterInvalid("per_page must be between 1 and \(maxPerPage)", field: "per_page")
        }
        return requested
    }

    /// The body as a JSON object; an empty body reads as `{}`.
    static func bodyObject(of request: RecordedRequest) throws(IntercomError) -> JSONObject {
        switch request.bodyJSON {
        case .object(let object)?: return object
        case nil where request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }):
            return JSONObject()
        case nil: throw .badRequest("Invalid JSON in request body")
        case _?: throw .badRequest("The request body must be a JSON object")
        }
    }

    /// The percent-decoded path segment after `prefix`, or nil when it is empty or holds `/`.
    static func pathComponent(_ path: String, after prefix: String) -> String? {
        let id = RecordedRequest.percentDecode(path.dropFirst(prefix.count), plusIsSpace: false)
        return id.isEmpty || id.contains("/") ? nil : id
    }
}
