import Foundation
import GRDB
import LeadModel

/// Rows to entries and back: the JSON columns, the columns read, op ids.
extension Journal {
    static func encode(_ changes: FieldChanges) -> String {
        JSONText.serialize(.object(changes.jsonObject))
    }

    static func decodeChanges(_ text: String?) throws -> FieldChanges {
        guard let text, !text.isEmpty else { return FieldChanges() }
        guard case .object(let object) = try JSONText.parse(text) else {
            throw JournalError(.storage, "a journal row holds fields that are not a JSON object")
        }
        return FieldChanges(jsonObject: object)
    }

    static func fetchEntry(_ db: Database, seq: Int64) throws -> JournalEntry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Journal.entryColumns) FROM updates WHERE seq = ?"), arguments: [seq]).map(entry(from:))
    }

    static func requireEntry(_ db: Database, seq: Int64) throws -> JournalEntry {
        guard let entry = try fetchEntry(db, seq: seq) else {
            throw JournalError(.noSuchEntry, "no update #\(seq) in the journal (see `queue --all`)")
        }
        return entry
    }

    /// The columns of an outbox row, in the order ``entry(from:)`` reads them: every
    /// query that makes a ``JournalEntry`` selects exactly these.
    static let entryColumnNames = [
        "seq", "op_id", "lead_id", "lead_user_id", "lead_email", "fields", "base", "base_updated_at", "state",
        "attempts", "next_attempt_at", "last_status", "last_error_code", "last_error", "theirs", "merged_count",
        "created_at", "updated_at", "sent_at", "api_version", "app_id", "kind",
    ]
    static let entryColumns = entryColumns(of: nil)

    /// ``entryColumnNames`` as a select list, qualified by `table` when given.
    static func entryColumns(of table: String?) -> String {
        entryColumnNames.map { name in table.map { "\($0).\(name)" } ?? name }.joined(separator: ", ")
    }

    /// A row selected as ``entryColumns``, read by position: reading 21 columns by name
    /// cost a case-insensitive search of the column names (a `lowercased()` each) per column.
    static func entry(from row: Row) throws -> JournalEntry {
        JournalEntry(
            seq: row[0],
            opID: row[1],
            lead: LeadReference(id: row[2], userID: row[3], email: row[4]),
            changes: try decodeChanges(row[5]),
            base: try decodeChanges(row[6]),
            baseUpdatedAt: row[7],
            state: UpdateState(rawValue: row[8]) ?? .pending,
            attempts: row[9],
            nextAttemptAt: row[10],
            lastStatus: row[11],
            lastErrorCode: row[12],
            lastError: row[13],
            theirs: try (row[14] as String?).map { try decodeChanges($0) },
            mergedCount: row[15],
            createdAt: row[16],
            updatedAt: row[17],
            sentAt: row[18],
            apiVersion: row[19],
            appID: row[20],
            kind: OutboxKind(rawValue: row[21]) ?? .update
        )
    }

    /// A fresh `op_id`: a random (version 4) UUID in lower case, as `UUID().uuidString.lowercased()`
    /// wrote it, without Foundation's string formatting and a second pass to lower the case.
    static func newOpID() -> String {
        var bytes = UUID().uuid
        return withUnsafeBytes(of: &bytes) { raw -> String in
            let hex = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for (i, byte) in raw.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    out[o] = hex[Int(byte >> 4)]
                    out[o + 1] = hex[Int(byte & 0x0F)]
                    o += 2
                }
                return o
            }
        }
    }
}
