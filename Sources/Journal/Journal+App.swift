import Foundation
import GRDB
import LeadModel

/// The app (workspace) the journal is bound to.
extension Journal {
    /// The app the journal is bound to, inside a transaction: from memory once it is known.
    func boundAppID(_ db: Database) throws -> String? {
        if let known = boundApp.withLock({ $0 }) { return known }
        let app = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'app_id'"))
        if let app { boundApp.withLock { $0 = app } }
        return app
    }

    /// The app (`app.id_code`) this journal is bound to, or nil before it first talked to one.
    public func appID() throws(JournalError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'app_id'") }
    }

    /// Binds the journal to `app` when it is not bound yet; answers the other app when the
    /// journal, or one of its unsent updates, belongs to another one (then nothing changes).
    public func bind(toApp app: String) throws(JournalError) -> String? {
        try write { db -> String? in
            if let bound = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'app_id'") {
                return bound == app ? nil : bound
            }
            // Not bound yet: rows can name an app only if the binding was lost; honour them.
            if let other = try String.fetchOne(
                db, sql: "SELECT app_id FROM updates WHERE app_id IS NOT NULL AND app_id <> ? AND state <> 'sent' AND state <> 'dropped' LIMIT 1",
                arguments: [app])
            {
                return other
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('app_id', ?)", arguments: [app])
            return nil
        }
    }

    /// The app a journal file is bound to, read without migrating or locking it; nil when
    /// the file is missing, not a journal, or not bound yet.
    public static func peekAppID(path: String) -> String? {
        peek(path: path, missing: nil) { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'app_id'") }
    }

    /// The rate-limit hold a journal file recorded (meta `rate_limit_until`), read without migrating it.
    public static func peekRateLimitHold(path: String) -> Double? {
        peek(path: path, missing: nil) { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'rate_limit_until'").flatMap(Double.init)
        }
    }

    /// Unsent updates of a journal file, read without migrating it; nil when it cannot be read.
    public static func peekUnsentCount(path: String) -> Int? {
        peek(path: path, missing: 0) { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM updates WHERE state = 'pending' OR state = 'sending'")
        }
    }

    /// One read of a journal file through its own read-only connection, without migrating or
    /// locking it: `missing` when there is no file, nil when it cannot be read.
    private static func peek<T>(path: String, missing: T?, _ read: (Database) throws -> T?) -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return missing }
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        defer { try? queue.close() }
        return (try? queue.read(read)) ?? nil
    }
}
