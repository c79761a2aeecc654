import LeadModel

extension Backend.State {
    /// Merges a lead into a user, as `POST /contacts/merge` and 1.x's convert do; the callers
    /// have checked that both exist and differ.
    ///
    /// What moves, kept simple where Intercom says little ("Identifiers (id, user_id, email)
    /// from Leads are never added onto Users with a merge", 1.x "Convert a Lead"):
    /// - the user keeps every value of its own; a custom attribute the user lacks (absent or
    ///   null) takes the lead's value;
    /// - tags the lead carries and the user does not are added to the user;
    /// - the lead's notes become the user's;
    /// - nothing else of the lead is copied (no identifiers, no standard fields).
    ///
    /// The user's `updated_at` moves on; the lead is removed and remembered as merged, so later
    /// reads of it answer 404 (410 on 2.16+ for `GET /contacts/{id}`, see ``RoutesV2``).
    ///
    /// - Returns: the user as it is after the merge.
    mutating func mergeContact(_ leadID: String, into userID: String, now: Int64) -> Contact {
        guard let lead = store.lead(id: leadID), let user = store.lead(id: userID) else {
            preconditionFailure("mergeContact: both contacts must exist")
        }
        var changes = FieldChanges()
        let userAttributes = user.customAttributes
        for (name, value) in lead.customAttributes where !value.isNull && (userAttributes[name]?.isNull ?? true) {
            changes[.custom(name)] = value
        }
        var merged = store.edit(id: userID, changes, now: now) ?? user
        for tagID in lead.tagIDs {
            if let tag = tags.tag(id: tagID) { merged = merged.tagged(with: tag) }
        }
        store.insert(merged)
        notes.move(from: leadID, to: userID)
        _ = store.merge(id: leadID, into: userID)
        return merged
    }
}

extension FakeWorkspace {
    /// The contact a lead was merged into (following merges of merges), or nil when it was not
    /// merged: by ``merge(leadID:into:)``, `POST /contacts/merge` (2.x) or `POST /contacts/convert` (1.x).
    public func mergedInto(leadID: String) -> String? { backend.mergedInto(leadID: leadID) }

    /// Whether the lead was merged into another contact (and so is gone).
    public func isMerged(leadID: String) -> Bool { mergedInto(leadID: leadID) != nil }
}
