import CommandParser
import LeadModel

/// One line of the file `edit` opens: a field or custom attribute of the loaded lead, its value
/// as the user sees it (pending edits applied), and what it takes.
public struct EditableValue: Sendable, Hashable {
    public var key: FieldKey
    /// The standard field, for a standard field's line.
    public var field: StandardField?
    /// Nil when the lead has no value (absent or null).
    public var value: JSONValue?
    /// What the value is, for the line's comment: a field's kind (`text`, `time`, ...), a 2.x
    /// attribute's declared type (`integer`, `float`, ...), else the current value's type.
    public var type: String
    /// 2.x: the workspace archived this attribute (setting it is refused).
    public var archived = false
}

/// The loaded lead as `edit` lays it out: the dialect's writable standard fields, then the
/// custom attributes the lead has.
public struct EditableLead: Sendable {
    public var id: String
    /// Its name or email, for the file's first line.
    public var label: String?
    public var dialect: Dialect
    public var fields: [EditableValue]
    public var attributes: [EditableValue]

    /// Every line's value, by key: what a line that leaves it alone is compared with.
    public var values: [FieldKey: JSONValue] {
        var map: [FieldKey: JSONValue] = [:]
        for line in fields + attributes { if let value = line.value { map[line.key] = value } }
        return map
    }
}

/// `edit`: the shell opens the lead in an editor; the session lays the lead out and checks the
/// edits the file asks for before any of them applies.
extension Session {
    /// The lead's editable fields and custom attributes, current values with pending edits applied.
    ///
    /// - Throws: `no_lead` with nothing loaded; `invalid_state` while a selection is loaded.
    public func editableLead() async throws(CommandFailure) -> EditableLead {
        if selection != nil { throw oneLeadOnly("edit") }
        let lead = try requireLead()
        let view = lead.view.applying(edits)
        // The types are only comments: a catalog that cannot be had leaves the value's type.
        let catalog = dialect == .v2 ? ((try? await attributeCatalog()) ?? nil) : nil
        let fields = StandardField.all(in: dialect).filter(\.isWritable).map { field in
            EditableValue(key: .standard(field.name), field: field, value: present(view.value(of: .standard(field.name))), type: field.kindPhrase)
        }
        let attributes = view.customAttributes.map { name, value in
            let declared = catalog?.custom(named: name)
            return EditableValue(
                key: .custom(name), field: nil, value: present(value), type: declared?.dataType ?? (value == .null ? "empty" : value.typeName),
                archived: declared?.archived ?? false)
        }
        return EditableLead(id: lead.view.id, label: lead.view.name ?? lead.view.email, dialect: dialect, fields: fields, attributes: attributes)
    }

    /// Runs the edit commands (`set`, `attr`, `unset`, `unattr`) against the current edits and puts
    /// the edits back as they were: which of them fail, by index, with the failure they would
    /// print. `edit` applies a file only when none fails, through the same commands.
    public func failures(of commands: [Command]) async -> [Int: CommandFailure] {
        let saved = edits
        var failures: [Int: CommandFailure] = [:]
        for (index, command) in commands.enumerated() {
            switch command {
            case .set, .attr, .unset, .unattr:
                do {
                    _ = try await execute(command)
                } catch {
                    failures[index] = error
                }
            default:
                failures[index] = CommandFailure(.internal, "edit: \(command) is not an edit")
            }
        }
        edits = saved
        return failures
    }

    private func present(_ value: JSONValue?) -> JSONValue? {
        value == .null ? nil : value
    }
}
