import Journal
import LeadModel
import Session

/// `leads`, `import` and `revert` as text and JSON.
extension Presenter {
    func leadsText(_ list: LeadList) -> String {
        guard !list.leads.isEmpty else { return "no cached leads (a lead is cached when `load` or `find` reads it)" }
        let rows = list.leads.map { lead in
            [lead.id, lead.name ?? "", lead.email ?? "", Words.age(list.now - lead.fetchedAt), lead.unsent == 0 ? "" : "\(lead.unsent)"]
        }
        return Table.render(header: ["ID", "NAME", "EMAIL", "CACHED", "UNSENT"], rows: rows, style: style)
    }

    func leadsJSON(_ list: LeadList) -> JSONValue {
        .array(
            list.leads.map { lead in
                .object(
                    JSONObject([
                        ("id", .string(lead.id)), ("user_id", lead.userID.map(JSONValue.string) ?? .null),
                        ("name", lead.name.map(JSONValue.string) ?? .null), ("email", lead.email.map(JSONValue.string) ?? .null),
                        ("fetched_at", .double(lead.fetchedAt)), ("unsent", .integer(Int64(lead.unsent))),
                    ]))
            })
    }

    func importText(_ report: ImportReport) -> String {
        var parts = ["\(report.dryRun ? "would import" : "imported") \(report.imported)"]
        if report.merged > 0 { parts.append("merged into pending updates \(report.merged)") }
        parts.append("\(Words.plural(report.alreadyImported, "row")) already imported")
        parts.append((report.refused > 0 ? style.red : { $0 })("refused \(report.refused)"))
        // In a file `export` wrote, a row that changes nothing is one left as it was exported.
        if report.unchanged > 0 { parts.append("\(report.exportID == nil ? "empty" : "unchanged") \(report.unchanged)") }
        if report.withoutBase > 0 { parts.append("not cached (no conflict check) \(report.withoutBase)") }
        var text = "\(report.file)\(report.exportID.map { " (export \($0))" } ?? ""): " + parts.joined(separator: ", ")
        if report.dryRun { text += " (dry run: nothing journaled)" }
        if let sync = report.sync { text += "\n" + syncText(sync) }
        return text
    }

    func importJSON(_ report: ImportReport) -> JSONValue {
        var object = JSONObject([
            ("file", .string(report.file)), ("dry_run", .bool(report.dryRun)), ("imported", .integer(Int64(report.imported))),
            ("merged", .integer(Int64(report.merged))), ("already_imported", .integer(Int64(report.alreadyImported))),
            ("refused", .integer(Int64(report.refused))), ("empty", .integer(Int64(report.unchanged))),
            ("without_base", .integer(Int64(report.withoutBase))),
            ("stopped_at_line", report.stoppedAt.map { .integer(Int64($0)) } ?? .null),
            ("export_id", report.exportID.map(JSONValue.string) ?? .null),
        ])
        if let sync = report.sync { object["sync"] = json(.synced(sync)) }
        return .object(object)
    }

    func revertText(_ reverted: [Reverted]) -> String {
        reverted.map { item in
            "update #\(item.original) reverted by #\(item.inverse.seq) (\(item.inverse.changes.keys.map(\.description).joined(separator: ", ")))"
                + (item.after.map { "; now \($0.rawValue)" } ?? "; queued")
        }.joined(separator: "\n")
    }

    func revertJSON(_ reverted: [Reverted]) -> JSONValue {
        .array(
            reverted.map { item in
                .object(
                    JSONObject([
                        ("reverted", .integer(item.original)), ("seq", .integer(item.inverse.seq)),
                        ("state", .string((item.after ?? item.inverse.state).rawValue)), ("fields", .object(item.inverse.changes.jsonObject)),
                    ]))
            })
    }
}
