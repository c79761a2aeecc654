/// Saying a journaled update in the sending session's dialect: exact equivalents only.
///
/// The journal stores what to change under the field names of the dialect the edit was made
/// in. A replay sends every row in its own session's dialect (one dialect per session), so a
/// row made under 1.x and sent under 2.x (an update journaled under the old 1.4 default and
/// replayed after the default became 2.14) has its 1.x fields renamed to the 2.x fields that
/// mean exactly the same: `last_request_at` -> `last_seen_at` and `user_id` -> `external_id`
/// (both Unix seconds / the same text, so the value is kept as it is); a row made under 2.x
/// and sent under 1.x gets `last_seen_at` -> `last_request_at`. Nothing else is renamed:
/// `last_seen_ip` and `last_seen_user_agent` have no 2.x equivalent, and 1.x cannot set
/// `external_id` (its `user_id` is Intercom's), so such a row still fails before anything is
/// sent, and its message says how to send it as it was made (`--api-version 1.4`).
///
/// Only the changed fields are translated. How a row names its lead (`id`, `user_id`) is not a
/// field: under 2.x a row known only by `user_id` finds its contact by `external_id` first.
extension FieldChanges {
    /// The changes with each standard field `dialect` lacks renamed to its exact equivalent
    /// there, values unchanged, in the same order; fields without one are kept as they are
    /// (rendering the body then names them).
    ///
    /// When both names of one field are present (a 1.x push merged into a pending 2.x row, or
    /// the other way round), the one set later wins, as when a push merges into a row: a
    /// merge appends a field it did not hold, so the later of the two stands later.
    public func translated(to dialect: Dialect) -> FieldChanges {
        guard keys.contains(where: { $0.translated(to: dialect) != $0 }) else { return self }
        var translated = FieldChanges()
        for (key, value) in self {
            translated[key.translated(to: dialect)] = value
        }
        return translated
    }

    /// The names this update changes that `translated(to:)` renames, as `old -> new`, for messages.
    public func renamings(to dialect: Dialect) -> [String] {
        keys.compactMap { key in
            let new = key.translated(to: dialect)
            return new == key ? nil : "\(key) -> \(new)"
        }
    }
}

extension FieldKey {
    /// A standard field's exact equivalent in `dialect` when it lacks this one; else itself.
    public func translated(to dialect: Dialect) -> FieldKey {
        guard case .standard(let name) = self, let equivalent = StandardField.exactEquivalent(of: name, in: dialect) else {
            return self
        }
        return .standard(equivalent)
    }
}

extension APIVersion {
    /// The version a journaled row was made under: its recorded `api_version`, or ``seed``
    /// (1.4) for a row from before journal schema 4, which recorded none (1.4 was then the
    /// only default). An unreadable value is read as 1.4 too.
    public static func madeUnder(_ recorded: String?) -> APIVersion {
        recorded.flatMap { try? APIVersion($0) } ?? .seed
    }
}
