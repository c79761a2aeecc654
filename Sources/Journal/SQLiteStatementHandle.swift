import GRDB
import GRDBSQLite

/// A GRDB statement driven through SQLite's C API: bind, step, read the first column, reset.
struct SQLiteStatementHandle {
    private let handle: OpaquePointer
    private let connection: OpaquePointer?

    init(_ statement: Statement, db: Database) {
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
    }

    /// SQLite copies the bytes before `sqlite3_bind_text` returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String?) throws {
        guard var text else { return try check(sqlite3_bind_null(handle, index)) }
        let code = text.withUTF8 { bytes in
            // An empty buffer may have no address; SQLite reads a null pointer as NULL, not "".
            let start = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            return sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
        }
        try check(code)
    }

    func bind(_ index: Int32, _ value: Int64?) throws {
        try check(value.map { sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
    }

    func bind(_ index: Int32, _ value: Double) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    /// Makes the statement ready to bind: GRDB may have left it stepped (statements are
    /// shared through its cache), and SQLite refuses to bind a statement that is not reset.
    private func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// Binds the values (`bind`), then steps to the end of a statement that returns no row.
    func run(binding bind: (SQLiteStatementHandle) throws -> Void) throws {
        reset()
        defer { reset() }
        try bind(self)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// Whether the statement, bound to `texts`, returns a row.
    func exists(_ texts: String...) throws -> Bool {
        reset()
        defer { reset() }
        for (offset, text) in texts.enumerated() { try bind(Int32(offset + 1), text) }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw failure(code)
    }

    /// The first column of the first row, bound to `text` (if given), as an integer; nil without a row.
    func firstInteger(_ text: String? = nil) throws -> Int64? {
        reset()
        defer { reset() }
        if let text { try bind(1, text) }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return sqlite3_column_int64(handle, 0) }
        if code == SQLITE_DONE { return nil }
        throw failure(code)
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: String(cString: sqlite3_sql(handle)))
    }
}
