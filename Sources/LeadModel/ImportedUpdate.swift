/// An update with the operation id that makes journaling it idempotent: journaling the same
/// op id twice journals it once. A CSV import's rows carry `import:<file hash>:<row>`.
public struct ImportedUpdate: Sendable, Hashable {
    public var opID: String
    public var update: LeadUpdate

    public init(opID: String, update: LeadUpdate) {
        self.opID = opID
        self.update = update
    }
}
