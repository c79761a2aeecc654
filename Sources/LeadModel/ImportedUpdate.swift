/// An update with the operation id that makes journaling it idempotent: journaling the same
/// op id twice journals it once. A CSV import's rows carry `import:<file hash>:<row>`, the row
/// number written with 9 digits (`000000042`) so that a file's op ids sort in row order.
public struct ImportedUpdate: Sendable, Hashable {
    public var opID: String
    public var update: LeadUpdate
    /// Op ids the same row was journaled under by an earlier leadsh (`import:<hash>:42`):
    /// a row journaled under any of them is not journaled again.
    public var aliases: [String]
    /// The base a row of a file `export` wrote brings: the values its cells held when exported.
    /// Nil for any other row: its base is taken from the cached lead, as `push` takes it.
    public var base: ImportBase?
    /// The base a caller already read from the cache, the lead as the user sees it (a
    /// selection's push reads each lead to compare its values): taken as given rather than
    /// read a second time. Nil: the journal reads it.
    public var viewed: ViewedBase?
    /// The row's `tags` cell (`+vip -trial`): journaled as a tags row after the update.
    public var tags: TagChanges?

    public init(opID: String, update: LeadUpdate, aliases: [String] = [], base: ImportBase? = nil, viewed: ViewedBase? = nil) {
        self.opID = opID
        self.update = update
        self.aliases = aliases
        self.base = base
        self.viewed = viewed
    }
}

/// A push's base read by the caller: the changed fields' values in the cached lead with its
/// unsent updates applied (absent: no value), and that copy's `updated_at`.
public struct ViewedBase: Sendable, Hashable {
    public var values: FieldChanges
    public var updatedAt: Int64?

    public init(values: FieldChanges, updatedAt: Int64?) {
        self.values = values
        self.updatedAt = updatedAt
    }
}

/// The base of a row that comes back from an export: what the conflict check compares
/// Intercom's current values with, instead of the cached copy's.
public struct ImportBase: Sendable, Hashable {
    /// The exported value of each changed field the export wrote (`.null`: its cell was empty).
    /// A changed field not in here (a column added by hand) takes its base from the cache.
    public var values: FieldChanges
    /// The lead's `updated_at` in the copy the export wrote.
    public var updatedAt: Int64?
    /// When the export was written (Unix seconds).
    public var exportedAt: Double

    public init(values: FieldChanges, updatedAt: Int64?, exportedAt: Double) {
        self.values = values
        self.updatedAt = updatedAt
        self.exportedAt = exportedAt
    }
}

/// One lead as `export` wrote it: the typed value of each cell it filled.
public struct ExportedLead: Sendable, Hashable {
    public var id: String
    /// The lead's `updated_at` in the copy that was written.
    public var updatedAt: Int64?
    /// Each column's value, keyed as `FieldKey` describes it; a column whose cell was left
    /// empty (no value) is absent.
    public var values: FieldChanges

    public init(id: String, updatedAt: Int64?, values: FieldChanges) {
        self.id = id
        self.updatedAt = updatedAt
        self.values = values
    }
}

/// An export as the journal keeps it, so that importing its file back knows what each cell held.
public struct ExportRecord: Sendable, Hashable {
    /// The id the file carries in its first column's header (`id@<exportID>`).
    public var exportID: String
    /// Unix seconds.
    public var createdAt: Double
    /// The file as the user named it.
    public var path: String
    /// The keys of the columns written besides the lead's identifiers (`name`,
    /// `custom_attributes.plan`), in file order.
    public var columns: [String]
    /// The leads written, in file order.
    public var leads: [ExportedLead]

    public init(exportID: String, createdAt: Double, path: String, columns: [String], leads: [ExportedLead]) {
        self.exportID = exportID
        self.createdAt = createdAt
        self.path = path
        self.columns = columns
        self.leads = leads
    }
}
