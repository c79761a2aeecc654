/// An update with the operation id that makes journaling it idempotent: journaling the same
/// op id twice journals it once. A CSV import's rows carry `import:<file hash>:<row>`, the row
/// number written with 9 digits (`000000042`) so that a file's op ids sort in row order.
public struct ImportedUpdate: Sendable, Hashable {
    public var opID: String
    public var update: LeadUpdate
    /// Op ids the same row was journaled under by an earlier leadsh (`import:<hash>:42`):
    /// a row journaled under any of them is not journaled again.
    public var aliases: [String]

    public init(opID: String, update: LeadUpdate, aliases: [String] = []) {
        self.opID = opID
        self.update = update
        self.aliases = aliases
    }
}
