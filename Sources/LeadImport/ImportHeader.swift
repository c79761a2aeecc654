import CommandParser
public import LeadModel

/// The type a `:string`, `:integer`, `:decimal` or `:boolean` suffix forces on a column.
public enum ForcedType: String, Sendable, Hashable, CaseIterable {
    case string, integer, decimal, boolean
}

/// One column of an import file's header, as the importer reads its cells.
public struct ImportColumn: Sendable, Hashable {
    /// What the column's cells are.
    public enum Role: Sendable, Hashable {
        /// Intercom's `id` of the lead.
        case id
        /// 1.x's `user_id`, 2.x's `external_id`: names the lead, never changes it.
        case userID
        /// A writable standard field of the dialect.
        case field(StandardField)
        /// A custom attribute (the name without `custom_attributes.`).
        case custom(String)
        /// `tags`: `+NAME` / `-NAME` items, tags added and removed (a tags row after the update).
        case tags
    }

    /// The header cell as written.
    public var header: String
    public var role: Role
    /// The type a suffix forces, or nil when the cell's text decides.
    public var forcedType: ForcedType?

    /// `name`, `custom_attributes.plan`: the key the column changes, or the identifier it reads.
    public var key: String {
        switch role {
        case .id: return "id"
        case .userID: return "user_id"
        case .field(let field): return field.name
        case .custom(let name): return "custom_attributes.\(name)"
        case .tags: return "tags"
        }
    }
}

/// Reads an import file's header: which column names the lead and what each other one changes.
public enum ImportHeader {
    /// How the `id` column's header of a file `export` wrote starts: `id@<export id>`.
    public static let exportedIDPrefix = "id@"

    /// The export a header's `id@<export id>` column names, or nil for any other file.
    public static func exportID(in cells: [String]) -> String? {
        guard let cell = cells.first(where: { $0.hasPrefix(exportedIDPrefix) }) else { return nil }
        return String(cell.dropFirst(exportedIDPrefix.count))
    }

    /// The identifier columns a dialect's header may name the lead by.
    public static func identifierNames(in dialect: Dialect) -> [String] {
        dialect == .v1 ? ["id", "user_id"] : ["id", "external_id"]
    }

    /// The columns of a header, or the message for `FILE:1:` saying which column is wrong and
    /// what to do.
    ///
    /// - Parameters:
    ///   - cells: The header row's cells.
    ///   - dialect: Decides which standard fields may be changed.
    ///   - catalog: Under 2.x, the workspace's attributes: a custom attribute column must name
    ///     one that exists and is not archived. Nil skips the check (1.x, or no list read yet).
    public static func columns(
        _ cells: [String], dialect: Dialect, catalog: AttributeCatalog?
    ) throws(ImportHeaderError) -> [ImportColumn] {
        var columns: [ImportColumn] = []
        var seen: [String: Int] = [:]
        for (index, cell) in cells.enumerated() {
            let column = try self.column(cell, number: index + 1, dialect: dialect, catalog: catalog)
            if let earlier = seen[column.key] {
                throw ImportHeaderError(
                    "columns \(earlier) and \(index + 1) both set \(column.key); keep one of them")
            }
            seen[column.key] = index + 1
            columns.append(column)
        }
        let names = identifierNames(in: dialect)
        guard columns.contains(where: { $0.role == .id || $0.role == .userID }) else {
            throw ImportHeaderError(
                "the header has no \(names[0]) or \(names[1]) column: add one so each row names the lead it updates (Intercom cannot identify a lead for update by email)"
            )
        }
        guard columns.contains(where: { $0.role != .id && $0.role != .userID }) else {
            throw ImportHeaderError(
                "the header names no field to change: add columns such as name, custom_attributes.NAME or tags")
        }
        return columns
    }

