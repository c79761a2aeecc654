import LeadModel

/// Where an update is in its life: `pending` -> `sending` -> `sent`, or `failed`, `conflict`, `dropped`.
public enum UpdateState: String, Sendable, CaseIterable, Codable {
    /// Waiting to be sent (possibly after a backoff).
    case pending
    /// Claimed by a replayer; the HTTP call may be in flight.
    case sending
    /// Intercom accepted it.
    case sent
    /// Intercom refused it for good; kept until the user retries or drops it.
    case failed
    /// Someone else changed the same field; kept until the user resolves it.
    case conflict
    /// Abandoned by the user with `drop`.
    case dropped
}

/// An update to journal: the lead, the new values, and the values they replace.
public struct NewUpdate: Sendable {
    public var update: LeadUpdate
    /// The values the changed fields had in the lead as the user saw it; a field
    /// absent from the lead is absent here.
    public var base: FieldChanges
    /// The lead's `updated_at` when it was loaded; nil when no base was recorded (the replay
    /// then checks nothing), ``NewUpdate/baseNotFromCache`` when the base did not come from
    /// the cached copy (a revert's), so the replay always re-reads the lead before sending.
    public var baseUpdatedAt: Int64?
    /// The API version the update was made under (`1.4`, `2.14`), shown by `queue`.
    public var apiVersion: String?
    /// What the row asks for: `update.changes` holds its payload (see ``OutboxKind``).
    public var kind: OutboxKind = .update

    /// `baseUpdatedAt` of an update whose base is not the cached copy's values (a revert's base
    /// is what the reverted update sent): however fresh the cache, the replay re-reads the lead
    /// and checks each field against the base. No lead has `updated_at` 0.
    public static let baseNotFromCache: Int64 = 0

    /// `baseUpdatedAt` of an update re-addressed to the user its lead was merged into: its base
    /// is the user's values when it is sent (read then), so the move alone makes no conflict.
    public static let baseAtSend: Int64 = -1

    public init(update: LeadUpdate, base: FieldChanges, baseUpdatedAt: Int64?, apiVersion: String? = nil, kind: OutboxKind = .update) {
        self.update = update
        self.base = base
        self.baseUpdatedAt = baseUpdatedAt
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

/// One row of the outbox.
public struct JournalEntry: Sendable, Hashable {
    public var seq: Int64
    public var opID: String
    public var lead: LeadReference
    public var changes: FieldChanges
    public var base: FieldChanges
    public var baseUpdatedAt: Int64?
    public var state: UpdateState
    public var attempts: Int
    /// Unix seconds before which the replayer will not send it.
    public var nextAttemptAt: Double
    public var lastStatus: Int?
    public var lastErrorCode: String?
    public var lastError: String?
    /// The server's values of conflicting fields, when `state` is `conflict`.
    public var theirs: FieldChanges?
    /// How many pushes were merged into this row.
    public var mergedCount: Int
    public var createdAt: Double
    public var updatedAt: Double
    public var sentAt: Double?
    /// The API version the update was made under (the latest push merged into it), or nil
    /// for rows journaled before leadsh recorded it.
    public var apiVersion: String?
    /// The app (`app.id_code`) the update belongs to, or nil: the journal's app.
    public var appID: String?
    /// What the row asks for; `changes` holds its payload (see ``OutboxKind``).
    public var kind: OutboxKind = .update

    /// A tags row's changes.
    public var tagChanges: TagChanges { TagChanges(fields: changes) }
}

/// A lead as cached in the journal.
public struct CachedLead: Sendable, Hashable {
    public var contact: Contact
    /// Unix seconds when it was fetched from Intercom.
    public var fetchedAt: Double
}

/// How many updates are in each state.
public struct JournalCounts: Sendable, Hashable {
    public var byState: [UpdateState: Int] = [:]

    public init() {}

    public subscript(state: UpdateState) -> Int { byState[state] ?? 0 }

    /// Updates not yet delivered: pending and sending.
    public var unsent: Int { self[.pending] + self[.sending] }
}
