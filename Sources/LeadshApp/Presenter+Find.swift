import LeadModel
import Session

/// `find`, `load found` and a selection's edits, `diff` and `push` as text and JSON.
extension Presenter {
    func foundText(_ found: FoundLeads) -> String {
        guard !found.rows.isEmpty else {
            return "not found: no \(found.search.role == .any ? "contact" : found.search.role.rawValue) matches \(found.search)"
                + (found.fromCache ? " among the cached leads" : "")
        }
        let rows = found.rows.map { row in
            [row.id, row.userID ?? "", row.name ?? "", row.email ?? ""]
                + zip(found.columns, row.values).map { key, value in value.map { Words.value($0, of: key) } ?? "" }
        }
        let header = ["ID", found.dialect == .v1 ? "USER_ID" : "EXTERNAL_ID", "NAME", "EMAIL"] + found.columns.map { $0.description.uppercased() }
        var text = Table.render(header: header, rows: rows, style: style)
        let count = Words.plural(found.rows.count, found.search.role == .user ? "user" : "lead")
        if found.limited {
            text += "\n\(count) (--limit)" + (found.total.map { " of \($0)" } ?? "")
        } else if found.rows.count > 1 {
            text += "\n\(count)"
        }
        if found.rows.count > 1 || found.limited { text += style.dim("; `load found` selects them") }
        return text
    }

    func foundJSON(_ found: FoundLeads) -> JSONValue {
        .array(
            found.rows.map { row in
                var object = JSONObject()
                object["id"] = .string(row.id)
                object[found.dialect == .v1 ? "user_id" : "external_id"] = row.userID.map(JSONValue.string) ?? .null
                object["name"] = row.name.map(JSONValue.string) ?? .null
                object["email"] = row.email.map(JSONValue.string) ?? .null
                for (key, value) in zip(found.columns, row.values) { object[key.description] = value ?? .null }
                return .object(object)
            })
    }

    func selectionDiffText(_ diff: SelectionDiff) -> String {
        guard !diff.fields.isEmpty || !diff.tags.isEmpty else { return "no pending edits to the \(Words.plural(diff.leads, "selected lead"))" }
        var lines: [String] = []
        for tag in diff.tags {
            var line = style.bold("tags") + ": \(tag.add ? "+" : "-")\(tag.name) for \(Words.plural(tag.changing, "lead"))"
            if tag.unchanged > 0 { line += style.dim(" (\(tag.unchanged) already \(tag.add ? "tagged" : "untagged"))") }
            lines.append(line)
        }
        for field in diff.fields {
            let new = Words.value(field.new, of: field.key)
            var line = style.bold(field.key.description) + ": \(Words.plural(field.changing, "lead")) -> \(new)"
            if field.unchanged > 0 { line += style.dim(" (\(field.unchanged) already \(new))") }
            lines.append(line)
            let olds = field.sortedOld
            for (value, count) in olds.prefix(5) {
                lines.append("    \(String(count).leftPadded(to: 6))  \(value.map { Words.value($0, of: field.key) } ?? "(no value)")")
            }
            if olds.count > 5 {
                lines.append("    \(String(olds.dropFirst(5).reduce(0) { $0 + $1.count }).leftPadded(to: 6))  (\(olds.count - 5) other values)")
            }
        }
        if diff.missing > 0 { lines.append(style.yellow("\(Words.plural(diff.missing, "selected lead")) no longer cached: left out")) }
        return lines.joined(separator: "\n")
    }

    func selectionDiffJSON(_ diff: SelectionDiff) -> JSONValue {
        .object(
            JSONObject([
                ("leads", .integer(Int64(diff.leads))), ("missing", .integer(Int64(diff.missing))),
                (
                    "tags",
                    .array(
                        diff.tags.map { tag in
                            .object(
                                JSONObject([
                                    ("tag", .string(tag.name)), ("add", .bool(tag.add)), ("changing", .integer(Int64(tag.changing))),
                                    ("unchanged", .integer(Int64(tag.unchanged))),
                                ]))
                        })
                ),
                (
                    "fields",
                    .array(
                        diff.fields.map { field in
                            .object(
                                JSONObject([
                                    ("field", .string(field.key.description)), ("new", field.new),
                                    ("changing", .integer(Int64(field.changing))), ("unchanged", .integer(Int64(field.unchanged))),
                                    (
                                        "old",
                                        .array(
                                            field.sortedOld.map { old in
                                                .object(JSONObject([("value", old.value ?? .null), ("count", .integer(Int64(old.count)))]))
                                            })
                                    ),
                                ]))
                        })
                ),
            ]))
    }

    func selectionPushText(_ push: SelectionPush) -> String {
        var parts: [String] = []
        if push.dryRun {
            parts.append("would journal \(Words.plural(push.journaled, "update")), one per lead that changes, of \(push.leads) selected")
        } else {
            parts.append("journaled \(Words.plural(push.journaled, "update")) for \(push.leads) selected leads")
            if let seqs = push.seqs { parts.append(seqs.count == 1 ? "#\(seqs.lowerBound)" : "#\(seqs.lowerBound)..#\(seqs.upperBound)") }
        }
        if push.merged > 0 { parts.append("merged into pending updates \(push.merged)") }
        if push.unchanged > 0 { parts.append("already holding the values \(push.unchanged)") }
        if push.missing > 0 { parts.append(style.yellow("no longer cached \(push.missing)")) }
        var text = parts.joined(separator: ", ")
        if push.dryRun {
            text += " (dry run: nothing journaled, nothing sent)"
            for body in push.bodies {
                text += "\n\(body.method) \(body.path)\n" + JSONText.prettyPrint(.object(body.body))
            }
            if push.journaled > push.bodies.count { text += "\n... and \(push.journaled - push.bodies.count) more" }
        }
        if let sync = push.sync { text += "\n" + syncText(sync) }
        return text
    }

    func selectionPushJSON(_ push: SelectionPush) -> JSONValue {
        var object = JSONObject([
            ("dry_run", .bool(push.dryRun)), ("leads", .integer(Int64(push.leads))), ("journaled", .integer(Int64(push.journaled))),
            ("merged", .integer(Int64(push.merged))), ("unchanged", .integer(Int64(push.unchanged))),
            ("missing", .integer(Int64(push.missing))),
            ("first_seq", push.seqs.map { .integer($0.lowerBound) } ?? .null), ("last_seq", push.seqs.map { .integer($0.upperBound) } ?? .null),
        ])
        if push.dryRun {
            object["bodies"] = .array(
                push.bodies.map { body in
                    .object(JSONObject([("method", .string(body.method)), ("path", .string(body.path)), ("body", .object(body.body))]))
                })
        }
        if let sync = push.sync { object["sync"] = json(.synced(sync)) }
        return .object(object)
    }
}

extension String {
    /// Padded with spaces on the left to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