    private static func column(
        _ cell: String, number: Int, dialect: Dialect, catalog: AttributeCatalog?
    ) throws(ImportHeaderError) -> ImportColumn {
        guard !cell.isEmpty else {
            throw ImportHeaderError("column \(number) has no name: every column needs a header (a field name or custom_attributes.NAME)")
        }
        if cell.hasPrefix(exportedIDPrefix) {
            // The id column of an exported file; the export it names is looked up by the import.
            return ImportColumn(header: cell, role: .id, forcedType: nil)
        }
        var name = Substring(cell)
        var forced: ForcedType?
        if let colon = name.lastIndex(of: ":") {
            let suffix = String(name[name.index(after: colon)...])
            guard let type = ForcedType(rawValue: suffix) else {
                throw ImportHeaderError(
                    "column \(MessageText.quoted(cell)): unknown type suffix \(MessageText.quoted(":" + suffix)); use :string, :integer, :decimal or :boolean")
            }
            forced = type
            name = name[..<colon]
        }
        let text = String(name)
        if text == "id" || text == "user_id" || text == "external_id" {
            if let forced {
                throw ImportHeaderError("column \(MessageText.quoted(cell)): \(text) names the lead and takes no :\(forced.rawValue) suffix")
            }
            return ImportColumn(header: cell, role: text == "id" ? .id : .userID, forcedType: nil)
        }
        if text == "tags" {
            if let forced {
                throw ImportHeaderError("column \(MessageText.quoted(cell)): tags holds +NAME and -NAME items and takes no :\(forced.rawValue) suffix")
            }
            return ImportColumn(header: cell, role: .tags, forcedType: nil)
        }
        let prefix = "custom_attributes."
        if text.hasPrefix(prefix) {
            let attribute = String(text.dropFirst(prefix.count))
            if let problem = CustomAttributeRules.problem(withName: attribute) {
                throw ImportHeaderError("column \(MessageText.quoted(cell)): \(problem)")
            }
            if dialect == .v2, let catalog, catalog.custom(named: attribute).map({ $0.archived }) ?? true {
                let problem = catalog.problem(setting: attribute, to: .null, suggest: CommandParser.nearest(to:among:))
                throw ImportHeaderError("column \(MessageText.quoted(cell)): \(problem?.message ?? "cannot be set")")
            }
            return ImportColumn(header: cell, role: .custom(attribute), forcedType: forced)
        }
        if let field = StandardField.named(text, in: dialect) {
            if let reason = field.readOnlyReason {
                throw ImportHeaderError("column \(MessageText.quoted(cell)): \(field.name) is read-only: \(reason)")
            }
            if let forced, forced.rawValue != expectedSuffix(of: field) {
                throw ImportHeaderError(
                    "column \(MessageText.quoted(cell)): \(field.name) is a standard field that takes \(field.kindPhrase); drop the :\(forced.rawValue) suffix (its type is fixed)"
                )
            }
            return ImportColumn(header: cell, role: .field(field), forcedType: nil)
        }
        if let why = StandardField.fromOtherDialect(text, in: dialect) {
            throw ImportHeaderError("column \(MessageText.quoted(cell)): \(why)")
        }
        var hint = ""
        if let suggestion = CommandParser.nearest(to: text, among: StandardField.writableNames(in: dialect)) {
            hint = "did you mean \(suggestion)? "
        }
        let asAttribute = CustomAttributeRules.problem(withName: text) == nil ? "custom_attributes.\(text)" : "custom_attributes.NAME"
        throw ImportHeaderError(
            "column \(MessageText.quoted(cell)) is not a standard field of \(dialect); \(hint)name a custom attribute as \(asAttribute)")
    }

    /// The suffix that agrees with a standard field's own type (`name:string`), if any.
    private static func expectedSuffix(of field: StandardField) -> String? {
        switch field.kind {
        case .string: return "string"
        case .boolean: return "boolean"
        case .integer: return "integer"
        case .timestamp: return nil
        }
    }
}

/// Why a header cannot be imported; the importer reports it as `FILE:1: message`.
public struct ImportHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
