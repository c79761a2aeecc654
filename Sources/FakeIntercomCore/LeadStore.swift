import Foundation
import LeadModel

/// The leads the fake holds, looked up by `id` and `user_id`, changed as Intercom changes them.
struct LeadStore: Sendable {
    private(set) var leads: [Contact] = []
    private var positionByID: [String: Int] = [:]
    private var positionByUserID: [String: Int] = [:]
    /// The 2.x role of leads whose role was changed or set at creation; others are `lead`.
    private var roles: [String: String] = [:]
    /// Where merged leads went: merged id -> the id it was merged into.
    private(set) var mergedInto: [String: String] = [:]
    /// The workspace id new leads carry as `app_id`.
    var appID = "ja43hiec"

    init(_ leads: [Contact]) {
        for lead in leads { insert(lead) }
    }

    func lead(id: String) -> Contact? {
        positionByID[id].map { leads[$0] }
    }

    func lead(userID: String) -> Contact? {
        positionByUserID[userID].map { leads[$0] }
    }

    /// The lead's role as 2.x shows it: `lead` unless changed.
    func role(of id: String) -> String { roles[id] ?? "lead" }

    /// Sets a contact's 2.x role (`lead` or `user`), as 1.x's convert does.
    mutating func setRole(_ role: String, of id: String) { roles[id] = role == "lead" ? nil : role }

    /// Where a merged lead went, following merges of merges; nil when it was not merged.
    func mergeTarget(of id: String) -> String? {
        var target = mergedInto[id]
        var hops = 0
        while let next = target.flatMap({ mergedInto[$0] }), hops < 16 {
            target = next
            hops += 1
        }
        return target
    }

    /// Adds a lead, or replaces the one with the same id in place.
    mutating func insert(_ lead: Contact) {
        mergedInto[lead.id] = nil
        if let position = positionByID[lead.id] {
            replace(at: position, with: lead)
        } else {
            positionByID[lead.id] = leads.count
            if let userID = lead.userID { positionByUserID[userID] = leads.count }
            leads.append(lead)
        }
    }

    @discardableResult
    mutating func remove(id: String) -> Contact? {
        guard let position = positionByID[id] else { return nil }
        let removed = leads.remove(at: position)
        roles[id] = nil
        positionByID = [:]
        positionByUserID = [:]
        for (offset, lead) in leads.enumerated() {
            positionByID[lead.id] = offset
            if let userID = lead.userID { positionByUserID[userID] = offset }
        }
        return removed
    }

    /// Removes a lead as merged into another; later reads of it answer 404, or 410 on 2.16+.
    ///
    /// - Returns: the removed lead; nil (and nothing changes) when either id names no lead or both are the same.
    mutating func merge(id: String, into targetID: String) -> Contact? {
        guard id != targetID, lead(id: targetID) != nil, let removed = remove(id: id) else { return nil }
        mergedInto[id] = targetID
        return removed
    }

    /// Applies a checked 2.x `PUT /contacts/{id}` body.
    ///
    /// An email or external id that another lead already has answers 409. `updated_at`
    /// moves only when a value changes, so repeating the same update gives the same contact.
    mutating func update(id: String, _ write: ContactV2.Write, now: Int64) throws(IntercomError) -> Contact {
        guard let current = lead(id: id) else { throw .contactNotFound }
        if let other = duplicate(of: write, excluding: id) { throw .conflict(with: other.id) }
        let changed = current.applying(write.changes)
        let roleChanged = write.role.map { $0 != role(of: id) } ?? false
        if let role = write.role { roles[id] = role == "lead" ? nil : role }
        guard changed != current || roleChanged else { return current }
        return edit(id: id, write.changes, now: now) ?? changed
    }

    /// Creates a lead for a checked 2.x `POST /contacts` body, which must name an email or external id.
    mutating func create(_ write: ContactV2.Write, now: Int64) throws(IntercomError) -> Contact {
        guard write.email != nil || write.externalID != nil else {
            throw .parameterInvalid("Either email or external_id must be provided", field: "email")
        }
        if let other = duplicate(of: write, excluding: nil) { throw .conflict(with: other.id) }
        var lead = Self.newLead(now: now, appID: appID)
        lead.fields["user_id"] = .null
        lead = lead.applying(write.changes)
        insert(lead)
        // Intercom makes a contact a user unless the body asks for a lead.
        if write.role != "lead" { roles[lead.id] = write.role ?? "user" }
        return lead
    }

    /// Another lead holding the email or external id a write sets.
    private func duplicate(of write: ContactV2.Write, excluding id: String?) -> Contact? {
        if let externalID = write.externalID, let other = lead(userID: externalID), other.id != id { return other }
        if let email = write.email?.lowercased(),
            let other = leads.first(where: { $0.id != id && $0.email?.lowercased() == email })
        {
            return other
        }
        return nil
    }

