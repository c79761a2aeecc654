/// An Intercom lead (`"type": "contact"`), every field kept in the order Intercom sent it.
///
/// Typed accessors cover the fields of the documented lead object; anything else
/// (fields a newer API adds) stays in `fields` so `show` can print it.
public struct Contact: Sendable, Hashable {
    /// Every field of the lead as received.
    public var fields: JSONObject

    /// Wraps a decoded lead.
    ///
    /// - Throws: `ContactDecodingError` when the object is not a contact with an `id`.
    public init(fields: JSONObject) throws(ContactDecodingError) {
        if let type = fields["type"], type != .string("contact"), type != .string("lead"), type != .string("user") {
            throw ContactDecodingError(reason: "expected an object of type contact, got \(JSONText.serialize(type))")
        }
        guard let id = fields["id"]?.stringValue, !id.isEmpty else {
            throw ContactDecodingError(reason: "the contact has no id")
        }
        self.fields = fields
    }

    /// Decodes a lead from Intercom's JSON text.
    public init(json: String) throws(ContactDecodingError) {
        try self.init(jsonBytes: Array(json.utf8))
    }

    /// Decodes a lead from Intercom's JSON bytes; with a projection (``Contact/projection(reading:)``),
    /// only the fields it names: such a lead is for reading those fields, never for caching.
    public init<Bytes: Collection>(jsonBytes: Bytes, keeping projection: JSONProjection = .all) throws(ContactDecodingError)
    where Bytes.Element == UInt8 {
        let value: JSONValue
        do {
            value = try JSONText.parse(jsonBytes, keeping: projection)
        } catch {
            throw ContactDecodingError(reason: error.description)
        }
        guard case .object(let object) = value else {
            throw ContactDecodingError(reason: "expected a JSON object")
        }
        try self.init(fields: object)
    }

    /// Decodes only the fields `projection` names (see ``init(jsonBytes:keeping:)``).
    public init(json: String, keeping projection: JSONProjection) throws(ContactDecodingError) {
        try self.init(jsonBytes: Array(json.utf8), keeping: projection)
    }

    /// What to decode of a cached lead to read `keys` (a dotted standard field reads its
    /// object whole), with the fields that make it a lead and name it: `type`, `id`,
    /// `user_id`, `external_id`, `email`, `name` and `role`.
    public static func projection(reading keys: some Sequence<FieldKey>) -> JSONProjection {
        var members: [String: JSONProjection] = [:]
        for name in ["type", "id", "user_id", "external_id", "email", "name", "role"] { members[name] = .all }
        var custom: [String: JSONProjection] = [:]
        for key in keys {
            switch key {
            case .standard(let name):
                members[String(name.prefix { $0 != "." })] = .all
            case .custom(let name):
                custom[name] = .all
            }
        }
        if !custom.isEmpty { members["custom_attributes"] = .members(custom) }
        return .members(members)
    }

    /// The lead as compact JSON text, fields in their original order.
    public var json: String { JSONText.serialize(.object(fields)) }

    public var type: String? { fields["type"]?.stringValue }
    public var id: String { fields["id"]?.stringValue ?? "" }
    /// 1.x's `user_id`, or 2.x's `external_id` (the same identifier under its 2.x name).
    public var userID: String? { fields["user_id"]?.stringValue ?? fields["external_id"]?.stringValue }
    public var anonymous: Bool? { fields["anonymous"]?.boolValue }
    public var email: String? { fields["email"]?.stringValue }
    public var phone: String? { fields["phone"]?.stringValue }
    public var name: String? { fields["name"]?.stringValue }
    public var pseudonym: String? { fields["pseudonym"]?.stringValue }
    public var avatar: Avatar? { fields["avatar"]?.objectValue.map(Avatar.init) }
    public var appID: String? { fields["app_id"]?.stringValue }
    public var companies: ListWrapper? { ListWrapper(fields["companies"], itemsKey: "companies") }
    public var locationData: LocationData? { fields["location_data"]?.objectValue.map(LocationData.init) }
    public var lastRequestAt: Int64? { fields["last_request_at"]?.integerValue }
    /// 2.x's last seen time.
    public var lastSeenAt: Int64? { fields["last_seen_at"]?.integerValue }
    public var lastSeenIP: String? { fields["last_seen_ip"]?.stringValue }
    public var createdAt: Int64? { fields["created_at"]?.integerValue }
    public var remoteCreatedAt: Int64? { fields["remote_created_at"]?.integerValue }
    public var signedUpAt: Int64? { fields["signed_up_at"]?.integerValue }
    public var updatedAt: Int64? { fields["updated_at"]?.integerValue }
    public var sessionCount: Int64? { fields["session_count"]?.integerValue }
    public var socialProfiles: ListWrapper? { ListWrapper(fields["social_profiles"], itemsKey: "social_profiles") }
    public var unsubscribedFromEmails: Bool? { fields["unsubscribed_from_emails"]?.boolValue }
    public var userAgentData: String? { fields["user_agent_data"]?.stringValue }
    public var tags: ListWrapper? { ListWrapper(fields["tags"], itemsKey: "tags") }
    public var segments: ListWrapper? { ListWrapper(fields["segments"], itemsKey: "segments") }

