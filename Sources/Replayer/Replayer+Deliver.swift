import IntercomClient
import Journal
import LeadModel
import Synchronization

/// Delivering one row: the conflict re-read, the rate budget's slot, the update call.
extension Replayer {
    /// Sends one claimed row in the client's dialect, re-reading the lead first when its
    /// cached copy may be stale.
    ///
    /// The journal holds what to change; this renders it for the API version of the session
    /// that sends it. Fields the dialect lacks are first renamed to their exact equivalents
    /// there (`FieldChanges.translated(to:)`: a row made under 1.4 sends `last_request_at` as
    /// 2.x's `last_seen_at`), in the changes and in the base the conflict check compares. A
    /// field with no equivalent fails the row before anything is sent, naming how to send it as
    /// it was made. Under 2.x a row that names its lead only by `user_id` finds the contact by
    /// `external_id` first; that search also serves as the re-read.
    ///
    /// A request whose rate-limit hold (another request's 429, a window with nothing left) ends
    /// after `deadline` is not sent: the row waits for the next replay, as `--wait` promises.
    func deliver(_ entry: JournalEntry, options: ReplayOptions, deadline: Double) async -> Outcome {
        switch entry.kind {
        case .update: break
        case .tags: return await deliverTags(entry)
        case .note: return await deliverNote(entry)
        case .merge: return await deliverMerge(entry)
        }
        func heldPastDeadline() -> Double? {
            let hold = api.rateHold.current()
            return hold > deadline && hold > clock.now() ? hold : nil
        }
        let dialect = api.dialect
        let wanted = entry.changes.translated(to: dialect)
        let base = entry.base.translated(to: dialect)
        var changes = wanted
        var lead = entry.lead
        do {
            var needsContactID = false
            do {
                _ = try api.request(for: LeadUpdate(lead: lead, changes: changes))
            } catch .needsContactID {
                needsContactID = true
            } catch {
                return .invalid(entry, Replayer.unsendable(error, entry: entry, version: api.configuration.apiVersion))
            }
            var current: IntercomResponse<Contact>?
            if let hold = heldPastDeadline() { return .held(entry, until: hold) }
            if needsContactID, let userID = lead.userID {
                let found = try await api.find(userID: userID)
                budget.observe(found.rateLimit, now: clock.now())
                guard found.value.count == 1, let contact = found.value.first else {
                    let message =
                        found.value.isEmpty
                        ? "no contact has external_id \(userID) (merged, converted or deleted?)"
                        : "\(found.value.count) contacts have external_id \(userID): \(found.value.map(\.id).joined(separator: ", ")); load the one to update by id and push again"
                    return .invalid(entry, message)
                }
                lead.id = contact.id
                current = IntercomResponse(value: contact, status: found.status, rateLimit: found.rateLimit, requestID: found.requestID)
            } else if entry.baseUpdatedAt == NewUpdate.baseAtSend {
                // Re-addressed after a merge: the user's values now are the base.
                current = try await fetch(lead)
                budget.observe(current!.rateLimit, now: clock.now())
            } else if !options.blind, entry.baseUpdatedAt != nil, needsReread(entry, options: options) {
                current = try await fetch(lead)
                budget.observe(current!.rateLimit, now: clock.now())
            }
            if let current {
                if entry.baseUpdatedAt == NewUpdate.baseAtSend {
                    // Nothing to compare with: send what differs from the user's values.
                    var toSend = FieldChanges()
                    for (key, mine) in wanted where current.value.value(of: key) ?? .null != mine { toSend[key] = mine }
                    if toSend.isEmpty { return .sent(entry, current.value, current.rateLimit, alreadyApplied: true) }
                    changes = toSend
                } else if !options.blind, entry.baseUpdatedAt != nil {
                    var toSend = FieldChanges()
                    var theirs = FieldChanges()
                    for (key, mine) in wanted {
                        let server = current.value.value(of: key) ?? .null
                        let base = base[key] ?? .null
                        if server == mine { continue }
                        if server == base {
                            toSend[key] = mine
                        } else {
                            theirs[key] = server
                        }
                    }
                    if !theirs.isEmpty { return .conflict(entry, theirs) }
                    if toSend.isEmpty { return .sent(entry, current.value, current.rateLimit, alreadyApplied: true) }
                    changes = toSend
                }
                // The read used this row's slot in the rate budget; the update takes another.
                budget.complete()
                guard await waitFor(budget.reserve(now: clock.now())) else {
                    return .failure(entry, IntercomError(kind: .cancelled, detail: "cancelled"))
                }
            }
            let update: LeadUpdate
            do {
                update = try LeadUpdate(lead: lead, changes: changes)
            } catch {
                return .invalid(entry, error.description)
            }
            if let hold = heldPastDeadline() { return .held(entry, until: hold) }
            let response = try await api.update(update)
            return .sent(entry, response.value, response.rateLimit, alreadyApplied: false)
        } catch {
            return .failure(entry, error)
        }
    }

    /// Why a row cannot be said in the sending dialect, naming the version it was made under
    /// and, when that is the other dialect, how to send it as it was made.
    static func unsendable(_ error: LeadUpdateError, entry: JournalEntry, version: APIVersion) -> String {
        let made = APIVersion.madeUnder(entry.apiVersion)
        let madeUnder = " (it was made under \(entry.apiVersion ?? "\(made), before leadsh recorded versions"))"
        switch error {
        case .fieldNotInDialect:
            return "cannot send under API \(version)\(madeUnder): \(error.description)" + (resendHint(entry, version: version) ?? "")
        default:
            return error.description
        }
    }

    /// `; to send it as it was made: leadsh --api-version 1.4 -c 'retry 7'`, for a row made
    /// under the other dialect than the sending one (a row from the 1.4 default sent under 2.14);
    /// nil when the row was made in the sending dialect.
    static func resendHint(_ entry: JournalEntry, version: APIVersion) -> String? {
        let made = APIVersion.madeUnder(entry.apiVersion)
        guard made.dialect != version.dialect else { return nil }
        return "; to send it as it was made: leadsh --api-version \(made) -c 'retry \(entry.seq)'"
    }

    /// Sleeps until a rate-budget slot; false when cancelled.
    func waitFor(_ slot: Double) async -> Bool {
        guard slot > clock.now() else { return true }
        do {
            try await clock.sleep(until: slot)
            return true
        } catch {
            return false
        }
    }

    func needsReread(_ entry: JournalEntry, options: ReplayOptions) -> Bool {
        // A revert's base is what the reverted update sent, not the cache's: only a read knows.
        if entry.baseUpdatedAt == NewUpdate.baseNotFromCache { return true }
        guard let fetchedAt = try? journal.fetchedAt(of: entry.lead) else { return true }
        return clock.now() - fetchedAt > options.conflictCheckAge || entry.attempts > 1
    }

    /// The conflict re-read: `GET /contacts/{id}`, or in 1.x by `user_id` when the row has no id.
    func fetch(_ lead: LeadReference) async throws(IntercomError) -> IntercomResponse<Contact> {
        if let id = lead.id { return try await api.fetch(id: id) }
        return try await api.fetch(userID: lead.userID ?? "")
    }
}
