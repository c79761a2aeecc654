import CommandParser
import LeadModel

/// `show`, `set`/`unset` (and the edit `attr` makes), `diff`, `discard`.
extension Session {
    func show(_ field: String?, all: Bool = false) throws(CommandFailure) -> Reply {
        if selection != nil { throw oneLeadOnly("show") }
        let lead = try requireLead()
        let view = lead.view.applying(edits)
        if let field {
            let key = resolveKey(field, in: view)
            guard let value = view.value(of: key) ?? edits[key] else {
                throw CommandFailure(.noSuchField, "the lead has no field \(field)")
            }
            let pending = edits[key] != nil
            return Reply(.field(FieldView(key: key, value: value, was: lead.view.value(of: key), pending: pending)))
        }
        return Reply(.lead(LeadView(loaded: lead.view, shown: view, edits: edits, fetchedAt: lead.fetchedAt, everything: all)))
    }

    private func resolveKey(_ field: String, in view: Contact) -> FieldKey {
        if field.hasPrefix("custom_attributes.") { return FieldKey(path: field) }
        if view.fields[field] != nil || StandardField.named(field) != nil { return .standard(field) }
        return .custom(field)
    }

    func edit(_ key: FieldKey, _ value: JSONValue) throws(CommandFailure) -> Reply {
        if selection != nil { return try editSelection(key, value) }
        let lead = try requireLead()
        if case .custom(let name) = key, let problem = CustomAttributeRules.problem(withName: name) {
            throw CommandFailure(.invalidAttribute, problem)
        }
        if let problem = CustomAttributeRules.problem(withValue: value) {
            throw CommandFailure(.invalidValue, "\(key): \(problem)")
        }
        let old = lead.view.value(of: key)
        if old == value || (old == nil && value == .null) {
            edits[key] = nil
            return Reply(.edited(EditResult(key: key, old: old, new: value, changed: false)))
        }
        edits[key] = value
        return Reply(.edited(EditResult(key: key, old: old, new: value, changed: true)))
    }

    func diff() throws(CommandFailure) -> Reply {
        if selection != nil { return try selectionDiff() }
        return Reply(.changes(try changeList()))
    }

    /// The unpushed edits against the values they replace.
    func changeList() throws(CommandFailure) -> ChangeList {
        let lead = try requireLead()
        var list = ChangeList(leadID: lead.view.id, changes: edits.map { Change(key: $0.key, old: lead.view.value(of: $0.key), new: $0.value) })
        list.tags = tagEdits
        return list
    }

    func discard() -> Reply {
        let count = edits.count + tagEdits.count
        edits = FieldChanges()
        tagEdits = TagChanges()
        return Reply(.discarded(count: count))
    }

    /// Drops unpushed edits without a message (quitting after the warning).
    public func abandonEdits() {
        edits = FieldChanges()
        tagEdits = TagChanges()
    }

    /// After `push --dry-run` in a dry run of a whole script: the lead reads as if the push had
    /// happened, so later edits compare against it, and the edits are not reported as unpushed.
    public func settleDryRun() {
        if let view = current?.view { current?.view = view.applying(edits).applyingTags(tagEdits) }
        edits = FieldChanges()
        tagEdits = TagChanges()
    }

    /// Custom attribute names of the current lead, for completion.
    public func attributeNames() -> [String] {
        var names = current?.view.applying(edits).customAttributes.keys ?? []
        if dialect == .v2, let catalog = try? journal.cachedAttributes() {
            let known = Set(names)
            names += catalog.writableCustomNames.filter { !known.contains($0) }
        }
        return names
    }
}
