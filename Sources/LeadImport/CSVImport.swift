import CSV
import Foundation
public import LeadModel

/// An import file read row by row: RFC 4180 CSV (yaslab/CSV.swift), a header naming the lead
/// and the fields, then one update per data row.
///
/// Streams: the file is read twice, once to hash it (the op ids derive from its content) and
/// once to parse it, each in bounded memory; rows come out one at a time or in batches, so a
/// file of 100,000 rows never sits in memory. Not `Sendable`: one task reads it.
///
/// For example:
///
/// ```swift
/// let file = try CSVImport(path: "leads.csv", dialect: .v1, catalog: nil, now: TimeValue.currentTime())
/// while let batch = try file.nextBatch(max: 500) {
///     // journal batch's rows in one transaction; report its refused rows as FILE:LINE
/// }
/// ```
public final class CSVImport {
    /// The file as the user named it, for `FILE:LINE` messages.
    public let displayName: String
    /// SHA-256 of the file's bytes, as 64 hex digits.
    public let contentHash: String
    /// The header's columns.
    public let columns: [ImportColumn]
    /// The export this file comes back from (its header's `id@<export id>`), or nil.
    public let export: ExportedFile?
    private let cells: ImportCells
    private let reader: CSVReader
    /// The line where the next record starts.
    private var nextLine: Int
    /// How many data records were read (blank lines included, so row numbers stay fixed).
    private var rowsRead = 0
    private var finished = false

