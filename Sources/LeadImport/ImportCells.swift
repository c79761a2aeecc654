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

    public init(columns: [ImportColumn], dialect: Dialect, catalog: AttributeCatalog?, now: Int64) {
        self.columns = columns
        self.dialect = dialect
        self.catalog = catalog
        self.now = now
    }

    /// The update a row's cells make, nil when they change nothing, or the row's problem.
    ///
    /// An empty cell changes nothing. The identifier cells name the lead (at least one must be
    /// filled). A standard field's cell is typed by the field (`StandardField.value(fromText:now:)`);
    /// a custom attribute's by `attr`'s literal rules on the whole cell, unless the column forces
    /// a type. The update is then checked as `push` checks it, in the dialect.
    public func update(_ cells: [String]) -> Result<LeadUpdate?, ImportCellError> {
        guard cells.count == columns.count else {
            return .failure(
                ImportCellError(
                    "the row has \(cells.count) cell\(cells.count == 1 ? "" : "s") and the header \(columns.count) column\(columns.count == 1 ? "" : "s") (a missing comma, or a quote left open?)"
                ))
        }
        var id: String?
        var userID: String?
        var changes = FieldChanges()
        for (column, cell) in zip(columns, cells) where !cell.isEmpty {
            switch column.role {
            case .id:
                if let problem = ImportCells.identifierProblem(cell) { return .failure(ImportCellError("id: \(problem)")) }
                id = cell
            case .userID:
                if let problem = ImportCells.identifierProblem(cell) { return .failure(ImportCellError("\(column.header): \(problem)")) }
                userID = cell
            case .field(let field):
                do {
                    changes[.standard(field.name)] = try field.value(fromText: cell, now: now)
                } catch {
                    return .failure(ImportCellError(error.message))
                }
            case .custom(let name):
                switch customValue(cell, forced: column.forcedType, name: name) {
                case .success(let value): changes[.custom(name)] = value
                case .failure(let error): return .failure(error)
                }
            }
        }
        guard id != nil || userID != nil else {
            let names = ImportHeader.identifierNames(in: dialect)
            return .failure(ImportCellError("the row names no lead: its \(names[0]) and \(names[1]) cells are empty"))
        }
        guard !changes.isEmpty else { return .success(nil) }
        let update: LeadUpdate
        do {
            update = try LeadUpdate(lead: LeadReference(id: id, userID: userID), changes: changes)
        } catch {
            return .failure(ImportCellError(error.description))
        }
        // Whether each field can be written in the dialect was checked once, on the header
        // (`ImportHeader`); a row named by external_id only is fine: the replay finds the
        // contact's id, as it does for a push.
        return .success(update)
    }

    /// A custom attribute's cell: `attr`'s literal rules on the whole cell (a cell wrapped in
    /// double quotes is the string inside), or the column's forced type; then the catalog's check.
    func customValue(_ cell: String, forced: ForcedType?, name: String) -> Result<JSONValue, ImportCellError> {
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
            let bytes = Array(cell.utf8)
            guard bytes.count <= Literal.maxNumberLength, let (end, _) = JSONText.scanNumber(bytes, from: 0), end == bytes.count,
                let decimal = Double(cell), decimal.isFinite
            else {
                return .failure(ImportCellError("\(key) is a :decimal column, and \(MessageText.quoted(cell)) is not a number (such as 155.5)"))
            }
            value = .double(decimal)
        case .boolean?:
            switch cell {
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
        if dialect == .v2, let catalog, let problem = catalog.problem(setting: name, to: value, suggest: CommandParser.nearest(to:among:)) {
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
