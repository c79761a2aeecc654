import CommandParser
public import LeadModel

/// Reads one row's cells into an update: each cell is one value, never split into words.
public struct ImportCells: Sendable {
    public let columns: [ImportColumn]
    public let dialect: Dialect
    /// Under 2.x, the workspace's attributes; values must fit their types.
    public let catalog: AttributeCatalog?
    /// What `now` means in a time cell, in Unix seconds; one value for the whole file.
    public let now: Int64
    /// The export the file comes back from, when `export` wrote it.
    public let export: ExportedFile?

    public init(columns: [ImportColumn], dialect: Dialect, catalog: AttributeCatalog?, now: Int64, export: ExportedFile? = nil) {
        self.columns = columns
        self.dialect = dialect
        self.catalog = catalog
        self.now = now
        self.export = export
    }

    /// The update a row's cells make, nil when they change nothing, or the row's problem.
    ///
    /// An empty cell changes nothing. The identifier cells name the lead (at least one must be
    /// filled). A standard field's cell is typed by the field (`StandardField.value(fromText:now:)`);
    /// a custom attribute's by `attr`'s literal rules on the whole cell, unless the column forces
    /// a type. The update is then checked as `push` checks it, in the dialect.
    public func update(_ cells: [String]) -> Result<LeadUpdate?, ImportCellError> {
        read(cells).map { $0?.update }
    }

    /// A row's update and, when the row is one `export` wrote, its base.
    ///
    /// A row of an exported file (its lead among the export's) compares each exported cell
    /// with the value it was written with, as typed values: a cell still equal to it changes
    /// nothing (`TRUE` for `true`, `1.50` for `1.5`), a cell emptied since clears the field
    /// (`null`), and a changed one is an edit whose base is the exported value. Columns the
    /// export did not write, and rows of leads it did not write, read as in any other file.
    public func read(_ cells: [String]) -> Result<(update: LeadUpdate, base: ImportBase?, tags: TagChanges?)?, ImportCellError> {
        guard cells.count == columns.count else {
            return .failure(
                ImportCellError(
                    "the row has \(cells.count) cell\(cells.count == 1 ? "" : "s") and the header \(columns.count) column\(columns.count == 1 ? "" : "s") (a missing comma, or a quote left open?)"
                ))
        }
        var exported: ExportedLead?
        if let export, let index = columns.firstIndex(where: { $0.role == .id }) {
            exported = export.lead(id: cells[index])
        }
        var id: String?
        var userID: String?
        var changes = FieldChanges()
        var base = FieldChanges()
        var tags: TagChanges?
        for (column, cell) in zip(columns, cells) {
            let key: FieldKey
            switch column.role {
            case .tags:
                guard !cell.isEmpty else { continue }
                switch TagChanges.parse(cell) {
                case .success(let parsed): tags = parsed.isEmpty ? nil : parsed
                case .failure(let error):
                    return .failure(ImportCellError("tags: \(MessageText.quoted(error.item)) names no tag; write +NAME to tag, -NAME to untag"))
                }
                continue
            case .id:
                guard !cell.isEmpty else { continue }
                if let problem = ImportCells.identifierProblem(cell) { return .failure(ImportCellError("id: \(problem)")) }
                id = cell
                continue
            case .userID:
                guard !cell.isEmpty else { continue }
                if let problem = ImportCells.identifierProblem(cell) { return .failure(ImportCellError("\(column.header): \(problem)")) }
                userID = cell
                continue
            case .field(let field): key = .standard(field.name)
            case .custom(let name): key = .custom(name)
            }
            if let exported, let export, export.wrote(column.key) {
                let was = exported.values[key]
                if cell.isEmpty {
                    // Emptied since the export: the field is cleared. Empty then and now: nothing.
                    guard let was, !ImportCells.isEmptyCell(was) else { continue }
                    changes[key] = .null
                    base[key] = was
                    continue
                }
                let value: JSONValue
                switch typedValue(cell, column: column, like: was) {
                case .success(let typed): value = typed
                case .failure(let error): return .failure(error)
                }
                if let was, ImportCells.same(value, was) { continue }
                if let problem = checkProblem(value, column: column) { return .failure(problem) }
                changes[key] = value
                base[key] = was ?? .null
                continue
            }
            guard !cell.isEmpty else { continue }
            switch typedValue(cell, column: column, like: nil) {
            case .success(let value):
                if let problem = checkProblem(value, column: column) { return .failure(problem) }
                changes[key] = value
            case .failure(let error): return .failure(error)
            }
        }
        guard id != nil || userID != nil else {
            let names = ImportHeader.identifierNames(in: dialect)
            return .failure(ImportCellError("the row names no lead: its \(names[0]) and \(names[1]) cells are empty"))
        }
        guard !changes.isEmpty || tags != nil else { return .success(nil) }
        let update: LeadUpdate
        do {
            // A row of tags alone changes no field: its update is empty, and only its tags row is journaled.
            update =
                changes.isEmpty
                ? LeadUpdate(unchecked: LeadReference(id: id, userID: userID), changes: changes)
                : try LeadUpdate(lead: LeadReference(id: id, userID: userID), changes: changes)
        } catch {
            return .failure(ImportCellError(error.description))
        }
        // Whether each field can be written in the dialect was checked once, on the header
        // (`ImportHeader`); a row named by external_id only is fine: the replay finds the
        // contact's id, as it does for a push.
        let rowBase = exported.flatMap { lead in
            base.isEmpty ? nil : ImportBase(values: base, updatedAt: lead.updatedAt, exportedAt: export?.exportedAt ?? 0)
        }
        return .success((update, rowBase, tags))
    }