    /// The lead's custom attributes, in order.
    public var customAttributes: JSONObject {
        get { fields["custom_attributes"]?.objectValue ?? JSONObject() }
        set { fields["custom_attributes"] = .object(newValue) }
    }

    /// Fields this type has no accessor for, kept so nothing Intercom sends is dropped.
    public var unknownFields: JSONObject {
        var rest = JSONObject()
        for (key, value) in fields where !Contact.documentedFields.contains(key) { rest[key] = value }
        return rest
    }

    /// The identifiers an update can name this lead by.
    public var reference: LeadReference {
        LeadReference(id: id, userID: userID, email: email)
    }

    /// The value of a field, or of a custom attribute.
    public func value(of key: FieldKey) -> JSONValue? {
        switch key {
        case .standard(let name): return fields[name]
        case .custom(let name): return customAttributes[name]
        }
    }

    /// The lead with the given values applied, as Intercom would apply an update.
    public func applying(_ changes: FieldChanges) -> Contact {
        var copy = self
        for (key, value) in changes {
            switch key {
            case .standard(let name): copy.fields[name] = value
            case .custom(let name):
                var attributes = copy.customAttributes
                attributes[name] = value
                copy.customAttributes = attributes
            }
        }
        return copy
    }

    /// The field names of the documented lead object.
    public static let documentedFields: Set<String> = [
        "type", "id", "user_id", "anonymous", "email", "phone", "name", "pseudonym", "avatar", "app_id",
        "companies", "location_data", "last_request_at", "last_seen_ip", "created_at", "remote_created_at",
        "signed_up_at", "updated_at", "session_count", "social_profiles", "unsubscribed_from_emails",
        "user_agent_data", "tags", "segments", "custom_attributes", "last_seen_user_agent", "owner_id",
        "referrer", "do_not_track", "has_hard_bounced", "marked_email_as_spam",
        // 2.x's contact
        "external_id", "workspace_id", "role", "email_domain", "last_seen_at", "location", "notes",
    ]
}

/// Why a JSON document is not a lead.
public struct ContactDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "not a valid lead: \(reason)" }
}

/// Intercom's list wrappers, such as `{"type": "tag.list", "tags": [...]}`.
public struct ListWrapper: Sendable, Hashable {
    public var type: String
    public var items: [JSONValue]

    init?(_ value: JSONValue?, itemsKey: String) {
        guard let object = value?.objectValue else { return nil }
        type = object["type"]?.stringValue ?? ""
        items = object[itemsKey]?.arrayValue ?? []
    }
}

/// A lead's avatar object.
public struct Avatar: Sendable, Hashable {
    public var type: String?
    public var imageURL: String?

    init(_ object: JSONObject) {
        type = object["type"]?.stringValue
        imageURL = object["image_url"]?.stringValue
    }
}

/// Where Intercom places a lead, derived from its last seen IP.
public struct LocationData: Sendable, Hashable {
    public var cityName: String?
    public var continentCode: String?
    public var countryName: String?
    public var countryCode: String?
    public var latitude: Double?
    public var longitude: Double?
    public var postalCode: String?
    public var regionName: String?
    public var timezone: String?

    init(_ object: JSONObject) {
        cityName = object["city_name"]?.stringValue
        continentCode = object["continent_code"]?.stringValue
        countryName = object["country_name"]?.stringValue
        countryCode = object["country_code"]?.stringValue
        latitude = object["latitude"]?.doubleValue
        longitude = object["longitude"]?.doubleValue
        postalCode = object["postal_code"]?.stringValue
        regionName = object["region_name"]?.stringValue
        timezone = object["timezone"]?.stringValue
    }
}
