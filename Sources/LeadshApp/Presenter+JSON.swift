import CommandParser
import Journal
import LeadModel
import Session

/// The results as the JSON documents `--json` prints (one per command).
extension Presenter {
    func json(_ result: CommandResult) -> JSONValue {
        switch result {
        case .loaded(let loaded):
            return leadJSON(loaded.lead, pending: FieldChanges(), fresh: loaded.fresh, fetchedAt: loaded.fetchedAt)
        case .lead(let lead):
            return leadJSON(lead.shown, pending: lead.edits, fresh: nil, fetchedAt: lead.fetchedAt)
        case .field(let field):
            return object([("field", .string(field.key.description)), ("value", field.value), ("pending", .bool(field.pending))])
        case .edited(let edit):
            if !edit.changed {
                return object([("field", .string(edit.key.description)), ("value", edit.new), ("changed", .bool(false))])
            }
            return object([("field", .string(edit.key.description)), ("old", edit.old ?? .null), ("new", edit.new), ("changed", .bool(true))])
        case .changes(let list):
            return object([("lead", .string(list.leadID)), ("changes", .array(list.changes.map(changeJSON))), ("tags", .object(list.tags.fields.jsonObject))])
        case .tagged(let names, let add, let leads):
            return object([
                ("tags", .array(names.map(JSONValue.string))), ("add", .bool(add)), ("leads", leads.map { .integer(Int64($0)) } ?? .integer(1)),
            ])
        case .tagList(let list):
            return object([("tags", .array(list.names.map(JSONValue.string))), ("unpushed", .object(list.unpushed.fields.jsonObject))])
        case .notes(let list):
            let notes: JSONValue =
                list.notes.map { notes in
                    .array(
                        notes.map { note in
                            object([
                                ("id", .string(note.id)), ("body", .string(note.body)), ("text", .string(note.text)),
                                ("created_at", note.createdAt.map { .integer($0) } ?? .null), ("author_id", note.authorID.map(JSONValue.string) ?? .null),
                            ])
                        })
                } ?? .null
            let unsent = JSONValue.array(
                list.unsent.map { object([("seq", .integer($0.seq)), ("text", .string($0.text)), ("state", .string($0.state.rawValue))]) })
            return object([("notes", notes), ("unsent", unsent)])
        case .discarded(let count):
            return object([("discarded", .integer(Int64(count)))])
        case .preview(let preview):
            return object([
                ("dry_run", .bool(true)), ("method", .string(preview.method)), ("path", .string(preview.path)),
                ("api_version", .string(preview.apiVersion.description)), ("body", .object(preview.body)),
                ("lead", .string(preview.changes.leadID)), ("changes", .array(preview.changes.changes.map(changeJSON))),
            ])
        case .pushed(let outcome):
            return object([
                ("seq", .integer(outcome.entry.seq)), ("op_id", .string(outcome.entry.opID)), ("state", .string(outcome.entry.state.rawValue)),
                ("merged", .bool(outcome.merged)), ("pending", .integer(Int64(outcome.unsent))),
            ])
        case .queue(let page):
            guard case .page(let entries, _, _, _) = page else { return .array([]) }
            return .array(entries.map(Presenter.entryJSON))
        case .synced(let report), .online(let report):
            return object([
                ("sent", .integer(Int64(report.sent))), ("already_applied", .integer(Int64(report.alreadyApplied))),
                ("failed", .integer(Int64(report.failed))), ("conflicts", .integer(Int64(report.conflicts))),
                ("pending", .integer(Int64(report.pending))), ("stop", .string(Presenter.stopName(report.stop))),
                ("offline", report.offline.map { .string(Presenter.offlineText($0)) } ?? .null),
            ])
        case .offline:
            return object([("mode", "offline")])
        case .requeued(let result): return Presenter.entryJSON(result.entry)
        case .dropped(let entry): return Presenter.entryJSON(entry)
        case .conflicts(let entries): return .array(entries.map(Presenter.entryJSON))
        case .resolved(let result):
            if result.dropped { return object([("seq", .integer(result.seq)), ("state", "dropped")]) }
            return object([("seq", .integer(result.seq)), ("resolution", .string(result.resolution.rawValue))])
        case .status(let report): return statusJSON(report)
        case .help(let help):
            guard let spec = help.spec else { return .array(CommandSpec.all.map(helpJSON)) }
            return helpJSON(spec)
        case .attributes(let attributes):
            return .array(
                attributes.map { attribute in
                    object([
                        ("name", .string(attribute.name)), ("data_type", .string(attribute.dataType)),
                        ("archived", .bool(attribute.archived)),
                    ])
                })
        case .found(let found): return foundJSON(found)
        case .selected(let count): return object([("selected", .integer(Int64(count)))])
        case .selectionEdited(let key, let value, let leads):
            return object([("field", .string(key.description)), ("value", value), ("leads", .integer(Int64(leads)))])
        case .selectionChanges(let diff): return selectionDiffJSON(diff)
        case .selectionPushed(let push): return selectionPushJSON(push)
        case .leads(let list): return leadsJSON(list)
        case .imported(let report): return importJSON(report)
        case .exported(let report): return exportJSON(report)
        case .reverted(let reverted): return revertJSON(reverted)
        case .history(let lines, _), .script(let lines):
            return .array(lines.map(JSONValue.string))
        }
    }

