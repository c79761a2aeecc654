import CommandParser
import Journal
import LeadModel
import Session

/// Turns each command's typed result into what people read (text, tables, colour when
/// allowed) or what scripts read (one JSON document): the one place either is made.
///
/// The ``Printer`` writes what the presenter makes; `queue --json` is the one result
/// written as it is made (``Printer/result(_:)`` streams it).
struct Presenter: Sendable {
    let style: Style

    /// The result as text for stdout (empty: print nothing).
    func text(_ result: CommandResult) -> String {
        switch result {
        case .loaded(let loaded):
            let name = loaded.lead.name.map { " (\($0))" } ?? ""
            return "loaded \(loaded.lead.id)\(name)" + (loaded.fresh ? "" : " from cache")
        case .lead(let lead): return leadText(lead)
        case .field(let field):
            return Words.value(field.value, of: field.key) + (field.pending ? style.yellow(" * (was \(Words.value(field.was, of: field.key)))") : "")
        case .edited(let edit):
            return edit.changed ? "" : "\(edit.key) is already \(Words.value(edit.new)); nothing to change"
        case .changes(let list): return list.isEmpty ? "no pending edits" : changeTable(list)
        case .tagged(let names, let add, let leads):
            let list = names.map { (add ? "+" : "-") + $0 }.joined(separator: " ")
            return "\(list) for " + (leads.map { "the \(Words.plural($0, "selected lead"))" } ?? "the lead") + " (`push` journals it, `diff` shows it)"
        case .tagList(let list):
            var text = list.names.isEmpty ? "no tags" : list.names.joined(separator: ", ")
            if !list.unpushed.isEmpty { text += "\nunpushed: " + list.unpushed.summary }
            return text
        case .notes(let list): return notesText(list)
        case .discarded(let count): return count == 0 ? "no pending edits" : "discarded \(Words.plural(count, "edit"))"
        case .preview(let preview):
            return "\(preview.method) \(preview.path) (Intercom-Version: \(preview.apiVersion); dry run: nothing sent, nothing journaled)\n"
                + JSONText.prettyPrint(.object(preview.body)) + "\n" + changeTable(preview.changes)
        case .pushed(let outcome): return pushText(outcome)
        case .queue(let page): return queueText(page)
        case .synced(let report): return syncText(report)
        case .online(let report): return "online; " + syncText(report)
        case .offline: return "offline: pushes are journaled and wait for `online` or `sync`"
        case .requeued(let result):
            return "update #\(result.entry.seq) requeued" + (result.after.map { "; now \($0.rawValue)" } ?? "")
        case .dropped(let entry): return "update #\(entry.seq) dropped (kept in `queue --all` as dropped)"
        case .conflicts(let entries): return conflictsText(entries)
        case .resolved(let result):
            if result.dropped { return "update #\(result.seq): kept theirs; nothing of ours left to send (dropped)" }
            return "update #\(result.seq) resolved (\(result.resolution.rawValue)) and requeued" + (result.after.map { "; now \($0.rawValue)" } ?? "")
        case .status(let report): return statusText(report)
        case .help(let help):
            guard let spec = help.spec else { return CommandSpec.overview }
            return spec.name == "set" ? CommandSpec.setHelp(in: help.dialect) : spec.help
        case .attributes(let attributes):
            let rows = attributes.map { [$0.name, $0.dataType, $0.archived ? "archived" : ""] }
            return rows.isEmpty ? "no custom attributes" : Table.render(header: ["NAME", "TYPE", ""], rows: rows, style: style)
        case .found(let found): return foundText(found)
        case .selected(let count):
            return
                "\(Words.plural(count, "lead")) selected: set, attr, unset, unattr, tag and untag now change each; diff sums them up; push journals one update per lead"
        case .selectionEdited(let key, let value, let leads):
            return "\(key) = \(Words.value(value, of: key)) for the \(Words.plural(leads, "selected lead")) (`diff` shows what changes)"
        case .selectionChanges(let diff): return selectionDiffText(diff)
        case .selectionPushed(let push): return selectionPushText(push)
        case .leads(let list): return leadsText(list)
        case .imported(let report): return importText(report)
        case .exported(let report): return exportText(report)
        case .reverted(let reverted): return revertText(reverted)
        case .history(let lines, let first):
            return lines.enumerated().map { String(format: "%5d  ", first + $0.offset) + $0.element }.joined(separator: "\n")
        case .script(let lines):
            return "#!/usr/bin/env leadsh\n# replays this session's commands\n" + lines.joined(separator: "\n")
        }
    }

