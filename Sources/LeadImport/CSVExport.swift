import CSV
import CommandParser
import Foundation
public import LeadModel

#if canImport(Glibc)
    import Glibc
#endif

/// Leads written as RFC 4180 CSV (yaslab/CSV.swift's `CSVWriter`) in the form `import` reads,
/// so that importing the file unchanged changes nothing.
///
/// The first column is `id@<export id>`: the lead's id, under a header naming the export, by
/// which `import` recognises the file and finds what each cell held. Then the external id
/// (`user_id` in 1.x, `external_id` in 2.x), then the columns, named as an import header
/// names them. A custom attribute column whose values are all of one type says so with a
/// suffix (`:decimal`, `:integer`, `:boolean`, and `:string` where a value would read as
/// something else, such as `01234`), so that a spreadsheet's `2` for `2.0` or `TRUE` for
/// `true` reads back as the same value; a column of mixed types writes each value as
/// `attr` reads it (`9`, `9.0`, a string in double quotes where it must be).
///
/// For example:
///
/// ```swift
/// let file = try CSVExport(leads: views, requested: [], dialect: .v2, catalog: catalog, exportID: CSVExport.newExportID())
/// try file.write(to: "leads.csv")   // a temporary file beside it, mode 0600
/// // record file.exported in the journal, then:
/// try file.publish()
/// ```
public final class CSVExport {
    /// The header as written, `id@<export id>` first.
    public let header: [String]
    /// The keys of the columns after the identifiers (`name`, `custom_attributes.plan`).
    public let keys: [String]
    /// Each lead as written: the typed value of each filled cell.
    public let exported: [ExportedLead]
    public let exportID: String
    private let rows: [[String]]
    private var written: (temporary: String, path: String)?

    /// Plans the file: its columns and each lead's cells.
    ///
    /// - Parameters:
    ///   - leads: The leads as the user sees them, in file order.
    ///   - requested: Column names as an import header names them (`name`,
    ///     `custom_attributes.plan`, optionally with a `:type` suffix); empty for the default:
    ///     name, email and every custom attribute the leads have.
    ///   - dialect: Which standard fields exist, and the external id's name.
    ///   - catalog: Under 2.x, the workspace's attributes: they type the columns, and the
    ///     default leaves out attributes an import would refuse (archived, unknown).
    /// - Throws: `ImportHeaderError` for a column an import would refuse, or a value no cell can hold.
    public init(
        leads: [Contact], requested: [String], dialect: Dialect, catalog: AttributeCatalog?, exportID: String
    ) throws(ImportHeaderError) {
        self.exportID = exportID
        let identifiers = ["id", "user_id", "external_id"]
        var names = requested.filter { !identifiers.contains($0) }
        if requested.isEmpty {
            names = ["name", "email"] + CSVExport.customAttributes(of: leads, dialect: dialect, catalog: catalog).map { "custom_attributes." + $0 }
        }
        let external = ImportHeader.identifierNames(in: dialect)[1]
        // Checked as an import header, so the file imports; then typed by the values.
        let asked = try ImportHeader.columns([ImportHeader.exportedIDPrefix + exportID, external] + names, dialect: dialect, catalog: catalog)
        var columns = Array(asked.dropFirst(2))
        for index in columns.indices {
            guard case .custom(let name) = columns[index].role, columns[index].forcedType == nil else { continue }
            let values = leads.compactMap { $0.value(of: .custom(name)) }.filter { $0 != .null }
            if let nested = values.first(where: { !$0.isFlat }) {
                throw ImportHeaderError("custom_attributes.\(name) holds \(nested.typeName == "array" ? "a list" : "an object"), which a cell cannot hold")
            }
            if let type = CSVExport.columnType(values, catalogType: catalog?.custom(named: name)?.dataType) {
                columns[index].forcedType = type
                columns[index].header = columns[index].key + ":" + type.rawValue
            }
        }
        header = [ImportHeader.exportedIDPrefix + exportID, external] + columns.map(\.header)
        keys = columns.map(\.key)
        // What each written cell reads back as, through the import's own reading.
        let reader = ImportCells(columns: columns, dialect: dialect, catalog: nil, now: 0)
        var rows: [[String]] = []
        var exported: [ExportedLead] = []
        rows.reserveCapacity(leads.count)
        exported.reserveCapacity(leads.count)
        for lead in leads {
            var row = [lead.id, lead.userID ?? ""]
            var values = FieldChanges()
            for column in columns {
                let key = FieldKey(path: column.key)
                let value = lead.value(of: key) ?? .null
                if !value.isFlat {
                    throw ImportHeaderError(
                        "\(column.key) of lead \(lead.id) holds \(value.typeName == "array" ? "a list" : "an object"), which a cell cannot hold")
                }
                let text = CSVExport.cellText(value, column: column)
                row.append(text)
                guard !text.isEmpty else { continue }
                // The value kept is the one the cell reads back as: the same as the lead's for
                // every value leadsh writes, and so equal to an unchanged cell whatever happens.
                switch reader.typedValue(text, column: column, like: nil) {
                case .success(let read): values[key] = ImportCells.same(read, value) ? value : read
                case .failure(let error):
                    throw ImportHeaderError("\(column.key) of lead \(lead.id) cannot be written so that it reads back: \(error.message)")
                }
            }
            rows.append(row)
            exported.append(ExportedLead(id: lead.id, updatedAt: lead.updatedAt, values: values))
        }
        self.rows = rows
        self.exported = exported
    }

