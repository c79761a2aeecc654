import GRDB
import LeadModel

extension Journal {
    /// Replaces the cached list of the workspace's contact attributes.
    public func cacheAttributes(_ attributes: [DataAttribute], fetchedAt: Double = Journal.now()) throws(JournalError) {
        try write { db in
            try db.execute(sql: "DELETE FROM data_attributes")
            let insert = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO data_attributes (name, data_type, custom, archived) VALUES (?, ?, ?, ?)")
            for attribute in attributes {
                try insert.execute(arguments: [attribute.name, attribute.dataType, attribute.custom, attribute.archived])
            }
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('attributes_fetched_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [String(fetchedAt)])
        }
    }

    /// The workspace's contact attributes as last read, or nil when they never were.
    public func cachedAttributes() throws(JournalError) -> AttributeCatalog? {
        try read { db -> AttributeCatalog? in
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'attributes_fetched_at'"),
                let fetchedAt = Double(text)
            else { return nil }
            let attributes = try Row.fetchAll(db, sql: "SELECT name, data_type, custom, archived FROM data_attributes ORDER BY name")
                .map { row in
                    DataAttribute(name: row["name"], dataType: row["data_type"], custom: row["custom"], archived: row["archived"])
                }
            return AttributeCatalog(attributes: attributes, fetchedAt: fetchedAt)
        }
    }
}
