/// One of a workspace's contact attributes, as `GET /data_attributes?model=contact` lists it.
///
/// On 2.x a custom attribute must exist before an update sets it, and its
/// `data_type` fixes what values it takes.
public struct DataAttribute: Sendable, Hashable {
    /// The attribute's name: `monthly_spend` (without `custom_attributes.`).
    public var name: String
    /// `string`, `integer`, `float`, `boolean` or `date`.
    public var dataType: String
    /// True for custom attributes, false for Intercom's own.
    public var custom: Bool
    /// Archived attributes cannot be set.
    public var archived: Bool
    /// The name shown in Intercom's interface.
    public var label: String
    public var description: String
    /// Whether the API may write it.
    public var apiWritable: Bool

    public init(
        name: String, dataType: String, custom: Bool = true, archived: Bool = false,
        label: String? = nil, description: String = "", apiWritable: Bool = true
    ) {
        self.name = name
        self.dataType = dataType
        self.custom = custom
        self.archived = archived
        self.label = label ?? name
        self.description = description
        self.apiWritable = apiWritable
    }

    /// Reads one `data_attribute` object; nil when it has no name or type.
    public init?(json object: JSONObject) {
        guard var name = object["name"]?.stringValue, !name.isEmpty,
            let dataType = object["data_type"]?.stringValue
        else { return nil }
        let prefix = "custom_attributes."
        if name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)) }
        self.init(
            name: name, dataType: dataType, custom: object["custom"]?.boolValue ?? false,
            archived: object["archived"]?.boolValue ?? false, label: object["label"]?.stringValue,
            description: object["description"]?.stringValue ?? "", apiWritable: object["api_writable"]?.boolValue ?? true)
    }

    /// The type names people read in messages: `a float`, `an integer`.
    public var typePhrase: String { DataAttribute.article(dataType) + " " + dataType }

    /// Why `value` cannot be stored in this attribute, naming both types, or nil when it can.
    ///
    /// `null` clears any attribute; a float attribute takes integers too (`attr monthly_spend 155`);
    /// a date attribute takes Unix seconds.
    public func problem(with value: JSONValue) -> String? {
        let fits: Bool
        switch (dataType, value) {
        case (_, .null): fits = true
        case ("string", .string): fits = true
        case ("integer", .integer): fits = true
        case ("float", .double), ("float", .integer): fits = true
        case ("boolean", .bool): fits = true
        case ("date", .integer): fits = true
        case ("string", _), ("integer", _), ("float", _), ("boolean", _), ("date", _): fits = false
        default: fits = true  // a type this build does not know: let Intercom decide
        }
        guard !fits else { return nil }
        let given = value.typeName
        var text = "\(name) is \(typePhrase) attribute, and \(JSONText.serialize(value)) is \(DataAttribute.article(given)) \(given)"
        switch (dataType, value) {
        case ("string", _): text += "; quote the value to send it as text"
        case ("date", _): text += "; give the time in Unix seconds"
        default: break
        }
        return text
    }

    private static func article(_ word: String) -> String {
        guard let first = word.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }
}

/// A workspace's contact attributes as last read, and when.
public struct AttributeCatalog: Sendable, Hashable {
    public var attributes: [DataAttribute]
    /// Unix seconds when the list was read.
    public var fetchedAt: Double

    public init(attributes: [DataAttribute], fetchedAt: Double) {
        self.attributes = attributes
        self.fetchedAt = fetchedAt
    }

    /// The custom attribute with this name, archived or not.
    public func custom(named name: String) -> DataAttribute? {
        attributes.first { $0.custom && $0.name == name }
    }

    /// The names of the custom attributes that can be set, sorted.
    public var writableCustomNames: [String] {
        attributes.filter { $0.custom && !$0.archived }.map(\.name).sorted()
    }
}