    /// Opens a file and reads its header.
    ///
    /// - Parameters:
    ///   - path: The CSV file.
    ///   - displayName: How messages name it (the path as typed by default).
    ///   - dialect: Which standard fields and identifier names the header may use.
    ///   - catalog: Under 2.x, the workspace's custom attributes, checked as `attr` checks them
    ///     (nil skips the check).
    ///   - now: What `now` means in time cells, in Unix seconds.
    ///   - exports: Looks up the export a header's `id@<export id>` names (the journal's).
    /// - Throws: `ImportProblem` at line 1 for a bad header, an export this journal did not
    ///   write, or a file that cannot be read.
    public init(
        path: String, displayName: String? = nil, dialect: Dialect, catalog: AttributeCatalog?, now: Int64,
        exports: (String) throws -> ExportRecord? = { _ in nil }
    ) throws(ImportProblem) {
        let name = displayName ?? path
        self.displayName = name
        contentHash = try CSVImport.sha256(path: path, name: name)
        guard let stream = FileByteStream(path: path) else {
            throw ImportProblem(file: name, line: 1, message: "cannot open the file")
        }
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: false)
        } catch {
            throw ImportProblem(file: name, line: 1, message: "cannot read the file: \(error)")
        }
        guard var header = reader.next(), reader.error == nil else {
            let why = reader.error.map(CSVImport.describe) ?? "the file is empty; it needs a header line naming the columns"
            throw ImportProblem(file: name, line: 1, message: why)
        }
        // A byte order mark the reader left (a spreadsheet's "UTF-8 CSV") is not part of the name.
        if let first = header.first, first.unicodeScalars.first == "\u{FEFF}" {
            header[0] = String(first.unicodeScalars.dropFirst())
        }
        do {
            columns = try ImportHeader.columns(header, dialect: dialect, catalog: catalog)
        } catch {
            throw ImportProblem(file: name, line: 1, message: error.message)
        }
        if let exportID = ImportHeader.exportID(in: header) {
            let record: ExportRecord?
            do {
                record = try exports(exportID)
            } catch {
                throw ImportProblem(file: name, line: 1, message: "cannot read export \(exportID) from the journal: \(error)")
            }
            guard let record else {
                throw ImportProblem(
                    file: name, line: 1,
                    message:
                        "the id column names export \(exportID), which this journal did not write (exported with another journal or workspace?); import it with that journal, or rename the column to id to import the file as an ordinary one, where an empty cell changes nothing"
                )
            }
            export = ExportedFile(record)
        } else {
            export = nil
        }
        cells = ImportCells(columns: columns, dialect: dialect, catalog: catalog, now: now, export: export)
        nextLine = 1 + CSVImport.lineSpan(of: header)
    }

    /// The op id of a data row: `import:<first 16 hex digits of the file's SHA-256>:<row>`, the
    /// row number zero-padded to 9 digits. A file's op ids then sort in row order, so the
    /// journal's op id index grows at its end; unpadded, each batch rewrote pages all over it.
    public func opID(row: Int) -> String {
        let digits = String(row)
        return opIDPrefix + String(repeating: "0", count: max(0, 9 - digits.utf8.count)) + digits
    }

    /// The op id leadsh gave the row before it padded row numbers (`import:<hash>:42`), so a
    /// file partly imported by that version is not journaled twice.
    public func legacyOpID(row: Int) -> String {
        opIDPrefix + String(row)
    }

    /// `import:<first 16 hex digits of the file's SHA-256>:`, made once.
    private lazy var opIDPrefix = "import:\(contentHash.prefix(16)):"

    /// The next data row, or nil at the end of the file. Blank lines are skipped.
    ///
    /// - Throws: `ImportProblem` when the file stops being readable (an I/O error, bytes that
    ///   are not UTF-8); the rows before it were returned.
    public func next() throws(ImportProblem) -> ImportItem? {
        while !finished {
            guard let record = reader.next() else {
                finished = true
                if let error = reader.error {
                    throw ImportProblem(file: displayName, line: nextLine, message: CSVImport.describe(error))
                }
                return nil
            }
            if let error = reader.error {
                finished = true
                throw ImportProblem(file: displayName, line: nextLine, message: CSVImport.describe(error))
            }
            let line = nextLine
            nextLine += CSVImport.lineSpan(of: record)
            rowsRead += 1
            if record.count == 1, record[0].isEmpty { continue }
            switch cells.read(record) {
            case .success(let read?):
                return .row(
                    ImportRow(
                        line: line, row: rowsRead, opID: opID(row: rowsRead), legacyOpID: legacyOpID(row: rowsRead), update: read.update,
                        base: read.base, tags: read.tags))
            case .success(nil):
                return .unchanged(line: line, row: rowsRead)
            case .failure(let error):
                return .refused(ImportProblem(file: displayName, line: line, row: rowsRead, message: error.message))
            }
        }
        return nil
    }

    /// Up to `max` data rows, or nil at the end of the file: what one journal transaction takes.
    public func nextBatch(max: Int = 500) throws(ImportProblem) -> [ImportItem]? {
        var batch: [ImportItem] = []
        batch.reserveCapacity(max)
        while batch.count < max, let item = try next() { batch.append(item) }
        return batch.isEmpty ? nil : batch
    }

    /// How many physical lines a record spans: one, plus each line break inside its quoted
    /// cells (CR LF, CR or LF; the record's own terminator is not part of its cells).
    static func lineSpan(of record: [String]) -> Int {
        var lines = 1
        for cell in record {
            var previousCR = false
            for byte in cell.utf8 {
                if byte == 0x0A {
                    if !previousCR { lines += 1 }
                    previousCR = false
                } else if byte == 0x0D {
                    lines += 1
                    previousCR = true
                } else {
                    previousCR = false
                }
            }
        }
        return lines
    }

    /// SHA-256 of a file, read 1 MiB at a time.
    static func sha256(path: String, name: String) throws(ImportProblem) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file (permissions?)" : "no such file"
            throw ImportProblem(file: name, line: 1, message: reason)
        }
        defer { try? handle.close() }
        var hasher = SHA256Digest()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(chunk)
            }
        } catch {
            throw ImportProblem(file: name, line: 1, message: "cannot read the file: \(error.localizedDescription)")
        }
        return hasher.finalize()
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? CSVError {
            switch error {
            case .unicodeDecoding: return "the file is not UTF-8 text from here on; save it as UTF-8 CSV"
            default: return "cannot read the file (\(error))"
            }
        }
        return "cannot read the file (\(error))"
    }
}
