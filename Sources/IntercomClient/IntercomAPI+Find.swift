import Foundation
public import LeadModel
import NIOHTTP1

extension IntercomAPI {
    /// The contacts with this email, in the client's dialect: 1.x `GET /contacts?email=E`
    /// (a `contact.list`), 2.x `POST /contacts/search` on `email`. An email does not identify a
    /// lead for update, so several may come back; none is an empty list.
    ///
    /// - Parameter limit: The most 2.x's search returns (1.x answers one page of up to 50).
    public func find(email: String, limit: Int = 25) async throws(IntercomError) -> IntercomResponse<[Contact]> {
        switch dialect {
        case .v2:
            return try await search(field: "email", value: email, limit: limit)
        case .v1:
            let query = email.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? email
            let raw = try await send(method: .GET, path: "/contacts?email=" + query, body: nil)
            do {
                guard let object = try JSONText.parse(raw.body).objectValue, let items = object["contacts"]?.arrayValue else {
                    throw ContactDecodingError(reason: "expected a contact.list with contacts")
                }
                var contacts: [Contact] = []
                for item in items {
                    guard let fields = item.objectValue else { throw ContactDecodingError(reason: "a list item is not an object") }
                    contacts.append(try Contact(fields: fields))
                }
                return IntercomResponse(value: contacts, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
            } catch {
                throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "\(error)")
            }
        }
    }
}

/// A workspace's tag.
public struct IntercomTag: Sendable, Hashable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// One page of a 2.x search.
public struct SearchPage: Sendable {
    public var contacts: [Contact]
    /// Intercom's `total_count`: how many contacts match, over every page.
    public var total: Int?
    /// `pages.next.starting_after`: the cursor of the next page; nil on the last.
    public var next: String?
}

extension IntercomAPI {
    /// The most contacts one page of `POST /contacts/search` returns (Intercom's limit).
    public static let maxSearchPage = 150

    /// One page of `POST /contacts/search` (2.x): the contacts matching `query` after the
    /// cursor `startingAfter`, at most `perPage`.
    public func searchPage(query: JSONValue, perPage: Int, startingAfter: String?) async throws(IntercomError) -> IntercomResponse<SearchPage> {
        var pagination = JSONObject()
        pagination["per_page"] = .integer(Int64(perPage))
        if let startingAfter { pagination["starting_after"] = .string(startingAfter) }
        let body = JSONText.serialize(["query": query, "pagination": .object(pagination)])
        let raw = try await send(method: .POST, path: "/contacts/search", body: body)
        do {
            guard let object = try JSONText.parse(raw.body).objectValue, let data = object["data"]?.arrayValue else {
                throw ContactDecodingError(reason: "expected a list with data")
            }
            var contacts: [Contact] = []
            contacts.reserveCapacity(data.count)
            for item in data {
                guard let fields = item.objectValue else { throw ContactDecodingError(reason: "a list item is not an object") }
                contacts.append(try Contact(fields: fields))
            }
            let total = object["total_count"]?.integerValue.map { Int($0) }
            var next = object["pages"]?.objectValue?["next"]?.objectValue?["starting_after"]?.stringValue
            // A page that brings nothing cannot lead anywhere: never loop on a cursor.
            if contacts.isEmpty || next == startingAfter { next = nil }
            return IntercomResponse(
                value: SearchPage(contacts: contacts, total: total, next: next), status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
        } catch {
            throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "\(error)")
        }
    }

    /// `GET /tags`: the workspace's tags, name and id (2.x `{"type":"list","data":[...]}`,
    /// 1.x `{"type":"tag.list","tags":[...]}`).
    public func tags() async throws(IntercomError) -> IntercomResponse<[IntercomTag]> {
        let raw = try await send(method: .GET, path: "/tags", body: nil)
        guard let object = (try? JSONText.parse(raw.body))?.objectValue,
            let items = object["data"]?.arrayValue ?? object["tags"]?.arrayValue
        else {
            throw IntercomError(
                kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "expected a list of tags")
        }
        let tags = items.compactMap { item -> IntercomTag? in
            guard let tag = item.objectValue, let id = tag["id"]?.stringValue ?? tag["id"]?.integerValue.map(String.init),
                let name = tag["name"]?.stringValue
            else { return nil }
            return IntercomTag(id: id, name: name)
        }
        return IntercomResponse(value: tags, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
    }
}