    deinit {
        if let written { unlink(written.temporary) }
    }

    /// A new export id: 16 random hex digits (an export of another journal never matches).
    public static func newExportID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Writes the file beside `path` under a temporary name, created mode 0600 (it holds
    /// personal data), and synced; ``publish()`` then renames it to `path`.
    ///
    /// - Throws: `ImportHeaderError` naming the file and the reason.
    public func write(to path: String) throws(ImportHeaderError) {
        let stream = OutputStream.toMemory()
        stream.open()
        do {
            let writer = try CSVWriter(stream: stream, newline: .crlf)
            try writer.write(row: header)
            for row in rows { try writer.write(row: row) }
            // RFC 4180 allows the last record without a line break; editors and `cat` like one.
            _ = stream.write([0x0D, 0x0A], maxLength: 2)
        } catch {
            throw ImportHeaderError("\(path): cannot write the CSV (\(error))")
        }
        stream.close()
        let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
        let temporary = path + ".\(exportID).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ImportHeaderError("\(path): cannot create the file (\(CSVExport.reason(errno)))") }
        written = (temporary, path)
        defer { close(fd) }
        // The mode, whatever the umask: only its owner may read the file.
        _ = fchmod(fd, 0o600)
        let failed = data.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return fsync(fd) == 0 ? nil : errno
        }
        if let failed { throw ImportHeaderError("\(path): cannot write the file (\(CSVExport.reason(failed)))") }
    }

    /// Renames the written file to its path (replacing a file there); before it, nothing is at the path.
    public func publish() throws(ImportHeaderError) {
        guard let written else { return }
        guard rename(written.temporary, written.path) == 0 else {
            throw ImportHeaderError("\(written.path): cannot write the file (\(CSVExport.reason(errno)))")
        }
        self.written = nil
    }

    /// The text of a value's cell in its column: empty for no value.
    static func cellText(_ value: JSONValue, column: ImportColumn) -> String {
        switch value {
        case .null, .array, .object: return ""
        case .string(let text):
            if case .custom = column.role, column.forcedType == nil, !readsBack(text) {
                // A string that `attr`'s rules would read as something else: in double quotes.
                return "\"" + text + "\""
            }
            return text
        case .integer(let number):
            if case .field(let field) = column.role, field.isTime { return isoTime(number) }
            return String(number)
        case .double(let number): return JSONText.formatDouble(number)
        case .bool(let flag): return flag ? "true" : "false"
        }
    }

    /// `2016-10-28T13:11:07Z`: a time cell, in a form `TimeValue.parse` reads and people too.
    static func isoTime(_ seconds: Int64) -> String {
        guard seconds >= 0, seconds <= TimeValue.latest else { return String(seconds) }
        let text = TimeValue.utcText(seconds)  // 2016-10-28 13:11:07 UTC
        return String(text.prefix(10)) + "T" + String(text.dropFirst(11).prefix(8)) + "Z"
    }

    /// Whether a string in a column without a type reads back as itself by `attr`'s rules.
    static func readsBack(_ text: String) -> Bool {
        if text.isEmpty { return true }
        let scalars = text.unicodeScalars
        if scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" { return false }
        guard let value = try? Literal.attributeValue(Word(text)) else { return false }
        return value == .string(text)
    }

    /// The suffix a custom attribute column takes: the workspace's type where the values fit it,
    /// else the values' one type; `:string` only where a value would not read back without it.
    static func columnType(_ values: [JSONValue], catalogType: String?) -> ForcedType? {
        let kinds = Set(values.map(\.typeName))
        if catalogType == "integer" || catalogType == "date", kinds.isSubset(of: ["integer"]) { return .integer }
        if catalogType == "float", kinds.isSubset(of: ["integer", "decimal"]) { return .decimal }
        if catalogType == "boolean", kinds.isSubset(of: ["boolean"]) { return .boolean }
        guard kinds.count == 1, let kind = kinds.first else { return nil }
        switch kind {
        case "string":
            return values.allSatisfy { readsBack($0.stringValue ?? "") } ? nil : .string
        case "integer": return .integer
        case "decimal": return .decimal
        case "boolean": return .boolean
        default: return nil
        }
    }

    /// The custom attributes the leads have, by name; under 2.x only those an import takes.
    static func customAttributes(of leads: [Contact], dialect: Dialect, catalog: AttributeCatalog?) -> [String] {
        var names: Set<String> = []
        for lead in leads {
            for (name, _) in lead.customAttributes { names.insert(name) }
        }
        return names.filter { name in
            guard CustomAttributeRules.problem(withName: name) == nil else { return false }
            guard dialect == .v2, let catalog else { return true }
            return catalog.custom(named: name).map { !$0.archived } ?? false
        }.sorted()
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
