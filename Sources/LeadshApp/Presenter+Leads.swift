import Journal
import LeadModel
import Session

/// `find`, `leads`, `import` and `revert` as text and JSON.
extension Presenter {
    func foundText(_ found: FoundLeads) -> String {
        guard !found.leads.isEmpty else { return "not found: no lead has the email \(found.email)" }
        let rows = found.leads.map { lead in
            [lead.id, lead.userID ?? "", lead.name ?? "", lead.email ?? "", lead.updatedAt.map { TimeValue.utcText($0) } ?? ""]
        }
        let header = ["ID", found.dialect == .v1 ? "USER_ID" : "EXTERNAL_ID", "NAME", "EMAIL", "UPDATED_AT"]
        return Table.render(header: header, rows: rows, style: style)
    }

    func foundJSON(_ found: FoundLeads) -> JSONValue {
        .array(
            found.leads.map { lead in
                var object = JSONObject()
                object["id"] = .string(lead.id)
                object[found.dialect == .v1 ? "user_id" : "external_id"] = lead.userID.map(JSONValue.string) ?? .null
                object["name"] = lead.name.map(JSONValue.string) ?? .null
                object["email"] = lead.email.map(JSONValue.string) ?? .null
                object["updated_at"] = lead.updatedAt.map(JSONValue.integer) ?? .null
                return .object(object)
            })
    }

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
        if report.unchanged > 0 { parts.append("empty \(report.unchanged)") }
        if report.withoutBase > 0 { parts.append("not cached (no conflict check) \(report.withoutBase)") }
        var text = "\(report.file): " + parts.joined(separator: ", ")
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
