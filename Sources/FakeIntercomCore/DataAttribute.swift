import LeadModel

/// The fake workspace's side of data attributes: the sample list, type checks, and the
/// `data_attribute` objects `GET /data_attributes` answers with.
///
/// On 2.x a custom attribute must be listed, not archived, before a contact can take a
/// value for it; 1.x creates one the first time an update sets it.
extension DataAttribute {
    /// The attributes of the sample leads, custom ones first, then some standard ones.
    public static let sampleAttributes: [DataAttribute] = [
        .init(name: "paid_subscriber", dataType: "boolean", label: "Paid subscriber"),
        .init(name: "monthly_spend", dataType: "float", label: "Monthly spend"),
        .init(name: "team_mates", dataType: "integer", label: "Team mates"),
        .init(name: "plan", dataType: "string", label: "Plan"),
        .init(name: "name", dataType: "string", custom: false, label: "Name", description: "A person's full name"),
        .init(name: "email", dataType: "string", custom: false, label: "Email", description: "A person's email address"),
        .init(name: "phone", dataType: "string", custom: false, label: "Phone", description: "A person's phone number"),
        .init(
            name: "external_id", dataType: "string", custom: false, label: "User ID",
            description: "A number identifying a user in your system"),
        .init(
            name: "owner_id", dataType: "integer", custom: false, label: "Owner",
            description: "The teammate who owns a contact"),
        .init(
            name: "unsubscribed_from_emails", dataType: "boolean", custom: false, label: "Unsubscribed from emails",
            description: "Whether a person has unsubscribed from emails"),
        .init(
            name: "signed_up_at", dataType: "date", custom: false, label: "Signed up",
            description: "The time a user signed up"),
        .init(
            name: "last_seen_at", dataType: "date", custom: false, label: "Last seen",
            description: "The last time a person was seen"),
        .init(
            name: "created_at", dataType: "date", custom: false, label: "First seen",
            description: "The time a person was added to Intercom", apiWritable: false),
        .init(
            name: "updated_at", dataType: "date", custom: false, label: "Updated",
            description: "The last time a person was updated", apiWritable: false),
    ]

    /// The data type a 1.x update gives a new attribute for its first value, or nil for null.
    static func inferredType(of value: JSONValue) -> String? {
        switch value {
        case .string: "string"
        case .integer: "integer"
        case .double: "float"
        case .bool: "boolean"
        case .null, .array, .object: nil
        }
    }

    /// Whether `value` may be stored in an attribute of this type; null clears any attribute.
    func accepts(_ value: JSONValue) -> Bool {
        switch (dataType, value) {
        case (_, .null): true
        case ("string", .string), ("integer", .integer), ("float", .integer), ("float", .double),
            ("boolean", .bool), ("date", .integer):
            true
        default: false
        }
    }

    /// The attribute as a `data_attribute` object; `id`, `created_at`, `updated_at` and
    /// `admin_id` are given for custom attributes only, as Intercom does.
    func json(id: Int, adminID: String, createdAt: Int64) -> JSONValue {
        var object = JSONObject()
        object["type"] = "data_attribute"
        if custom { object["id"] = .integer(Int64(id)) }
        object["model"] = "contact"
        object["name"] = .string(name)
        object["full_name"] = .string(custom ? "custom_attributes.\(name)" : name)
        object["label"] = .string(label)
        object["description"] = .string(description)
        object["data_type"] = .string(dataType)
        if dataType == "boolean" { object["options"] = ["true", "false"] }
        object["api_writable"] = .bool(apiWritable)
        object["messenger_writable"] = .bool(custom || apiWritable)
        object["ui_writable"] = .bool(custom)
        object["custom"] = .bool(custom)
        object["archived"] = .bool(archived)
        if custom {
            object["created_at"] = .integer(createdAt)
            object["updated_at"] = .integer(createdAt)
            object["admin_id"] = .string(adminID)
        }
        return .object(object)
    }
}
