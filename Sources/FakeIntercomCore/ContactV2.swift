import LeadModel

/// The 2.x view of the fake's leads: the `contact` object, and the bodies of
/// `PUT /contacts/{id}` and `POST /contacts` turned into changes of the stored (1.x-shaped) lead.
///
/// The store keeps one lead per contact in 1.x shape; 2.x names map onto it:
/// `external_id` is the stored `user_id`, `last_seen_at` is `last_request_at`,
/// `avatar` (a URL in a body) is `avatar.image_url`, `location` is read from `location_data`.
enum ContactV2 {
    /// The fields a 2.x update or create body may hold (`UpdateContact`, `CreateContact`).
    static let writableFields: Set<String> = [
        "role", "external_id", "email", "phone", "name", "avatar", "signed_up_at", "last_seen_at", "owner_id",
        "unsubscribed_from_emails", "custom_attributes",
    ]

    /// 1.x fields that 2.x no longer accepts; an update naming one is refused.
    static let v1OnlyFields: Set<String> = [
        "user_id", "last_seen_ip", "last_seen_user_agent", "last_request_at", "update_last_request_at",
    ]

    /// How many notes a contact's `notes` list shows; `has_more` says when it has more.
    static let shownNotes = 10

    /// A stored lead as the 2.x `contact` object (2.14 description, schema `contact`).
    ///
    /// - Parameter noteIDs: the contact's notes, newest first; `notes.data` shows the first
    ///   ``shownNotes`` as `{type: "note", id, url}` (schema `addressable_list`), `total_count` all.
    static func render(_ lead: Contact, role: String, workspaceID: String, noteIDs: [String] = []) -> JSONValue {
        let fields = lead.fields
        func value(_ name: String) -> JSONValue { fields[name] ?? .null }
        func list(_ name: String, items: [JSONValue], total: Int? = nil) -> JSONValue {
            let total = total ?? items.count
            return [
                "type": "list", "data": .array(items), "url": .string("/contacts/\(lead.id)/\(name)"),
                "total_count": .integer(Int64(total)), "has_more": .bool(total > items.count),
            ]
        }
        let emailDomain: JSONValue
        if let email = lead.email, let at = email.lastIndex(of: "@"), email.index(after: at) < email.endIndex {
            emailDomain = .string(String(email[email.index(after: at)...]))
        } else {
            emailDomain = .null
        }
        let location = lead.locationData

        var contact = JSONObject()
        contact["type"] = "contact"
        contact["id"] = .string(lead.id)
        contact["workspace_id"] = .string(workspaceID)
        contact["external_id"] = value("user_id")
        contact["role"] = .string(role)
        contact["email"] = value("email")
        contact["email_domain"] = emailDomain
        contact["phone"] = value("phone")
        contact["name"] = value("name")
        contact["avatar"] = ["type": "avatar", "image_url": lead.avatar?.imageURL.map(JSONValue.string) ?? .null]
        contact["owner_id"] = value("owner_id")
        contact["social_profiles"] = ["type": "list", "data": .array(lead.socialProfiles?.items ?? [])]
        contact["has_hard_bounced"] = fields["has_hard_bounced"] ?? false
        contact["marked_email_as_spam"] = fields["marked_email_as_spam"] ?? false
        contact["unsubscribed_from_emails"] = fields["unsubscribed_from_emails"] ?? false
        contact["created_at"] = value("created_at")
        contact["updated_at"] = value("updated_at")
        contact["signed_up_at"] = value("signed_up_at")
        contact["last_seen_at"] = value("last_request_at")
        for name in ["last_replied_at", "last_contacted_at", "last_email_opened_at", "last_email_clicked_at"] {
            contact[name] = value(name)
        }
        for name in ["language_override", "browser", "browser_version", "browser_language", "os"] {
            contact[name] = value(name)
        }
        contact["location"] = [
            "type": "location",
            "country": location?.countryName.map(JSONValue.string) ?? .null,
            "region": location?.regionName.map(JSONValue.string) ?? .null,
            "city": location?.cityName.map(JSONValue.string) ?? .null,
            "country_code": location?.countryCode.map(JSONValue.string) ?? .null,
            "continent_code": location?.continentCode.map(JSONValue.string) ?? .null,
        ]
        for platform in ["android", "ios"] {
            for name in ["app_name", "app_version", "device", "os_version", "sdk_version", "last_seen_at"] {
                contact["\(platform)_\(name)"] = value("\(platform)_\(name)")
            }
        }
        contact["custom_attributes"] = .object(lead.customAttributes)
        contact["tags"] = list("tags", items: lead.tagIDs.map(WorkspaceTag.reference(id:)))
        let noteReferences = noteIDs.prefix(shownNotes).map { id -> JSONValue in
            ["type": "note", "id": .string(id), "url": .string("/notes/\(id)")]
        }
        contact["notes"] = list("notes", items: noteReferences, total: noteIDs.count)
        contact["companies"] = list("companies", items: lead.companies?.items ?? [])
        contact["opted_out_subscription_types"] = list("subscriptions", items: [])
        contact["opted_in_subscription_types"] = list("subscriptions", items: [])
        for name in ["utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term", "referrer"] {
            contact[name] = value(name)
        }
        contact["enabled_push_messaging"] = .null
        return .object(contact)
    }

