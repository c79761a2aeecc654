import LeadModel

/// Tags, notes and merging, in both dialects (INTERCOM.md, "Beyond fields"; 2.14 operations
/// `createTag`, `listTagsForAContact`, `attachTagToContact`, `detachTagFromContact`,
/// `createNote`, `listNotes`, `MergeContact`; the 1.x reference's Tags, Notes and "Convert a Lead").
///
/// 2.x:
/// - `POST /tags {"name"}`: the tag, created when no tag has the name (any case); 200 `tag`.
///   `{"id", "name"}` renames; `{"name", "users": [{"id"}]}` also tags those contacts.
/// - `GET /contacts/{id}/tags`: `{"type":"list","data":[tag...]}`.
/// - `POST /contacts/{id}/tags {"id": TAG}` and `DELETE /contacts/{id}/tags/{TAG}`: 200 with the
///   tag (`applied_at`, `applied_by` included, as the 2.14 examples show); both idempotent.
/// - `POST /contacts/{id}/notes {"body", "admin_id"?}`: 200 `note`; `GET /contacts/{id}/notes`:
///   `{"type":"list","data":[note...],"total_count","pages"}`, newest first, as the 2.14 example.
/// - `GET /notes/{id}`: the note.
/// - `POST /contacts/merge {"from": LEAD, "into": USER}`: 200, the user as a 2.x contact.
///
/// 1.x:
/// - `POST /tags {"name", "users": [{"id"} | {"user_id"} | {"email"}, "untag"?]}`: 200 `tag`.
/// - `POST /notes {"body", "admin_id"?, "user": {"id"} | {"user_id"} | {"email"}}`: 200 note;
///   `GET /notes?intercom_user_id=` (also `id=`, `user_id=`, `email=`): `note.list`, oldest
///   first, as the 1.x reference's example lists them; `GET /notes/{id}`: the note.
/// - `POST /contacts/convert {"contact": {"id"} | {"user_id"}, "user": {"id"} | {"user_id"} | {"email"}}`:
///   200, the user in 1.x shape (`type: "user"`).
///
/// Errors: an unknown contact on these calls answers `404 not_found` "User Not Found" (the 2.14
/// examples), an unknown tag or admin `404 not_found` "Resource Not Found" (likewise); a missing
/// required parameter `400 parameter_not_found`, a value of the wrong type `400 parameter_invalid`.
/// A merged lead is unknown here in every version: 2.16's `410 contact_merged` is documented for
/// `GET /contacts/{id}` (and `find_by_external_id`) only.
extension Backend.State {
    /// Answers the calls above; nil for any other request, which the field routes then answer.
    mutating func routeBeyondFields(
        _ request: RecordedRequest, path: String, version: APIVersion, now: Int64
    ) throws(IntercomError) -> Backend.Outcome? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            RecordedRequest.percentDecode($0, plusIsSpace: false)
        }
        let v1 = version.isV1
        switch (request.method, segments.first ?? "", segments.count) {
        case ("POST", "tags", 1):
            return .json(try postTags(Self.bodyObject(of: request), v1: v1, now: now))
        case ("GET", "notes", 1) where v1:
            return .json(try listNotesV1(request))
        case ("POST", "notes", 1) where v1:
            return .json(try createNoteV1(Self.bodyObject(of: request), now: now))
        case ("GET", "notes", 2) where !segments[1].isEmpty:
            guard let note = notes.note(id: segments[1]) else { throw .resourceNotFound }
            return .json(v1 ? note.v1JSON : note.v2JSON)
        case ("POST", "contacts", 2) where v1 && segments[1] == "convert":
            return .json(try convert(Self.bodyObject(of: request), now: now))
        case ("POST", "contacts", 2) where !v1 && segments[1] == "merge":
            return .json(try merge(Self.bodyObject(of: request), version: version, now: now))
        case (_, "contacts", 3) where !v1 && segments[2] == "tags",
            (_, "contacts", 4) where !v1 && segments[2] == "tags":
            return .json(try contactTags(request, contactID: segments[1], tagID: segments.dropFirst(3).first, now: now))
        case (_, "contacts", 3) where !v1 && segments[2] == "notes":
            return .json(try contactNotes(request, contactID: segments[1], now: now))
        default:
            return nil
        }
    }

    // MARK: Tags

    /// `POST /tags` in either dialect; see the type's comment.
    ///
    /// Every listed contact is looked up before anything changes: one unknown contact answers
    /// 404 and tags no one. The tag is created when missing, for an untag too. Tagging does
    /// not move a contact's `updated_at` (Intercom does not say that it does).
    mutating func postTags(_ body: JSONObject, v1: Bool, now: Int64) throws(IntercomError) -> JSONValue {
        guard case .string(let name)? = body["name"], !name.allSatisfy(\.isWhitespace) else {
            throw IntercomError(status: 400, code: "parameter_invalid", message: "invalid tag parameters")
        }
        if let companies = body["companies"], !companies.isNull {
            // The fake has no companies.
            throw IntercomError(status: 404, code: "company_not_found", message: "Company Not Found")
        }
        var changes: [(id: String, untag: Bool)] = []
        if let users = body["users"], !users.isNull {
            guard let items = users.arrayValue else { throw .parameterInvalid("users must be an array", field: "users") }
            for item in items {
                guard let object = item.objectValue else {
                    throw IntercomError(status: 400, code: "parameter_invalid", message: "invalid tag parameters")
                }
                let lead = try findContact(object, v1: v1, usersOnly: false)
                changes.append((lead.id, object["untag"]?.boolValue == true))
            }
        }
        let tag: WorkspaceTag
        if let idValue = body["id"], !idValue.isNull {
            guard let id = Self.identifier(idValue), let renamed = tags.rename(id: id, to: name) else {
                throw .resourceNotFound
            }
            for lead in store.leads where lead.tagIDs.contains(id) { store.insert(lead.renaming(tag: renamed)) }
            tag = renamed
        } else {
            tag = tags.findOrCreate(named: name)
        }
        for change in changes {
            guard let lead = store.lead(id: change.id) else { continue }
            store.insert(change.untag ? lead.untagged(tagID: tag.id) : lead.tagged(with: tag))
        }
        return tag.json
    }

    /// `GET`, `POST /contacts/{id}/tags` and `DELETE /contacts/{id}/tags/{tag}` (2.x).
    mutating func contactTags(
        _ request: RecordedRequest, contactID: String, tagID: String?, now: Int64
    ) throws(IntercomError) -> JSONValue {
        switch (request.method, tagID) {
        case ("GET", nil):
            guard let lead = store.lead(id: contactID) else { throw .userNotFound }
            let items = lead.tagIDs.compactMap { tags.tag(id: $0)?.json }
            return ["type": "list", "data": .array(items)]
        case ("POST", nil):
            guard let lead = store.lead(id: contactID) else { throw .userNotFound }
            let body = try Self.bodyObject(of: request)
            guard let idValue = body["id"], !idValue.isNull else { throw .parameterNotFound("id") }
            guard let id = Self.identifier(idValue) else {
                throw .parameterInvalid("id must be a string", field: "id")
            }
            guard let tag = tags.tag(id: id) else { throw .resourceNotFound }
            store.insert(lead.tagged(with: tag))
            return tag.appliedJSON(at: now, by: Backend.adminID)
        case ("DELETE", let tagID?) where !tagID.isEmpty:
            guard let lead = store.lead(id: contactID) else { throw .userNotFound }
            guard let tag = tags.tag(id: tagID) else { throw .resourceNotFound }
            store.insert(lead.untagged(tagID: tag.id))
            return tag.appliedJSON(at: now, by: Backend.adminID)
        default:
            throw .resourceNotFound
        }
    }

    // MARK: Notes

    /// `GET` and `POST /contacts/{id}/notes` (2.x).
    ///
    /// The 2.14 description requires only `body`; `admin_id` (a string, or a number as its own
    /// example sends) is optional and defaults to the token's admin (`GET /me`); any other admin
    /// answers `404 not_found` "Resource Not Found", its "Admin not found" example. The list is
    /// one page of every note unless `per_page` (1-150, default 50) and `page` ask otherwise.
    mutating func contactNotes(
        _ request: RecordedRequest, contactID: String, now: Int64
    ) throws(IntercomError) -> JSONValue {
        guard store.lead(id: contactID) != nil else { throw .userNotFound }
        switch request.method {
        case "GET":
            let all = Array(notes.notes(of: contactID).reversed())
            let perPage = try Self.perPage(request.queryValue("per_page").map { Int($0) ?? 0 })
            let page = max(1, request.queryValue("page").flatMap { Int($0) } ?? 1)
            let start = min(all.count, (page - 1) * perPage)
            let slice = all[start..<min(all.count, start + perPage)]
            let totalPages = (all.count + perPage - 1) / perPage
            var pages = JSONObject([("type", "pages")])
            pages["next"] = page < totalPages ? .string("/contacts/\(contactID)/notes?page=\(page + 1)") : .null
            pages["page"] = .integer(Int64(page))
            pages["per_page"] = .integer(Int64(perPage))
            pages["total_pages"] = .integer(Int64(totalPages))
            return [
                "type": "list", "data": .array(slice.map(\.v2JSON)), "total_count": .integer(Int64(all.count)),
                "pages": .object(pages),
            ]
        case "POST":
            let body = try Self.bodyObject(of: request)
            let text = try Self.noteText(in: body)
            let author = try Self.author(in: body)
            return notes.add(contactID: contactID, html: NoteBook.html(from: text), authorID: author, now: now).v2JSON
        default:
            throw .resourceNotFound
        }
    }

    /// 1.x `POST /notes`: `user` names the lead (`id`, `user_id` or `email`); `admin_id` optional.
    mutating func createNoteV1(_ body: JSONObject, now: Int64) throws(IntercomError) -> JSONValue {
        let text = try Self.noteText(in: body)
        guard let userValue = body["user"], !userValue.isNull else { throw .parameterNotFound("user") }
        guard let user = userValue.objectValue else { throw .parameterInvalid("user must be an object", field: "user") }
        let lead = try findContact(user, v1: true, usersOnly: false)
        let author = try Self.author(in: body)
        return notes.add(contactID: lead.id, html: NoteBook.html(from: text), authorID: author, now: now).v1JSON
    }

    /// 1.x `GET /notes?intercom_user_id=` (or `id=`, `user_id=`, `email=`): `{"type":"note.list","notes":[...]}`.
    func listNotesV1(_ request: RecordedRequest) throws(IntercomError) -> JSONValue {
        var identifiers = JSONObject()
        if let id = request.queryValue("intercom_user_id") ?? request.queryValue("id") { identifiers["id"] = .string(id) }
        if let userID = request.queryValue("user_id") { identifiers["user_id"] = .string(userID) }
        if let email = request.queryValue("email") { identifiers["email"] = .string(email) }
        guard !identifiers.isEmpty else { throw .parameterNotFound("user_id") }
        let lead = try findContact(identifiers, v1: true, usersOnly: false)
        let listed = notes.notes(of: lead.id)
        return [
            "type": "note.list", "notes": .array(listed.map(\.v1JSON)),
            "pages": [
                "type": "pages", "next": nil, "page": 1, "per_page": .integer(Int64(max(listed.count, 50))),
                "total_pages": .integer(listed.isEmpty ? 0 : 1),
            ],
        ]
    }

    /// A note's `body`: required, a string with some text in it (a blank note is refused).
    static func noteText(in body: JSONObject) throws(IntercomError) -> String {
        guard let value = body["body"], !value.isNull else { throw .parameterNotFound("body") }
        guard let text = value.stringValue else { throw .parameterInvalid("body must be a string", field: "body") }
        guard !text.allSatisfy(\.isWhitespace) else { throw .parameterInvalid("body can't be blank", field: "body") }
        return text
    }

    /// A note's author: `admin_id` when given (it must be the workspace's admin), else the token's admin.
    static func author(in body: JSONObject) throws(IntercomError) -> String {
        guard let value = body["admin_id"], !value.isNull else { return Backend.adminID }
        guard let id = identifier(value) else { throw .parameterInvalid("admin_id must be a string", field: "admin_id") }
        guard id == Backend.adminID else { throw .resourceNotFound }
        return id
    }

    // MARK: Merge and convert

    /// 2.x `POST /contacts/merge {"from", "into"}`.
    ///
    /// The 2.14 description documents no error but 401; the fake answers: `from` or `into`
    /// missing `400 parameter_not_found`; either unknown (or merged away) `404 not_found`
    /// "User Not Found"; the same contact twice, `from` not a lead or `into` not a user
    /// `400 parameter_invalid` naming the field. 2.16 and later also refuse contacts that are
    /// not duplicates (no shared email or phone) with `400 invalid_merge`, unless the body has
    /// `"skip_duplicate_validation": true` (2.16 description).
    mutating func merge(_ body: JSONObject, version: APIVersion, now: Int64) throws(IntercomError) -> JSONValue {
        func id(_ name: String) throws(IntercomError) -> String {
            guard let value = body[name], !value.isNull else { throw .parameterNotFound(name) }
            guard let id = value.stringValue, !id.isEmpty else {
                throw .parameterInvalid("\(name) must be a string", field: name)
            }
            return id
        }
        let fromID = try id("from")
        let intoID = try id("into")
        guard let from = store.lead(id: fromID), let into = store.lead(id: intoID) else { throw .userNotFound }
        guard fromID != intoID else { throw .parameterInvalid("from and into must be different contacts", field: "into") }
        guard store.role(of: fromID) == "lead" else {
            throw .parameterInvalid("from must be a contact with role lead", field: "from")
        }
        guard store.role(of: intoID) == "user" else {
            throw .parameterInvalid("into must be a contact with role user", field: "into")
        }
        if version.isAtLeast(2, 16), body["skip_duplicate_validation"]?.boolValue != true {
            let sameEmail = from.email.map { $0.lowercased() } == into.email.map { $0.lowercased() } && from.email != nil
            let samePhone = from.phone == into.phone && from.phone != nil
            guard sameEmail || samePhone else {
                throw IntercomError(
                    status: 400, code: "invalid_merge",
                    message: "Contacts can only be merged when they are duplicates (matching email or phone). "
                        + "Pass skip_duplicate_validation=true to override this check.")
            }
        }
        // Merged first, rendered after: `render(mergeContact(...))` would read `self` before the change.
        let merged = mergeContact(fromID, into: intoID, now: now)
        return render(merged)
    }

    /// 1.x `POST /contacts/convert`, as the 1.x reference's "Convert a Lead" describes it: when the
    /// user exists the lead is merged into it (``mergeContact(_:into:now:)``) and the user answered;
    /// otherwise the lead itself becomes the user, keeping its id and email, its `user_id`
    /// replaced by the user's (null when the user is named by email only), its email by the
    /// user's email when one is given.
    ///
    /// The lead (`contact`: `id` or `user_id`) must be a contact with role lead; the user is looked
    /// up among contacts with role user (`id`, then `user_id`, then `email`). An unknown lead is
    /// `404 not_found` "Contact Not Found"; a user named by an unknown `id` `404` "User Not Found"
    /// (a new user cannot be given an id). A new user's `user_id` that a lead already has answers
    /// `409 conflict` (the fake keeps one `user_id` per contact; Intercom kept leads and users apart).
    mutating func convert(_ body: JSONObject, now: Int64) throws(IntercomError) -> JSONValue {
        guard let contactValue = body["contact"], !contactValue.isNull else { throw .parameterNotFound("contact") }
        guard let contact = contactValue.objectValue else {
            throw .parameterInvalid("contact must be an object", field: "contact")
        }
        guard let userValue = body["user"], !userValue.isNull else { throw .parameterNotFound("user") }
        guard let user = userValue.objectValue else { throw .parameterInvalid("user must be an object", field: "user") }

        let lead: Contact
        do throws(IntercomError) {
            lead = try findContact(contact, v1: true, usersOnly: false, allowsEmail: false)
        } catch {
            throw error == .userNotFound ? .contactNotFound : error
        }
        guard store.role(of: lead.id) == "lead" else { throw .contactNotFound }

        if let existing = try? findContact(user, v1: true, usersOnly: true) {
            return Self.v1User(mergeContact(lead.id, into: existing.id, now: now))
        }
        if let id = user["id"], !id.isNull { throw .userNotFound }
        let userID = user["user_id"].flatMap(Self.identifier)
        let email = user["email"]?.stringValue
        guard userID != nil || email != nil else { throw .parameterNotFound("user_id") }
        if let userID, let other = store.lead(userID: userID), other.id != lead.id { throw .conflict(with: other.id) }
        var changes = FieldChanges()
        changes[.standard("user_id")] = userID.map(JSONValue.string) ?? .null
        if let email { changes[.standard("email")] = .string(email) }
        changes[.standard("anonymous")] = false
        let converted = store.edit(id: lead.id, changes, now: now) ?? lead
        store.setRole("user", of: lead.id)
        return Self.v1User(converted)
    }

    /// A contact in 1.x's user shape: the stored fields, typed `user`.
    static func v1User(_ contact: Contact) -> JSONValue {
        var fields = contact.fields
        fields["type"] = "user"
        return .object(fields)
    }

    // MARK: Finding contacts

    /// The contact an identifier object names: `{"id"}`, and on 1.x also `{"user_id"}` or
    /// `{"email"}` (first match, any case), tried in that order; 2.x's `users` items name
    /// contacts by `id` only (schema `tag_multiple_users_request`).
    ///
    /// - Parameter usersOnly: only contacts whose role is `user` count.
    /// - Throws: `404 not_found` "User Not Found" when none matches, `400 parameter_invalid`
    ///   when the object names no contact the dialect accepts.
    func findContact(
        _ identifiers: JSONObject, v1: Bool, usersOnly: Bool, allowsEmail: Bool = true
    ) throws(IntercomError) -> Contact {
        let accepts: (Contact) -> Bool = { !usersOnly || self.store.role(of: $0.id) == "user" }
        if let value = identifiers["id"], !value.isNull {
            guard let id = Self.identifier(value) else { throw .parameterInvalid("id must be a string", field: "id") }
            guard let lead = store.lead(id: id), accepts(lead) else { throw .userNotFound }
            return lead
        }
        if v1, let value = identifiers["user_id"], !value.isNull {
            guard let userID = Self.identifier(value) else {
                throw .parameterInvalid("user_id must be a string", field: "user_id")
            }
            guard let lead = store.lead(userID: userID), accepts(lead) else { throw .userNotFound }
            return lead
        }
        if v1, allowsEmail, let email = identifiers["email"]?.stringValue?.lowercased(), !email.isEmpty {
            guard let lead = store.leads.first(where: { $0.email?.lowercased() == email && accepts($0) }) else {
                throw .userNotFound
            }
            return lead
        }
        throw IntercomError(
            status: 400, code: "parameter_invalid", message: v1 ? "No id, user_id or email given" : "invalid tag parameters")
    }

    /// An id sent as a string or, as Intercom's own examples sometimes do, a number.
    static func identifier(_ value: JSONValue) -> String? {
        if let string = value.stringValue { return string.isEmpty ? nil : string }
        return value.integerValue.map { String($0) }
    }
}
