extension FakeWorkspace {
    /// Makes a contact a `user` (or back a `lead`), as signing up does: the target of a merge.
    public func setRole(_ role: String, ofLead id: String) { backend.setRole(role, ofLead: id) }
}
