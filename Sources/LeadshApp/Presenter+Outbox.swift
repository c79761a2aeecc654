import Journal
import LeadModel
import Replayer
import Session

/// The outbox's results as text: `queue`, `sync`, `conflicts`.
extension Presenter {
    func queueText(_ page: QueuePage) -> String {
        guard case .page(let entries, let all, let more, let now) = page else { return "" }
        let rows = entries.map { entry in
            [
                "#\(entry.seq)", entry.lead.label, Words.shortened(Presenter.rowSummary(entry), to: 48),
                entry.state.rawValue, entry.apiVersion ?? "-", "\(entry.attempts)", Words.age(now - entry.createdAt), entry.lastError ?? "",
            ]
        }
        var text =
            rows.isEmpty
            ? (all ? "the journal is empty" : "nothing queued")
            : Table.render(header: ["SEQ", "LEAD", "FIELDS", "STATE", "API", "ATTEMPTS", "AGE", "LAST ERROR"], rows: rows, style: style)
        if more > 0 {
            text += "\n… \(more) more (`queue \(all ? "--all " : "")N` lists N, `queue --json` all)"
        }
        return text
    }

    /// What a row asks for, in `queue`'s FIELDS column: the fields of an update, `tags +vip -trial`,
    /// `note: TEXT`, `merge into ID`.
    static func rowSummary(_ entry: JournalEntry) -> String {
        switch entry.kind {
        case .update: return entry.changes.keys.map(\.description).joined(separator: ",")
        case .tags: return "tags " + entry.tagChanges.summary
        case .note: return "note: " + entry.changes.noteBody
        case .merge: return "merge into " + entry.changes.mergeTarget.label
        }
    }

    func syncText(_ report: SyncReport) -> String {
        var parts = ["sent \(report.sent)"]
        if report.alreadyApplied > 0 { parts.append("already applied \(report.alreadyApplied)") }
        if report.failed > 0 { parts.append(style.red("failed \(report.failed)")) }
        if report.conflicts > 0 { parts.append(style.red("conflicts \(report.conflicts)")) }
        parts.append("pending \(report.pending)")
        let summary = parts.joined(separator: ", ")
        return report.offline.map { summary + "; " + Presenter.offlineText($0) } ?? summary
    }

    func conflictsText(_ entries: [JournalEntry]) -> String {
        guard !entries.isEmpty else { return "no conflicts" }
        return entries.map { entry in
            let rows = entry.changes.map { key, mine in
                // `theirs` holds the fields they changed; the others are as they were.
                [key.description, Words.value(entry.base[key]), entry.theirs?[key].map { Words.value($0) } ?? "(unchanged)", Words.value(mine)]
            }
            return "#\(entry.seq) \(entry.lead.label)\n" + Table.render(header: ["FIELD", "BASE", "THEIRS", "MINE"], rows: rows, style: style)
        }.joined(separator: "\n\n")
    }

    /// The name `sync --json` gives the way the replay stopped.
    static func stopName(_ stop: ReplayStop) -> String {
        switch stop {
        case .finished: return "finished"
        case .unreachable: return "unreachable"
        case .unauthorized: return "unauthorized"
        case .refused: return "refused"
        case .wrongApp: return "wrong_app"
        case .waiting: return "waiting"
        case .busy: return "busy"
        case .cancelled: return "cancelled"
        case .journal: return "journal"
        }
    }
}