    /// One outbox row as `queue --json` prints it.
    static func entryJSON(_ entry: JournalEntry) -> JSONValue {
        var lead = JSONObject()
        lead["id"] = entry.lead.id.map(JSONValue.string) ?? .null
        lead["user_id"] = entry.lead.userID.map(JSONValue.string) ?? .null
        var object = JSONObject()
        object["seq"] = .integer(entry.seq)
        object["kind"] = .string(entry.kind.rawValue)
        object["op_id"] = .string(entry.opID)
        object["lead"] = .object(lead)
        object["fields"] = .object(entry.changes.jsonObject)
        object["base"] = .object(entry.base.jsonObject)
        object["state"] = .string(entry.state.rawValue)
        object["attempts"] = .integer(Int64(entry.attempts))
        object["last_status"] = entry.lastStatus.map { .integer(Int64($0)) } ?? .null
        object["last_error"] = entry.lastError.map(JSONValue.string) ?? .null
        object["last_error_code"] = entry.lastErrorCode.map(JSONValue.string) ?? .null
        object["merged"] = .integer(Int64(entry.mergedCount))
        object["created_at"] = .double(entry.createdAt)
        object["api_version"] = entry.apiVersion.map(JSONValue.string) ?? .null
        object["next_attempt_at"] = entry.nextAttemptAt > 0 ? .double(entry.nextAttemptAt) : .null
        if let theirs = entry.theirs { object["theirs"] = .object(theirs.jsonObject) }
        return .object(object)
    }

    /// A failure as `{"error": {...}}` on stderr.
    func failureJSON(_ failure: CommandFailure, location: String?, line: Int?) -> JSONValue {
        var error = JSONObject()
        error["code"] = .string(failure.name)
        error["message"] = .string(Presenter(style: .plain).message(failure))
        error["line"] = line.map { .integer(Int64($0)) } ?? .null
        if let location { error["source"] = .string(location) }
        return object([("error", .object(error))])
    }

    private func object(_ pairs: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(pairs))
    }

    private func changeJSON(_ change: Change) -> JSONValue {
        object([
            ("field", .string(change.key.description)), ("old", change.old ?? .null), ("old_type", .string(change.old?.typeName ?? "absent")),
            ("new", change.new), ("new_type", .string(change.new.typeName)),
        ])
    }

    private func leadJSON(_ view: Contact, pending: FieldChanges, fresh: Bool?, fetchedAt: Double) -> JSONValue {
        var object = JSONObject()
        object["lead"] = .object(view.fields)
        object["pending"] = .object(pending.jsonObject)
        object["fetched_at"] = .double(fetchedAt)
        if let fresh { object["from_cache"] = .bool(!fresh) }
        return .object(object)
    }

    private func statusJSON(_ report: StatusReport) -> JSONValue {
        var counts = JSONObject()
        for state in UpdateState.allCases { counts[state.rawValue] = .integer(Int64(report.counts[state])) }
        return object([
            ("mode", .string(report.mode.rawValue)), ("sandbox", .bool(report.label == "sandbox")),
            ("api_version", .string(report.apiVersion.description)), ("dialect", .string(report.dialect.rawValue)),
            ("reachable", report.reachable.map(JSONValue.bool) ?? .null), ("counts", .object(counts)),
            ("app", report.journalApp.map(JSONValue.string) ?? .null), ("token_app", report.tokenApp.map { .string($0.id) } ?? .null),
            ("lead", report.leadID.map(JSONValue.string) ?? .null), ("unpushed_edits", .integer(Int64(report.unpushedEdits))),
            ("offline", report.offline.map { .string(Presenter.offlineText($0)) } ?? .null),
            ("clock_offset", report.clockOffset.map { .integer(Int64($0.rounded())) } ?? .null),
        ])
    }

    private func helpJSON(_ spec: CommandSpec) -> JSONValue {
        object([
            ("command", .string(spec.name)), ("usage", .string(spec.usage)), ("summary", .string(spec.summary)),
            ("example", .string(spec.example)),
        ])
    }
}
