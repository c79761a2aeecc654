import GRDB
public import LeadModel

/// Exports: what each `export` wrote, kept so that its file can come back through `import`.
extension Journal {
    /// Records an export and every lead it wrote, in one transaction.
    public func recordExport(_ record: ExportRecord) throws(JournalError) {
        try write { db in
            try db.cachedStatement(sql: "INSERT INTO exports (export_id, created_at, path, columns) VALUES (?, ?, ?, ?)")
                .execute(arguments: [
                    record.exportID, record.createdAt, record.path, JSONText.serialize(.array(record.columns.map(JSONValue.string))),
                ])
            let insert = try db.cachedStatement(
                sql: "INSERT INTO exported_leads (export_id, lead_id, position, updated_at, cells) VALUES (?, ?, ?, ?, ?)")
            for (position, lead) in record.leads.enumerated() {
                try insert.execute(arguments: [record.exportID, lead.id, position, lead.updatedAt, Journal.encode(lead.values)])
            }
        }
    }

    /// The export with this id and the leads it wrote (in file order), or nil when this
    /// journal made no such export.
    public func export(id: String) throws(JournalError) -> ExportRecord? {
        try read { db -> ExportRecord? in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT created_at, path, columns FROM exports WHERE export_id = ?"), arguments: [id])
            else { return nil }
            let columnsText: String = row["columns"]
            let columns = (try JSONText.parse(columnsText).arrayValue ?? []).compactMap(\.stringValue)
            let leads = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT lead_id, updated_at, cells FROM exported_leads WHERE export_id = ? ORDER BY position"),
                arguments: [id]
            ).map { lead in
                ExportedLead(id: lead["lead_id"], updatedAt: lead["updated_at"], values: try Journal.decodeChanges(lead["cells"]))
            }
            return ExportRecord(exportID: id, createdAt: row["created_at"], path: row["path"], columns: columns, leads: leads)
        }
    }
}
