import CommandParser
import IntercomClient
import Journal
import LeadModel
import Replayer

/// `push`: journal the edits first, then replay when online.
extension Session {
    func push(dryRun: Bool) async throws(CommandFailure) -> Reply {
        if selection != nil { return try await pushSelection(dryRun: dryRun) }
        let lead = try requireLead()
        guard !edits.isEmpty || !tagEdits.isEmpty else {
            throw CommandFailure(.nothingToPush, "nothing to push: no pending edits (change something with `set` or `attr` first)")
        }
        if edits.isEmpty { return try await pushTagsOnly(lead, dryRun: dryRun) }
        let update: LeadUpdate
        do {
            update = try LeadUpdate(lead: lead.view.reference, changes: edits)
        } catch {
            let code: FailureCode
            switch error {
            case .noIdentifier, .emailOnly: code = .emailCannotIdentify
            case .noChanges, .invalidValue, .fieldNotInDialect, .needsContactID: code = .invalidUpdate
            }
            throw CommandFailure(code, "push refused: \(error.description)")
        }
        var base = FieldChanges()
        for key in edits.keys {
            if let value = lead.view.value(of: key) { base[key] = value }
        }

        let call: (method: String, path: String, body: JSONObject)
        do {
            call = try IntercomAPI.request(for: update, in: dialect)
        } catch {
            throw CommandFailure(.invalidUpdate, "push refused: \(error.description)")
        }
        if dryRun {
            previewed = edits
            return Reply(
                .preview(
                    PushPreview(
                        method: call.method, path: call.path, body: call.body, apiVersion: apiVersion, changes: try changeList())))
        }

        let tagsRow = try tagsRow(for: lead)
        let rows =
            [NewUpdate(update: update, base: base, baseUpdatedAt: lead.view.updatedAt, apiVersion: apiVersion.description)] + (tagsRow.map { [$0] } ?? [])
        let appendedRows = try journalCall { try journal.append(rows, coalesce: settings.coalesce, now: clock.now()) }
        var appended = appendedRows[0]
        appended.unsent = appendedRows.last?.unsent ?? appended.unsent
        // Durable from here on: the edits live in the journal.
        current?.view = lead.view.applying(edits).applyingTags(tagEdits)
        edits = FieldChanges()
        tagEdits = TagChanges()
        previewed = nil
        return try await deliverPushed(appended)
    }

    /// A push of `tag`/`untag` edits alone: one tags row.
    private func pushTagsOnly(_ lead: LoadedLead, dryRun: Bool) async throws(CommandFailure) -> Reply {
        guard let row = try tagsRow(for: lead) else {
            throw CommandFailure(.nothingToPush, "nothing to push: no pending edits")
        }
        if dryRun {
            previewed = FieldChanges()
            var list = try changeList()
            list.tags = tagEdits
            let first = tagEdits.first { _ in true }
            let (method, path, body): (String, String, JSONObject)
            switch dialect {
            case .v1:
                var user = JSONObject([("id", .string(lead.view.id))])
                if first?.add == false { user["untag"] = true }
                (method, path, body) = ("POST", "/tags", JSONObject([("name", .string(first?.name ?? "")), ("users", .array([.object(user)]))]))
            case .v2:
                (method, path, body) =
                    first?.add == false
                    ? ("DELETE", "/contacts/\(lead.view.id)/tags/{id of \(first?.name ?? "")}", JSONObject())
                    : ("POST", "/contacts/\(lead.view.id)/tags", JSONObject([("id", .string("{id of \(first?.name ?? "")}"))]))
            }
            return Reply(.preview(PushPreview(method: method, path: path, body: body, apiVersion: apiVersion, changes: list)))
        }
        let appended = try journalCall { try journal.append([row], coalesce: settings.coalesce, now: clock.now()) }[0]
        current?.view = lead.view.applyingTags(tagEdits)
        tagEdits = TagChanges()
        previewed = nil
        return try await deliverPushed(appended)
    }

