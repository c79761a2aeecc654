import LeadModel
import Session

/// `export` as text and JSON.
extension Presenter {
    func exportText(_ report: ExportReport) -> String {
        let what = report.fromSelection ? "selected " + Words.plural(report.leads, "lead") : Words.plural(report.leads, "cached lead")
        var text = "exported \(what) to \(report.file): " + report.columns.joined(separator: ", ")
        if report.notCached > 0 { text += "\n\(Words.plural(report.notCached, "selected lead")) no longer cached, not written" }
        return text
    }

    func exportJSON(_ report: ExportReport) -> JSONValue {
        .object(
            JSONObject([
                ("file", .string(report.file)), ("export_id", .string(report.exportID)), ("leads", .integer(Int64(report.leads))),
                ("columns", .array(report.columns.map(JSONValue.string))), ("selection", .bool(report.fromSelection)),
                ("not_cached", .integer(Int64(report.notCached))),
            ]))
    }
}
