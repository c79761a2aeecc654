import CommandParser
import Journal
import LeadImport
import LeadModel

/// `export FILE.csv [COLUMN...] [--filter TEXT]`: leads as CSV, recorded in the journal so
/// that importing the file back sends only the cells changed since, based on what they held.
extension Session {
    /// Writes the selection (`load found`), else the cached leads whose name or email contains
    /// `filter`, as the user sees them (cached copies with unsent updates applied). Reads
    /// nothing from Intercom but, under 2.x, the attribute list when none is cached.
    ///
    /// The file is written under a temporary name (mode 0600), the export is journaled, and
    /// only then does the file take its name: a file at the path always has its export.
    func export(path: String, columns: [String], filter: String?) async throws(CommandFailure) -> Reply {
        if let selection, filter != nil {
            throw CommandFailure(
                .invalidCommand,
                "export writes the \(selection.ids.count) selected leads; --filter picks among the cached leads when nothing is selected (load a single lead to drop the selection)"
            )
        }
        let catalog = try await attributeCatalog()
        let leads: [Contact]
        var notCached = 0
        if let selection {
            leads = try journalCall { try journal.cachedViews(ids: selection.ids) }
            notCached = selection.ids.count - leads.count
        } else {
            let needle = filter?.lowercased()
            leads = try journalCall {
                try journal.cachedViews(matching: { lead in
                    guard let needle, !needle.isEmpty else { return true }
                    return (lead.name?.lowercased().contains(needle) ?? false) || (lead.email?.lowercased().contains(needle) ?? false)
                }) { $0 }
            }
        }
        let file: CSVExport
        do {
            file = try CSVExport(leads: leads, requested: columns, dialect: dialect, catalog: catalog, exportID: CSVExport.newExportID())
            try file.write(to: path)
        } catch {
            throw CommandFailure(.exportFile, error.message)
        }
        let record = ExportRecord(exportID: file.exportID, createdAt: clock.now(), path: path, columns: file.keys, leads: file.exported)
        try journalCall { try journal.recordExport(record) }
        do {
            try file.publish()
        } catch {
            throw CommandFailure(.exportFile, error.message)
        }
        return Reply(
            .exported(
                ExportReport(
                    file: path, exportID: file.exportID, columns: file.header, leads: leads.count, fromSelection: selection != nil,
                    notCached: notCached)))
    }
}