    /// A cell's typed value in its column. `like`, the value the cell was exported with, reads a
    /// cell of a column without a type in that value's type where it can: `TRUE` as `true`
    /// when it was a boolean, `2` as `2.0` when it was a decimal.
    func typedValue(_ cell: String, column: ImportColumn, like was: JSONValue?) -> Result<JSONValue, ImportCellError> {
        switch column.role {
        case .field(let field):
            do {
                return .success(try field.value(fromText: field.kind == .boolean ? ImportCells.booleanWord(cell) : cell, now: now))
            } catch {
                return .failure(ImportCellError(error.message))
            }
        case .custom(let name):
            if column.forcedType == nil, let was {
                switch was {
                case .bool:
                    let word = ImportCells.booleanWord(cell)
                    if word == "true" || word == "false" { return .success(.bool(word == "true")) }
                case .double:
                    if let decimal = ImportCells.decimal(cell) { return .success(.double(decimal)) }
                default: break
                }
            }
            return customValue(cell, forced: column.forcedType, name: name, checked: false)
        case .id, .userID, .tags:
            return .success(.string(cell))
        }
    }

    /// Why a typed value cannot be set (a custom attribute's catalog check), or nil.
    private func checkProblem(_ value: JSONValue, column: ImportColumn) -> ImportCellError? {
        guard case .custom(let name) = column.role, dialect == .v2, let catalog,
            let problem = catalog.problem(setting: name, to: value, suggest: CommandParser.nearest(to:among:))
        else { return nil }
        return ImportCellError(problem.message)
    }

    /// Whether two typed values are the same value: equal, or numbers of equal value (`2` and `2.0`).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        switch (a, b) {
        case (.integer, .double), (.double, .integer), (.double, .double): return a.doubleValue == b.doubleValue
        default: return false
        }
    }

    /// Whether a value is written as an empty cell.
    static func isEmptyCell(_ value: JSONValue) -> Bool {
        value == .null || value == .string("")
    }

    /// `true` or `false` for those words in any case (a spreadsheet writes `TRUE`), else the cell.
    static func booleanWord(_ cell: String) -> String {
        guard cell.utf8.count <= 5 else { return cell }
        let lower = cell.lowercased()
        return lower == "true" || lower == "false" ? lower : cell
    }

    /// A cell holding a number in JSON's grammar (`1.50`, `2`, `1.5E+20`), as a decimal.
    static func decimal(_ cell: String) -> Double? {
        let bytes = Array(cell.utf8)
        guard bytes.count <= Literal.maxNumberLength, let (end, _) = JSONText.scanNumber(bytes, from: 0), end == bytes.count,
            let decimal = Double(cell), decimal.isFinite
        else { return nil }
        return decimal
    }

    /// A custom attribute's cell: `attr`'s literal rules on the whole cell (a cell wrapped in
    /// double quotes is the string inside), or the column's forced type; then, when `checked`,
    /// the catalog's check.
    func customValue(_ cell: String, forced: ForcedType?, name: String, checked: Bool = true) -> Result<JSONValue, ImportCellError> {
        let key = "custom_attributes.\(name)"
        let value: JSONValue
        switch forced {
        case nil:
            let word: Word
            let scalars = cell.unicodeScalars
            if scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" {
                word = Word(String(cell.dropFirst().dropLast()), quoted: true)
            } else {
                word = Word(cell)
            }
            do {
                value = try Literal.attributeValue(word)
            } catch {
                return .failure(ImportCellError("\(key): \(error.message)"))
            }
        case .string?:
            value = .string(cell)
        case .integer?:
            guard cell != "null" else {
                value = .null
                break
            }
            guard cell.utf8.count <= 20, let integer = Int64(cell) else {
                return .failure(ImportCellError("\(key) is an :integer column, and \(MessageText.quoted(cell)) is not a whole number"))
            }
            value = .integer(integer)
        case .decimal?:
            guard cell != "null" else {
                value = .null
                break
            }
            guard let decimal = ImportCells.decimal(cell) else {
                return .failure(ImportCellError("\(key) is a :decimal column, and \(MessageText.quoted(cell)) is not a number (such as 155.5)"))
            }
            value = .double(decimal)
        case .boolean?:
            switch ImportCells.booleanWord(cell) {
            case "true": value = .bool(true)
            case "false": value = .bool(false)
            case "null": value = .null
            default:
                return .failure(ImportCellError("\(key) is a :boolean column, and takes true or false, not \(MessageText.quoted(cell))"))
            }
        }
        if let problem = CustomAttributeRules.problem(withValue: value) {
            return .failure(ImportCellError("\(key): \(problem)"))
        }
        if checked, dialect == .v2, let catalog, let problem = catalog.problem(setting: name, to: value, suggest: CommandParser.nearest(to:among:)) {
            return .failure(ImportCellError(problem.message))
        }
        return .success(value)
    }

    /// Why a cell cannot name a lead: what `load` refuses in an id (whitespace, `/`, `?`, `#`,
    /// `%`, `\`, control characters, more than 255 bytes).
    static func identifierProblem(_ text: String) -> String? {
        if text.utf8.count > 255 { return "\(MessageText.quoted(text)) is \(text.utf8.count) bytes long (at most 255)" }
        // The common case, byte by byte: printable ASCII other than space and / ? # % \.
        if text.utf8.allSatisfy({ byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "?") && byte != UInt8(ascii: "#")
                && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "\\")
        }) {
            return nil
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || MessageText.isUnsafe(scalar) || "/?#%\\".unicodeScalars.contains(scalar) {
                let what = scalar.properties.isWhitespace || MessageText.isUnsafe(scalar) ? scalar.codePointName : "'\(scalar)'"
                return "\(MessageText.quoted(text)) cannot name a lead: it contains \(what)"
            }
        }
        return nil
    }
}

/// Why a row's cells cannot be journaled.
public struct ImportCellError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