    /// Replays a pushed row when online and says how it went.
    private func deliverPushed(_ appended: Journal.AppendResult) async throws(CommandFailure) -> Reply {
        let seq = appended.entry.seq
        let delivered = try await deliverJournaled(appended, what: "update")
        switch delivered.entry.state {
        case .sent:
            try refreshCurrent()
        case .failed:
            let entry = delivered.entry
            let message = "push failed: \(entry.lastError ?? "refused") (update #\(seq) kept as failed; `retry \(seq)` or `drop \(seq)`)"
            throw entry.lastErrorCode.map { CommandFailure.intercom($0, message) } ?? CommandFailure(.failed, message)
        case .conflict:
            throw CommandFailure(
                .conflict,
                "push conflicts: the lead changed in Intercom since it was loaded (update #\(seq); see `conflicts`, then `resolve \(seq) mine|theirs`)")
        default:
            break
        }
        return Reply(
            .pushed(PushOutcome(entry: delivered.entry, merged: appended.merged, unsent: delivered.unsent, waiting: waiting(for: delivered.entry))),
            notices: delivered.notices)
    }

    /// A row just journaled, replayed when online (`what` names it in a refusal: `update`, `note`):
    /// the row as read back, the notices, and the rows still unsent.
    func deliverJournaled(
        _ appended: Journal.AppendResult, what: String
    ) async throws(CommandFailure) -> (entry: JournalEntry, notices: [Notice], unsent: Int) {
        let seq = appended.entry.seq
        guard connectivity.mode == .online, replayer != nil else {
            // Counted when the row was journaled.
            return (appended.entry, api == nil ? [.noTokenToSend] : [], appended.unsent)
        }
        let replay = try await replayNow(readingBack: seq, failingWith: { "\(what) #\(seq) journaled, not sent: \($0)" })
        return (replay.entry ?? appended.entry, replay.notices, try journalCall { try journal.unsentCount() })
    }

    /// Why a journaled row is not sent yet, or nil when it is.
    func waiting(for entry: JournalEntry) -> PushOutcome.Waiting? {
        guard entry.state != .sent else { return nil }
        if connectivity.mode == .offline { return api == nil ? .noToken : .offline }
        if entry.nextAttemptAt > clock.now() { return .retry(after: entry.nextAttemptAt - clock.now(), lastError: entry.lastError ?? "") }
        return .queued
    }

    /// Replays the journal now (a command asked: `push`, `retry`, `resolve`), notes what the
    /// way it stopped means for the connectivity, and reads row `seq` back.
    ///
    /// Another app's token fails the command with the refusal, worded by `failingWith`.
    func replayNow(
        readingBack seq: Int64?, failingWith: (String) -> String = { $0 }
    ) async throws(CommandFailure) -> (report: ReplayReport, notices: [Notice], entry: JournalEntry?) {
        guard let replayer else { return (ReplayReport(), [], nil) }
        let report = await replayer.drain(ReplayOptions(blind: settings.blind), onEvent: onReplayEvent)
        let notices = absorb(report.stop)
        if case .wrongApp = report.stop, let wrongApp = connectivity.wrongApp {
            throw CommandFailure(.wrongApp, failingWith(wrongApp))
        }
        if case .journal(let line) = report.stop { throw CommandFailure(.journal, failingWith(line)) }
        let entry = try seq.map { seq throws(CommandFailure) in try journalCall { try journal.entry(seq: seq) } } ?? nil
        return (report, notices, entry)
    }

    /// What a replay's stop means for the connectivity, and the notice to give.
    func absorb(_ stop: ReplayStop) -> [Notice] {
        let notice = connectivity.absorb(stop) { journalApp, tokenApp in
            let unsent = (try? journal.unsentCount()) ?? 0
            return "this journal (\(journal.path)) belongs to app \(journalApp), but the token is for app \(tokenApp): "
                + "nothing was sent, \(unsent) update\(unsent == 1 ? "" : "s") stay\(unsent == 1 ? "s" : "") pending; "
                + settings.appAdvice(journalApp, tokenApp)
        }
        return notice.map { [$0] } ?? []
    }

    /// Reads the current lead again from the journal after a replay changed its copy.
    func refreshCurrent() throws(CommandFailure) {
        guard let lead = current else { return }
        if let cached = try journalCall({ try journal.cachedLead(id: lead.view.id) }) {
            current = LoadedLead(view: try journalCall { try journal.userView(of: cached) }, fetchedAt: cached.fetchedAt)
        }
    }
}