    /// The prompt: `leadsh[sandbox](2 pending) OBrien*> `.
    func prompt(_ state: PromptState) -> String {
        var label = state.label
        if state.offline && state.hasToken { label = state.label == "online" ? "offline" : "\(state.label),offline" }
        if !state.hasToken { label = "no token" }
        var text = "leadsh[\(label)]"
        if state.unsent > 0 { text += "(\(state.unsent) pending)" }
        if let lead = state.lead { text += " " + lead + (state.unpushed ? "*" : "") }
        if let selected = state.selected { text += " (\(Words.plural(selected, "lead")))" + (state.unpushed ? "*" : "") }
        return text + "> "
    }

    /// A failure's message, with the leads it lists as a table under it.
    func message(_ failure: CommandFailure) -> String {
        guard !failure.candidates.isEmpty else { return failure.message }
        let rows = failure.candidates.map { [$0.id, $0.userID ?? "", $0.name ?? "", $0.email ?? ""] }
        let header = ["ID", failure.dialect == .v1 ? "USER_ID" : "EXTERNAL_ID", "NAME", "EMAIL"]
        return failure.message + "\n" + Table.render(header: header, rows: rows, style: style)
    }

    // MARK: the lead

    private func leadText(_ lead: LeadView) -> String {
        var rows: [(String, String)] = []
        for (key, value) in lead.shown.fields where key != "custom_attributes" {
            let pending = lead.edits[.standard(key)] != nil
            if lead.everything || pending {
                rows.append((key, line(value, of: .standard(key), pending: pending, was: lead.loaded.fields[key])))
            } else if let summary = Self.summary(of: value, named: key) {
                rows.append((key, summary))
            }
        }
        for (name, value) in lead.shown.customAttributes {
            let pending = lead.edits[.custom(name)] != nil
            guard lead.everything || pending || value != .null else { continue }
            rows.append(
                (
                    "custom_attributes.\(name)",
                    line(value, of: .custom(name), pending: pending, was: lead.loaded.customAttributes[name], typed: !lead.everything)
                ))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { style.bold($0.0.padding(toLength: width, withPad: " ", startingAt: 0)) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// A standard field as plain `show` prints it: nil when it holds nothing (`null`, an
    /// empty list, an object of nulls), a nested object on one line (`location  Mukilteo,
    /// Washington, United States`; `tags  vip, trial (2)`), anything else as ``Words/value(_:of:)``.
    /// A lead's `tags` and `companies` always show, as `none` when empty.
    static func summary(of value: JSONValue, named key: String) -> String? {
        let always = key == "tags" || key == "companies"
        switch value {
        case .null: return always ? "none" : nil
        case .array(let items): return items.isEmpty ? (always ? "none" : nil) : Words.value(value)
        case .object(let object):
            let type = object["type"]?.stringValue ?? ""
            // 2.x `{"type":"list","data":[…],"total_count":N}`; 1.x `{"type":"tag.list","tags":[…]}`.
            if type == "list" || type.hasSuffix(".list") {
                let items = object.lazy.compactMap(\.value.arrayValue).first ?? []
                let names = items.compactMap { item in item["name"]?.stringValue ?? item["id"].map { $0.stringValue ?? Words.value($0) } }
                let total = object["total_count"]?.integerValue.map(Int.init) ?? items.count
                guard total > 0 else { return always ? "none" : nil }
                return (names.isEmpty ? "" : names.joined(separator: ", ") + " ") + "(\(total))"
            }
            // 2.x `location` (city, region, country); 1.x `location_data` (city_name, …).
            let place = [["city", "city_name"], ["region", "region_name"], ["country", "country_name"]].compactMap { names in
                names.lazy.compactMap { object[$0]?.stringValue }.first
            }
            if type == "location" || type == "location_data" { return place.isEmpty ? nil : place.joined(separator: ", ") }
            // Any other object: its values that are set, `type` aside.
            let set = object.filter { $0.key != "type" && $0.value != .null && $0.value.isFlat }.map { Words.value($0.value) }
            return set.isEmpty ? nil : set.joined(separator: ", ")
        default:
            return Words.value(value, of: .standard(key))
        }
    }

    private func line(_ value: JSONValue, of key: FieldKey, pending: Bool, was: JSONValue?, typed: Bool = false) -> String {
        var text = Words.value(value, of: key)
        if text.count > 200 { text = String(text.prefix(197)) + "..." }
        if typed { text += style.dim(" (\(value.typeName))") }
        if pending { text += style.yellow("  * was \(Words.value(was, of: key))") }
        return text
    }

    private func changeTable(_ list: ChangeList) -> String {
        let rows = list.changes.map { change in
            [
                change.key.description, change.old.map { Words.value($0, of: change.key) + " (\($0.typeName))" } ?? "(absent)", "->",
                Words.value(change.new, of: change.key) + " (\(change.new.typeName))",
            ]
        }
        let tags = list.tags.isEmpty ? nil : "tags: " + list.tags.summary
        if rows.isEmpty { return tags ?? "" }
        return Table.render(header: ["FIELD", "OLD", "", "NEW"], rows: rows, style: style) + (tags.map { "\n" + $0 } ?? "")
    }

    private func notesText(_ list: NoteListView) -> String {
        var lines: [String] = []
        if let notes = list.notes {
            for note in notes {
                let when = note.createdAt.map { TimeValue.utcText($0) } ?? ""
                lines.append("\(note.id)  \(when)  \(note.text)")
            }
            if notes.isEmpty { lines.append("no notes in Intercom") }
        } else {
            lines.append("offline: Intercom's notes are not listed")
        }
        for unsent in list.unsent { lines.append("#\(unsent.seq)  \(unsent.state.rawValue)  \(unsent.text)") }
        return lines.joined(separator: "\n")
    }

    private func pushText(_ outcome: PushOutcome) -> String {
        let seq = outcome.entry.seq
        let mergedNote = outcome.merged ? " (merged into #\(seq))" : ""
        guard let waiting = outcome.waiting else { return style.green("sent") + " #\(seq)\(mergedNote)" }
        let why: String
        switch waiting {
        case .noToken: why = "no token"
        case .offline: why = "offline"
        case .retry(let after, let lastError): why = "retrying in \(Words.age(after)): \(lastError)"
        case .queued: why = "waiting"
        }
        return style.yellow("queued") + " (\(why)), \(outcome.unsent) pending #\(seq)\(mergedNote)"
    }

    private func statusText(_ report: StatusReport) -> String {
        let dialectNote = report.dialect == .v1 ? "updates with POST /contacts" : "updates with PUT /contacts/{id}"
        var lines = [
            report.offline.map { "mode        " + Presenter.offlineText($0) + (report.label != "online" ? " (\(report.label))" : "") }
                ?? "mode        \(report.mode.rawValue)\(report.label != "online" ? " (\(report.label))" : "")",
            "endpoint    \(report.baseURL ?? "none (no token)")",
            "api         Intercom-Version \(report.apiVersion) (the \(report.dialect) dialect: \(dialectNote))",
            "reachable   \(report.reachable.map { $0 ? "yes" : "no" } ?? "unknown")",
            "journal     \(report.journalPath)",
        ]
        var appLine = "app         " + (report.journalApp ?? "not known yet (learnt at the first connection)")
        if let name = report.tokenApp?.name, report.tokenApp?.id == report.journalApp { appLine += " (\(name))" }
        if let tokenApp = report.tokenApp, let journalApp = report.journalApp, tokenApp.id != journalApp {
            appLine += "; the token is for app \(tokenApp.id): nothing is sent"
        }
        lines.append(appLine)
        if let clock = Presenter.clockText(report.clockOffset) { lines.append("clock       " + clock) }
        let counts = UpdateState.allCases.filter { report.counts[$0] > 0 }.map { "\($0.rawValue) \(report.counts[$0])" }
        lines.append("updates     " + (report.counts.byState.isEmpty ? "none" : counts.joined(separator: ", ")))
        if let lead = report.leadID {
            lines.append("lead        \(lead)\(report.unpushedEdits == 0 ? "" : " (\(report.unpushedEdits) unpushed edits)")")
        }
        return lines.joined(separator: "\n")
    }
}
