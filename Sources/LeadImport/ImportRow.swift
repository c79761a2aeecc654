public import LeadModel

/// One data row of an import file, ready for the journal: where it starts, the lead it names,
/// what it changes, and the op id that makes journaling it idempotent.
public struct ImportRow: Sendable, Hashable {
    /// The physical line where the row starts (the header is line 1; quoted cells may span lines).
    public var line: Int
    /// The row's number among the data rows (1 for the first row after the header).
    public var row: Int
    /// `import:<first 16 hex digits of the file's SHA-256>:<row, 9 digits>`.
    public var opID: String
    /// The op id an earlier leadsh gave this row (`import:<hash>:<row>`, unpadded).
    public var legacyOpID: String
    /// The lead (by `id` and/or `user_id`) and the changed fields, validated as `push` validates.
    public var update: LeadUpdate
    /// In a file `export` wrote, the exported values of the changed cells (the base of the
    /// conflict check); nil in any other file.
    public var base: ImportBase? = nil
    /// The row's `tags` cell: tags added and removed, journaled as a tags row after the update.
    public var tags: TagChanges? = nil

    public var lead: LeadReference { update.lead }
    public var changes: FieldChanges { update.changes }

    /// The row as the journal takes it.
    public var importedUpdate: ImportedUpdate {
        var imported = ImportedUpdate(opID: opID, update: update, aliases: legacyOpID == opID ? [] : [legacyOpID], base: base)
        imported.tags = tags
        return imported
    }
}

/// A problem in an import file, at a line: the header's (line 1), a row's, or the file's own.
public struct ImportProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as the user named it.
    public var file: String
    /// The physical line where the row (or header) starts.
    public var line: Int
    /// The data row's number, or nil for the header or the file as a whole.
    public var row: Int?
    public var message: String

    public init(file: String, line: Int, row: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.row = row
        self.message = message
    }

    /// `FILE:LINE: message`, as scripts report errors.
    public var description: String { "\(file):\(line): \(message)" }
}

/// What one data row of an import file became.
public enum ImportItem: Sendable, Hashable {
    /// A row to journal.
    case row(ImportRow)
    /// A row that was refused: nothing of it may be journaled.
    case refused(ImportProblem)
    /// A row whose cells other than the lead's identifiers are all empty: nothing to change.
    case unchanged(line: Int, row: Int)

    /// The physical line where the row starts.
    public var line: Int {
        switch self {
        case .row(let row): return row.line
        case .refused(let problem): return problem.line
        case .unchanged(let line, _): return line
        }
    }
}
