-- The leadsh journal, version 10: exactly what a fresh journal holds.
-- Checked by Tests/JournalTests/SchemaTests.swift against what leadsh creates.
-- The file is SQLite in WAL mode (PRAGMA journal_mode = WAL), written with
-- PRAGMA synchronous = FULL, created with mode 0600.

PRAGMA application_id = 1279546184; -- 0x4C445348, "LDSH": marks a leadsh journal
PRAGMA user_version = 11;           -- the schema version; a newer one is refused
PRAGMA auto_vacuum = 2;             -- INCREMENTAL (from version 9): `leadsh gc` and the daily
                                    -- prune give freed pages back; an older journal is switched
                                    -- by its first full VACUUM

-- leads: the cache of loaded leads. snapshot is the lead's JSON as Intercom
-- sent it; updated_at is the lead's own updated_at; fetched_at is Unix seconds.
-- updates: the outbox. seq orders updates; a lead's updates (same lead_key)
-- are sent in seq order. fields holds the new values, base the values they had
-- in the lead as the user saw it (keys: field names, custom attributes as
-- custom_attributes.NAME). state: pending -> sending -> sent, or failed,
-- conflict (theirs holds the server's values), dropped (by the user).
-- api_version (version 4) is the Intercom-Version the update was made under
-- (NULL for rows journaled before version 4); the replay renders the fields in
-- the dialect of the session that sends them, whatever this says.
-- app_id (version 5) is the app (workspace, `app.id_code` of GET /me) the update
-- belongs to, recorded when the journal knew its app; NULL rows belong to the
-- journal's app (meta key app_id). Nothing is sent with a token of another app.

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
-- Version 3: rows per state, kept by triggers, so counting the backlog costs the
-- same with 10 rows or 1,000,000.
CREATE TABLE update_counts (
    state  TEXT PRIMARY KEY NOT NULL,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
-- Version 4: the workspace's custom attributes as `GET /data_attributes?model=contact`
-- last listed them (2.x refuses attributes that do not exist), and small facts about
-- the journal as key/value pairs (attributes_fetched_at: when that list was read;
-- app_id: the app the journal is bound to, from the first GET /me, version 5).
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
-- Version 6: finding and importing. applied_ops holds the op id of every row an
-- import journaled (import:<file hash>:<row>), with the updates row that holds it
-- (a row merged into an earlier pending row names that row), so importing the same
-- file again journals nothing twice. (From version 9, pruning a row folds the op ids
-- merged into it into pruned_imports, below.)
-- leads_by_email finds cached leads by email in any case (find/load email= offline);
-- leads_listing holds every column `leads` lists, so listing never reads a snapshot;
-- updates_open_by_lead counts a lead's undelivered rows without reading sent ones
-- (its version 7 form is below).
CREATE TABLE applied_ops (
    op_id       TEXT PRIMARY KEY NOT NULL,
    seq         INTEGER NOT NULL,
    applied_at  REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX leads_by_email ON leads(email COLLATE NOCASE);
CREATE INDEX leads_listing ON leads(name COLLATE NOCASE, email, id, user_id, fetched_at);
-- Version 7: cheaper writes. The updates table was rebuilt (rows, seq numbers and the
-- AUTOINCREMENT counter kept) so that its state CHECK and the partial indexes name
-- states with =, <>, OR and AND: SQLite evaluates an IN list of three or more values
-- by building a temporary table on every INSERT and UPDATE. updates_by_state was
-- dropped (the partial indexes serve its queries), and so was the INSERT trigger of
-- update_counts (see below). From version 7 an import row
-- journaled as its own row keeps its op id in updates.op_id only; applied_ops holds
-- the op ids of rows merged into an earlier row (and, from version 6, every import
-- op id journaled before the upgrade).
-- updates: the outbox (see the head of this file); updates_by_lead: a lead's rows in
-- order; updates_unsent_by_lead: a lead's unsent rows (the replay's order);
-- updates_pending_by_seq and updates_open_by_seq: the pending rows and the rows
-- `queue` lists, in order; updates_open_by_lead: a lead's undelivered rows (leads).
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
    kind             TEXT NOT NULL DEFAULT 'update'
                     CHECK (kind = 'update' OR kind = 'tags' OR kind = 'note' OR kind = 'merge'),
    CHECK (lead_id IS NOT NULL OR lead_user_id IS NOT NULL)
);
CREATE INDEX updates_by_lead ON updates(lead_key, seq);
CREATE INDEX updates_unsent_by_lead ON updates(lead_key, seq) WHERE state = 'pending' OR state = 'sending';
CREATE INDEX updates_pending_by_seq ON updates(seq) WHERE state = 'pending';
CREATE INDEX updates_open_by_seq ON updates(seq) WHERE state <> 'sent' AND state <> 'dropped';
CREATE INDEX updates_open_by_lead ON updates(lead_key) WHERE state <> 'sent' AND state <> 'dropped';
-- update_counts (version 3) is kept by these triggers, and by leadsh itself for new
-- rows: from version 7 there is no INSERT trigger (a trigger that writes makes SQLite
-- keep a statement journal for each INSERT of a transaction of many, about 20 page
-- writes per imported row); each INSERT INTO updates adds to the 'pending' count in
-- its own transaction.
CREATE TRIGGER update_counts_delete AFTER DELETE ON updates BEGIN
    UPDATE update_counts SET n = n - 1 WHERE state = OLD.state;
END;
CREATE TRIGGER update_counts_move AFTER UPDATE OF state ON updates WHEN OLD.state <> NEW.state BEGIN
    UPDATE update_counts SET n = n - 1 WHERE state = OLD.state;
    INSERT INTO update_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
-- Version 8: exports. exports holds one row per `export FILE.csv`: its id (the file
-- carries it as its first column's header, id@<export_id>), when and where it was
-- written, and its columns (a JSON array of keys such as "name" and
-- "custom_attributes.plan"). exported_leads holds each lead written: its place in the
-- file, its updated_at in the copy written, and cells, a JSON object of the typed value
-- of each filled cell (keyed like updates.fields). Importing the file back compares
-- each cell with it; a changed cell's update takes it as its base.
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
-- Version 9: retention. `leadsh gc`, and the start of `sync` and of the shell once a
-- day, prune sent and dropped updates older than the workspace's retention (default
-- 30 days). pruned_imports keeps what a rerun of an old import needs: per import file
-- (prefix import:<file hash>:), the runs of row numbers journaled in rows since pruned,
-- one row per run (first_row..last_row), so importing the file again journals nothing
-- twice. applied_ops_by_seq finds the op ids merged into a row being pruned. meta keys
-- last_pruned_at (Unix seconds), pruned_through_seq (the highest seq pruned: a missing
-- seq at or below it was pruned) and retention_days (of the last prune that removed rows).
CREATE TABLE pruned_imports (
    prefix     TEXT NOT NULL,
    first_row  INTEGER NOT NULL,
    last_row   INTEGER NOT NULL,
    PRIMARY KEY (prefix, first_row)
) WITHOUT ROWID;
CREATE INDEX applied_ops_by_seq ON applied_ops(seq);
-- Version 10: more than fields. updates.kind (added by ALTER TABLE, so SQLite keeps it
-- after app_id) says what a row asks for: 'update' (fields: new values), 'tags'
-- (fields: tag name -> true to tag, false to untag; base: whether the lead carried
-- each), 'note' (fields: {"body": TEXT}) or 'merge' (fields: {"into_id": ID} or
-- {"into_external_id": X}). Rows journaled before are updates. A lead's rows of
-- every kind go in seq order; a pending row merges only a later row of its own kind
-- (updates, tags); notes and merges never merge. Once a merge is sent, the rows
-- waiting for the lead are re-addressed to the user (lead_key, lead_id), and their
-- updates take base_updated_at -1: the user's values when sent are the base.
-- workspace_tags: the workspace's tags by name (any case), with their 2.x ids, from
-- GET /tags and POST /tags; Tab completes them.
CREATE TABLE workspace_tags (
    name  TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    id    TEXT
) WITHOUT ROWID;
-- Version 11: merged_leads, the leads whose merge leadsh delivered, each with the user
-- it became (Intercom id, external id, email). A row journaled for such a lead after
-- the merge was sent (an import naming the lead's id, another shell that had it loaded)
-- meets a 404 when it is sent; the replay then re-addresses the lead's unsent rows to
-- the user, as the merge itself did, and sends them again.
CREATE TABLE merged_leads (
    lead_id           TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL,
    user_external_id  TEXT,
    user_email        TEXT,
    merged_at         REAL NOT NULL
) WITHOUT ROWID;