    /// What a checked 2.x body asks for, in the store's terms.
    struct Write: Sendable {
        /// Changes to the stored lead, 1.x names (`user_id`, `last_request_at`, `avatar` object).
        var changes = FieldChanges()
        /// The new role, when the body sets one.
        var role: String?
        /// The email the body sets, for the duplicate check.
        var email: String?
        /// The external id the body sets, for the duplicate check.
        var externalID: String?
    }

    /// Checks a 2.x update or create body field by field, as Intercom does.
    ///
    /// - Parameters:
    ///   - rejectsV1Fields: true for `PUT`, where 1.x-only fields are refused; a create
    ///     ignores them (and `id`), so a 1.x update body sent there creates a contact.
    ///   - attributes: the workspace's data attributes; a custom attribute must be listed
    ///     there, not archived, and take a value of its type.
    static func write(
        _ body: JSONObject, rejectsV1Fields: Bool, attributes: [DataAttribute]
    ) throws(IntercomError) -> Write {
        var write = Write()
        for (name, value) in body {
            if v1OnlyFields.contains(name) {
                if rejectsV1Fields { throw .parameterInvalid("bad '\(name)' parameter", field: name) }
                continue
            }
            guard writableFields.contains(name) else { continue }
            switch name {
            case "role":
                guard case .string(let role) = value, role == "user" || role == "lead" else {
                    throw .parameterInvalid("role must be one of: user, lead", field: name)
                }
                write.role = role
            case "external_id":
                switch value {
                case .string(let id) where !id.isEmpty:
                    write.externalID = id
                    write.changes[.standard("user_id")] = value
                case .null:
                    write.changes[.standard("user_id")] = .null
                default:
                    throw .parameterInvalid("external_id must be a non-empty string, got \(value.typeName)", field: name)
                }
            case "email":
                switch value {
                case .string(let email):
                    if !email.isEmpty { write.email = email }
                    write.changes[.standard("email")] = email.isEmpty ? .null : value
                case .null:
                    write.changes[.standard("email")] = .null
                default:
                    throw .parameterInvalid("email must be a string, got \(value.typeName)", field: name)
                }
            case "phone", "name":
                guard value.stringValue != nil || value.isNull else {
                    throw .parameterInvalid("\(name) must be a string, got \(value.typeName)", field: name)
                }
                write.changes[.standard(name)] = value
            case "avatar":
                guard value.stringValue != nil || value.isNull else {
                    throw .parameterInvalid("avatar must be a string (an image URL), got \(value.typeName)", field: name)
                }
                write.changes[.standard("avatar")] = ["type": "avatar", "image_url": value]
            case "signed_up_at", "last_seen_at":
                guard value.integerValue != nil || value.isNull else {
                    throw .parameterInvalid(
                        "\(name) must be an integer (Unix seconds), got \(value.typeName)", field: name)
                }
                write.changes[.standard(name == "last_seen_at" ? "last_request_at" : name)] = value
            case "owner_id":
                guard value.integerValue != nil || value.isNull else {
                    throw .parameterInvalid("owner_id must be an integer, got \(value.typeName)", field: name)
                }
                write.changes[.standard(name)] = value
            case "unsubscribed_from_emails":
                switch value {
                case .bool: write.changes[.standard(name)] = value
                case .null: break
                default:
                    throw .parameterInvalid(
                        "unsubscribed_from_emails must be a boolean, got \(value.typeName)", field: name)
                }
            case "custom_attributes":
                if value.isNull { continue }
                guard let custom = value.objectValue else {
                    throw .parameterInvalid("custom_attributes must be an object", field: name)
                }
                for (attribute, attributeValue) in custom {
                    guard let known = attributes.first(where: { $0.custom && $0.name == attribute }),
                        !known.archived
                    else {
                        throw .parameterInvalid("Custom attribute '\(attribute)' does not exist", field: attribute)
                    }
                    guard known.accepts(attributeValue) else {
                        throw .parameterInvalid(
                            "Custom attribute '\(attribute)' is of type \(known.dataType), "
                                + "got \(attributeValue.typeName)",
                            field: attribute)
                    }
                    if let problem = CustomAttributeRules.problem(withValue: attributeValue) {
                        throw .parameterInvalid(problem, field: attribute)
                    }
                    write.changes[.custom(attribute)] = attributeValue
                }
            default:
                break
            }
        }
        return write
    }
}
