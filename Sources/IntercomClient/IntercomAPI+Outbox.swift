import Foundation
import LeadModel
import NIOHTTP1

/// The calls of the outbox's other kinds: tags, notes, merges. Each goes through ``send``, so
/// through the one failure policy: the rate-limit hold, 429, 5xx, refused and 401 as for an update.
extension IntercomAPI {
    // MARK: Tags

    /// 2.x `POST /tags {"name"}`: the tag's id, created when the workspace has none by that name.
    public func createTag(named name: String) async throws(IntercomError) -> IntercomResponse<IntercomTag> {
        let raw = try await send(method: .POST, path: "/tags", body: JSONText.serialize(["name": .string(name)]))
        return try IntercomAPI.tag(from: raw)
    }

    /// 2.x `POST /contacts/{id}/tags {"id": TAG}` (`add`), or `DELETE /contacts/{id}/tags/{TAG}`.
    /// Both are idempotent.
    public func setTag(contactID: String, tagID: String, add: Bool) async throws(IntercomError) -> RateLimitInfo {
        let path = IntercomAPI.contactPath(contactID) + "/tags"
        let raw: RawResponse
        if add {
            raw = try await send(method: .POST, path: path, body: JSONText.serialize(["id": .string(tagID)]))
        } else {
            let segment = tagID.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? tagID
            raw = try await send(method: .DELETE, path: path + "/" + segment, body: nil)
        }
        return raw.rateLimit
    }

    /// 1.x `POST /tags {"name", "users": [{"id"|"user_id", "untag"?}]}`: tags (or untags) the lead,
    /// creating the tag when needed. `untag` goes in the user's item, as Intercom's reference puts it.
    public func setTagV1(named name: String, lead: LeadReference, add: Bool) async throws(IntercomError) -> IntercomResponse<IntercomTag> {
        var user = JSONObject()
        if let id = lead.id {
            user["id"] = .string(id)
        } else if let userID = lead.userID {
            user["user_id"] = .string(userID)
        }
        if !add { user["untag"] = true }
        let body = JSONObject([("name", .string(name)), ("users", .array([.object(user)]))])
        let raw = try await send(method: .POST, path: "/tags", body: JSONText.serialize(.object(body)))
        return try IntercomAPI.tag(from: raw)
    }

    static func tag(from raw: RawResponse) throws(IntercomError) -> IntercomResponse<IntercomTag> {
        guard let object = (try? JSONText.parse(raw.body))?.objectValue,
            let id = object["id"]?.stringValue ?? object["id"]?.integerValue.map(String.init),
            let name = object["name"]?.stringValue
        else {
            throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "expected a tag")
        }
        return IntercomResponse(value: IntercomTag(id: id, name: name), status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
    }

    // MARK: Notes

    /// Adds a note: 2.x `POST /contacts/{id}/notes {"body", "contact_id", "admin_id"}`, 1.x
    /// `POST /notes {"admin_id", "body", "user": {"id"}}`.
    public func addNote(contactID: String, body: String, adminID: String?) async throws(IntercomError) -> IntercomResponse<IntercomNote> {
        let raw: RawResponse
        switch dialect {
        case .v2:
            var json = JSONObject([("body", .string(body)), ("contact_id", .string(contactID))])
            if let adminID { json["admin_id"] = .string(adminID) }
            raw = try await send(method: .POST, path: IntercomAPI.contactPath(contactID) + "/notes", body: JSONText.serialize(.object(json)))
        case .v1:
            var json = JSONObject([("body", .string(body)), ("user", ["id": .string(contactID)])])
            if let adminID { json["admin_id"] = .string(adminID) }
            raw = try await send(method: .POST, path: "/notes", body: JSONText.serialize(.object(json)))
        }
        guard let object = (try? JSONText.parse(raw.body))?.objectValue, let note = IntercomNote(json: object) else {
            throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "expected a note")
        }
        return IntercomResponse(value: note, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
    }

    /// A contact's notes: 2.x `GET /contacts/{id}/notes`, 1.x `GET /notes?intercom_user_id=`.
    public func notes(contactID: String) async throws(IntercomError) -> IntercomResponse<[IntercomNote]> {
        let raw: RawResponse
        switch dialect {
        case .v2:
            raw = try await send(method: .GET, path: IntercomAPI.contactPath(contactID) + "/notes", body: nil)
        case .v1:
            let query = contactID.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? contactID
            raw = try await send(method: .GET, path: "/notes?intercom_user_id=" + query, body: nil)
        }
        guard let object = (try? JSONText.parse(raw.body))?.objectValue,
            let items = object["data"]?.arrayValue ?? object["notes"]?.arrayValue
        else {
            throw IntercomError(
                kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "expected a list of notes")
        }
        let notes = items.compactMap { $0.objectValue.flatMap(IntercomNote.init(json:)) }
        return IntercomResponse(value: notes, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
    }

    // MARK: Merges

    /// Merges a lead into a user: 2.x `POST /contacts/merge {"from", "into"}`, 1.x
    /// `POST /contacts/convert {"contact": {"id"}, "user": {"id"|"user_id"}}`. Answers the user.
    public func merge(leadID: String, into user: LeadReference) async throws(IntercomError) -> IntercomResponse<Contact> {
        switch dialect {
        case .v2:
            let body = JSONText.serialize(["from": .string(leadID), "into": .string(user.id ?? "")])
            return try await contact(from: send(method: .POST, path: "/contacts/merge", body: body))
        case .v1:
            var target = JSONObject()
            if let id = user.id {
                target["id"] = .string(id)
            } else if let userID = user.userID {
                target["user_id"] = .string(userID)
            }
            let body = JSONText.serialize(["contact": ["id": .string(leadID)], "user": .object(target)])
            return try await contact(from: send(method: .POST, path: "/contacts/convert", body: body))
        }
    }

    /// The user a merge names, found by id (`GET /contacts/{id}`) or, under 2.x, by external id
    /// (a search); nil when there is none. Under 1.x a user named by `user_id` alone is not
    /// looked up (1.x reads users elsewhere): nil.
    public func findUser(_ user: LeadReference) async throws(IntercomError) -> Contact? {
        do {
            if let id = user.id { return try await fetch(id: id).value }
            guard let external = user.userID, dialect == .v2 else { return nil }
            return try await search(field: "external_id", value: external).value.first
        } catch  where error.status == 404 || error.status == 410 {
            return nil
        }
    }
}
