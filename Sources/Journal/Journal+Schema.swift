import GRDB

extension Journal {
    /// `PRAGMA application_id` of a leadsh journal ("LDSH"), so other SQLite files are refused.
    public static let applicationID: Int32 = 0x4C44_5348

    /// The schema version this build writes (`PRAGMA user_version`).
    public static var schemaVersion: Int { migrations.count }

    /// Versioned migrations: `migrations[n]` takes a journal from version n to n + 1.
    /// Never edit a shipped migration; append a new one and update `journal/schema.sql`.
    static let migrations: [String] = [
        // 1: lead cache and outbox.
        """
        CREATE TABLE leads (
            id          TEXT PRIMARY KEY NOT NULL,
            user_id     TEXT,
            email       TEXT,
            name        TEXT,
            snapshot    TEXT NOT NULL,
            updated_at  INTEGER,
            fetched_at  REAL NOT NULL
        );
        CREATE INDEX leads_by_user_id ON leads(user_id);
        CREATE TABLE updates (
            seq              INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id            TEXT NOT NULL UNIQUE,
            lead_key         TEXT NOT NULL,
            lead_id          TEXT,
            lead_user_id     TEXT,
            lead_email       TEXT,
            fields           TEXT NOT NULL,
            base             TEXT NOT NULL,
            base_updated_at  INTEGER,
            state            TEXT NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'conflict', 'dropped')),
            attempts         INTEGER NOT NULL DEFAULT 0,
            next_attempt_at  REAL NOT NULL DEFAULT 0,
            last_status      INTEGER,
            last_error_code  TEXT,
            last_error       TEXT,
            theirs           TEXT,
            merged_count     INTEGER NOT NULL DEFAULT 1,
            created_at       REAL NOT NULL,
            updated_at       REAL NOT NULL,
            sent_at          REAL,
            CHECK (lead_id IS NOT NULL OR lead_user_id IS NOT NULL)
        );
        CREATE INDEX updates_by_state ON updates(state, next_attempt_at, seq);
        CREATE INDEX updates_by_lead ON updates(lead_key, seq);
        """,
        // 2: partial indexes so claiming the next row and listing the queue cost the same with
        // 100 or 1,000,000 rows: each lead's unsent rows in order, the pending rows in order,
        // and the rows `queue` lists (not sent, not dropped) in order.
        """
        CREATE INDEX updates_unsent_by_lead ON updates(lead_key, seq) WHERE state IN ('pending', 'sending');
        CREATE INDEX updates_pending_by_seq ON updates(seq) WHERE state = 'pending';
        CREATE INDEX updates_open_by_seq ON updates(seq) WHERE state NOT IN ('sent', 'dropped');
        """,
        // 3: a running count of rows per state, kept by triggers, so `push`'s "N pending",
        // the prompt and `status` cost the same with a backlog of 10 or 1,000,000.
        """
        CREATE TABLE update_counts (
            state  TEXT PRIMARY KEY NOT NULL,
            n      INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO update_counts (state, n) SELECT state, count(*) FROM updates GROUP BY state;
        CREATE TRIGGER update_counts_insert AFTER INSERT ON updates BEGIN
            INSERT INTO update_counts (state, n) VALUES (NEW.state, 1)
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER update_counts_delete AFTER DELETE ON updates BEGIN
            UPDATE update_counts SET n = n - 1 WHERE state = OLD.state;
        END;
        CREATE TRIGGER update_counts_move AFTER UPDATE OF state ON updates WHEN OLD.state <> NEW.state BEGIN
            UPDATE update_counts SET n = n - 1 WHERE state = OLD.state;
            INSERT INTO update_counts (state, n) VALUES (NEW.state, 1)
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        """,
        // 4: the API version each update was made under (NULL: made before leadsh named its
        // version), the workspace's custom attributes as last read, and small facts about
        // the journal (when the attribute list was read).
        """
        ALTER TABLE updates ADD COLUMN api_version TEXT;
        CREATE TABLE data_attributes (
            name       TEXT PRIMARY KEY NOT NULL,
            data_type  TEXT NOT NULL,
            custom     INTEGER NOT NULL,
            archived   INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE meta (
            key    TEXT PRIMARY KEY NOT NULL,
            value  TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 5: the app (workspace) each update belongs to: `app.id_code` of `GET /me`, recorded
        // when the journal knew its app (meta `app_id`); NULL rows belong to the journal's app.
        """
        ALTER TABLE updates ADD COLUMN app_id TEXT;
        """,
        // 6: finding and importing. The op ids journaled by imports (rows merged into another
        // row included), so a rerun journals nothing twice; leads by email (any case); one index
        // holding every column `leads` lists, so listing never reads a snapshot; and each lead's
        // undelivered rows, so counting them skips the rows already sent.
        """
        CREATE TABLE applied_ops (
            op_id       TEXT PRIMARY KEY NOT NULL,
            seq         INTEGER NOT NULL,
            applied_at  REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX leads_by_email ON leads(email COLLATE NOCASE);
        CREATE INDEX leads_listing ON leads(name COLLATE NOCASE, email, id, user_id, fetched_at);
        CREATE INDEX updates_open_by_lead ON updates(lead_key) WHERE state IN ('pending', 'sending', 'failed', 'conflict');
        """,
        // 7: cheaper writes. SQLite evaluates an `IN (...)` list of three or more values by
        // building a temporary table, on every INSERT and UPDATE that checks it: the state
        // CHECK and a partial index's WHERE did so for every row written. The table is rebuilt
        // with the CHECK as a chain of `=` (the only way to change a CHECK), and the partial
        // indexes name their states with `=`, `<>`, OR and AND. `updates_by_state` goes: every
        // query it served is served by a partial index. The INSERT trigger of `update_counts`
        // goes: a trigger that writes makes SQLite keep a statement journal for every INSERT
        // in a transaction of many (the pages each one changes, so it alone can be undone);
        // the journal's two INSERT paths (`appendRow`, an import batch) count their rows.
        // Import rows journaled as their own row keep their op id in `updates.op_id` only;
        // `applied_ops` keeps the op ids of rows merged into another row.
        """
        ALTER TABLE updates RENAME TO updates_v6;
        CREATE TABLE updates (
            seq              INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id            TEXT NOT NULL UNIQUE,
            lead_key         TEXT NOT NULL,
            lead_id          TEXT,
            lead_user_id     TEXT,
            lead_email       TEXT,
            fields           TEXT NOT NULL,
            base             TEXT NOT NULL,
            base_updated_at  INTEGER,
            state            TEXT NOT NULL DEFAULT 'pending'
                             CHECK (state = 'pending' OR state = 'sending' OR state = 'sent'
                                    OR state = 'failed' OR state = 'conflict' OR state = 'dropped'),
            attempts         INTEGER NOT NULL DEFAULT 0,
            next_attempt_at  REAL NOT NULL DEFAULT 0,
            last_status      INTEGER,
            last_error_code  TEXT,
            last_error       TEXT,
            theirs           TEXT,
            merged_count     INTEGER NOT NULL DEFAULT 1,
            created_at       REAL NOT NULL,
            updated_at       REAL NOT NULL,
            sent_at          REAL,
            api_version      TEXT,
            app_id           TEXT,
            CHECK (lead_id IS NOT NULL OR lead_user_id IS NOT NULL)
        );
        INSERT INTO updates (seq, op_id, lead_key, lead_id, lead_user_id, lead_email, fields, base, base_updated_at,
            state, attempts, next_attempt_at, last_status, last_error_code, last_error, theirs, merged_count,
            created_at, updated_at, sent_at, api_version, app_id)
        SELECT seq, op_id, lead_key, lead_id, lead_user_id, lead_email, fields, base, base_updated_at,
            state, attempts, next_attempt_at, last_status, last_error_code, last_error, theirs, merged_count,
            created_at, updated_at, sent_at, api_version, app_id
        FROM updates_v6 ORDER BY seq;
        UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'updates_v6')
            WHERE name = 'updates' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'updates_v6');
        INSERT INTO sqlite_sequence (name, seq) SELECT 'updates', seq FROM sqlite_sequence
            WHERE name = 'updates_v6' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'updates');
        DROP TABLE updates_v6;
        CREATE INDEX updates_by_lead ON updates(lead_key, seq);
        CREATE INDEX updates_unsent_by_lead ON updates(lead_key, seq) WHERE state = 'pending' OR state = 'sending';
        CREATE INDEX updates_pending_by_seq ON updates(seq) WHERE state = 'pending';
        CREATE INDEX updates_open_by_seq ON updates(seq) WHERE state <> 'sent' AND state <> 'dropped';
        CREATE INDEX updates_open_by_lead ON updates(lead_key) WHERE state <> 'sent' AND state <> 'dropped';
        CREATE TRIGGER update_counts_delete AFTER DELETE ON updates BEGIN
            UPDATE update_counts SET n = n - 1 WHERE state = OLD.state;
        END;
        CREATE TRIGGER update_counts_move AFTER UPDATE OF state ON updates WHEN OLD.state <> NEW.state BEGIN
            UPDATE update_counts SET n = n - 1 WHERE state = OLD.state;
            INSERT INTO update_counts (state, n) VALUES (NEW.state, 1)
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        """,
        // 8: exports. Each `export` with what it wrote: its columns, and per lead the typed
        // value of every filled cell (one JSON object) and the lead's `updated_at`, so that
        // importing the file back sends only the cells changed since, based on what they held.
        """
        CREATE TABLE exports (
            export_id   TEXT PRIMARY KEY NOT NULL,
            created_at  REAL NOT NULL,
            path        TEXT NOT NULL,
            columns     TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE exported_leads (
            export_id   TEXT NOT NULL,
            lead_id     TEXT NOT NULL,
            position    INTEGER NOT NULL,
            updated_at  INTEGER,
            cells       TEXT NOT NULL,
            PRIMARY KEY (export_id, lead_id)
        ) WITHOUT ROWID;
        """,
        // 9: retention. What pruning keeps of the import rows it removes, so that a rerun of an
        // old file journals nothing twice: per file (`import:<hash>:`), the runs of row numbers
        // that were journaled, one row per run. `applied_ops` by the row each op id was merged
        // into, so pruning a row finds its merged op ids without reading the whole table.
        """
        CREATE TABLE pruned_imports (
            prefix     TEXT NOT NULL,
            first_row  INTEGER NOT NULL,
            last_row   INTEGER NOT NULL,
            PRIMARY KEY (prefix, first_row)
        ) WITHOUT ROWID;
        CREATE INDEX applied_ops_by_seq ON applied_ops(seq);
        """,
        // 10: more than fields. Each outbox row has a kind (update, tags, note, merge); rows
        // journaled before are updates. workspace_tags remembers the workspace's tags by name
        // (their 2.x ids, from `GET /tags` or `POST /tags`), for Tab and for tagging under 2.x.
        """
        ALTER TABLE updates ADD COLUMN kind TEXT NOT NULL DEFAULT 'update'
            CHECK (kind = 'update' OR kind = 'tags' OR kind = 'note' OR kind = 'merge');
        CREATE TABLE workspace_tags (
            name  TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
            id    TEXT
        ) WITHOUT ROWID;
        """,
        // 11: the leads merged into users, so that a row journaled for a lead after its merge
        // was sent (an import, another shell that had it loaded) follows it to the user. The
        // merges sent before it that named the user by id are remembered from their rows.
        """
        CREATE TABLE merged_leads (
            lead_id           TEXT PRIMARY KEY NOT NULL,
            user_id           TEXT NOT NULL,
            user_external_id  TEXT,
            user_email        TEXT,
            merged_at         REAL NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO merged_leads (lead_id, user_id, merged_at)
            SELECT lead_id, json_extract(fields, '$.into_id'), coalesce(sent_at, updated_at) FROM updates
            WHERE kind = 'merge' AND state = 'sent' AND lead_id IS NOT NULL AND json_extract(fields, '$.into_id') IS NOT NULL;
        """,
    ]

    /// Brings a journal up to `schemaVersion`, one migration per transaction.
    static func migrate(_ db: Database) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        guard version < migrations.count else { return }
        for next in version..<migrations.count {
            try db.inTransaction {
                try db.execute(sql: migrations[next])
                try db.execute(sql: "PRAGMA user_version = \(next + 1)")
                if next == 0 {
                    try db.execute(sql: "PRAGMA application_id = \(applicationID)")
                }
                return .commit
            }
        }
    }
}