    /// Applies changes the way Intercom does, bumping `updated_at`; nil when no lead has this id.
    mutating func edit(id: String, _ changes: FieldChanges, now: Int64) -> Contact? {
        guard let position = positionByID[id] else { return nil }
        var lead = leads[position].applying(changes)
        lead.fields["updated_at"] = .integer(max(now, (leads[position].updatedAt ?? 0) + 1))
        replace(at: position, with: lead)
        return lead
    }

    /// Handles the body of `POST /contacts`: updates the lead it names, or creates one when it names none.
    mutating func post(_ body: JSONObject, now: Int64) throws(IntercomError) -> Contact {
        let id = try identifier("id", in: body)
        let userID = try identifier("user_id", in: body)
        let changes = try Self.changes(in: body)
        guard id != nil || userID != nil else {
            let lead = Self.newLead(now: now, appID: appID).applying(changes)
            insert(lead)
            return lead
        }
        let found: Contact?
        if let id {
            found = lead(id: id).flatMap { lead in userID == nil || lead.userID == userID ? lead : nil }
        } else {
            found = userID.flatMap { lead(userID: $0) }
        }
        guard let found, let updated = edit(id: found.id, changes, now: now) else { throw .contactNotFound }
        return updated
    }

    private func identifier(_ name: String, in body: JSONObject) throws(IntercomError) -> String? {
        switch body[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw .parameterInvalid("\(name) must be a string", field: name)
        }
    }

    /// The changes a request body asks for, checked as Intercom checks them.
    ///
    /// Identifiers, read-only and unknown fields are ignored; `last_seen_user_agent`
    /// lands in `user_agent_data`, as Intercom derives it.
    static func changes(in body: JSONObject) throws(IntercomError) -> FieldChanges {
        var changes = FieldChanges()
        for (name, value) in body {
            if name == "id" || name == "user_id" { continue }
            if name == "custom_attributes" {
                if value.isNull { continue }
                guard let attributes = value.objectValue else {
                    throw .parameterInvalid("custom_attributes must be an object", field: name)
                }
                for (attribute, attributeValue) in attributes {
                    if let problem = CustomAttributeRules.problem(withName: attribute) {
                        throw .parameterInvalid(problem, field: attribute)
                    }
                    if !attributeValue.isFlat {
                        throw .parameterInvalid("Value: not of type Numeric, String or Boolean", field: attribute)
                    }
                    if let problem = CustomAttributeRules.problem(withValue: attributeValue) {
                        throw .parameterInvalid(problem, field: attribute)
                    }
                    changes[.custom(attribute)] = attributeValue
                }
                continue
            }
            guard let field = StandardField.named(name), field.isWritable else { continue }
            switch (field.kind, value) {
            case (.string, .string), (.string, .null), (.boolean, .bool), (.timestamp, .integer), (.timestamp, .null),
                (.integer, .integer), (.integer, .null):
                break
            case (.string, _):
                throw .parameterInvalid("\(name) must be a string, got \(value.typeName)", field: name)
            case (.boolean, _):
                throw .parameterInvalid("\(name) must be a boolean, got \(value.typeName)", field: name)
            case (.timestamp, _), (.integer, _):
                throw .parameterInvalid("\(name) must be an integer (Unix seconds), got \(value.typeName)", field: name)
            }
            changes[.standard(name == "last_seen_user_agent" ? "user_agent_data" : name)] = value
        }
        return changes
    }

    /// A lead as Intercom creates one for `POST /contacts` without identifiers.
    static func newLead(now: Int64, appID: String = "ja43hiec") -> Contact {
        let template: JSONValue = [
            "type": "contact",
            "id": .string(makeID()),
            "user_id": .string(UUID().uuidString.lowercased()),
            "anonymous": true,
            "email": nil,
            "phone": nil,
            "name": nil,
            "pseudonym": "Sandbox Lead",
            "avatar": ["type": "avatar", "image_url": nil],
            "app_id": .string(appID),
            "companies": ["type": "company.list", "companies": []],
            "location_data": ["type": "location_data"],
            "last_request_at": nil,
            "last_seen_ip": nil,
            "created_at": .integer(now),
            "remote_created_at": nil,
            "signed_up_at": nil,
            "updated_at": .integer(now),
            "session_count": 0,
            "social_profiles": ["type": "social_profile.list", "social_profiles": []],
            "unsubscribed_from_emails": false,
            "user_agent_data": nil,
            "tags": ["type": "tag.list", "tags": []],
            "segments": ["type": "segment.list", "segments": []],
            "custom_attributes": [:],
        ]
        // The template is an object of type "contact" with an id, which is all Contact requires.
        return try! Contact(fields: template.objectValue!)
    }

    /// 24 lowercase hex digits, like Intercom's ids.
    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<12).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private mutating func replace(at position: Int, with lead: Contact) {
        let old = leads[position]
        if old.userID != lead.userID {
            if let userID = old.userID, positionByUserID[userID] == position { positionByUserID[userID] = nil }
            if let userID = lead.userID { positionByUserID[userID] = position }
        }
        leads[position] = lead
    }
}
