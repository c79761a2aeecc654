import CommandParser
import Journal
import LeadImport
import LeadModel

/// `import FILE.csv`: one journaled update per row, through the same path as `push`.
extension Session {
    /// Rows journaled per transaction (one `fsync` each): the first batch is small, so the
    /// first rows are journaled (and the progress line moves) at once, then each batch doubles
    /// up to `importBatchMax`.
    static let importBatchFirst = 500
    static let importBatchMax = 8_000

    /// Reports import progress (rows read so far), for a progress line on a terminal.
    public func setImportObserver(_ observer: @escaping @Sendable (Int) -> Void) {
        onImportProgress = observer
    }

    /// Reports a search's progress (leads listed so far, how many match), for a progress line.
    public func setFindObserver(_ observer: @escaping @Sendable (Int, Int?) -> Void) {
        onFindProgress = observer
    }

    /// Journals the file's rows in batches (each one transaction), idempotently by op id, and
    /// replays like `sync` when online. Refused rows are named `FILE:LINE:`; with
    /// `--on-error stop` the import stops at the first, after journaling the rows before it.
    func importFile(path: String, dryRun: Bool, onError: ImportErrorPolicy?) async throws(CommandFailure) -> Reply {
        let stopAtError = (onError ?? settings.importOnError) == .stop
        let catalog = try await attributeCatalog()
        let file: CSVImport
        do {
            let journal = self.journal
            file = try CSVImport(path: path, dialect: dialect, catalog: catalog, now: Int64(clock.now()), exports: { try journal.export(id: $0) })
        } catch {
            throw CommandFailure(.importFile, error.description)
        }
        var report = ImportReport(file: path, dryRun: dryRun)
        report.exportID = file.export?.exportID
        var notices: [Notice] = []
        var read = 0
        var batch = Session.importBatchFirst
        // The next chunk is read and checked on another task while this one is journaled.
        let reader = ImportReader(file)
        var next = reader.readAhead(max: batch)
        reading: while true {
            let chunk = await next.value
            if !chunk.atEnd {
                batch = min(batch * 2, Session.importBatchMax)
                next = reader.readAhead(max: batch)
            }
            var rows: [ImportedUpdate] = []
            rows.reserveCapacity(chunk.items.count)
            var stop = false
            for item in chunk.items {
                read += 1
                switch item {
                case .row(let row): rows.append(row.importedUpdate)
                case .unchanged: report.unchanged += 1
                case .refused(let problem):
                    notices.append(.rowRefused(file: problem.file, line: problem.line, message: problem.message))
                    report.refused += 1
                    if stopAtError {
                        report.stoppedAt = problem.line
                        stop = true
                    }
                }
                if stop { break }
            }
            if !stop, let problem = chunk.problem {
                // The file stopped being readable: what came before it is journaled.
                notices.append(.rowRefused(file: problem.file, line: problem.line, message: problem.message))
                report.refused += 1
                report.stoppedAt = problem.line
                stop = true
            }
            try journalRows(rows, dryRun: dryRun, into: &report)
            onImportProgress(read)
            if stop || chunk.atEnd || Task.isCancelled { break reading }
        }
        if !dryRun, report.imported > 0, connectivity.mode == .online, replayer != nil {
            let synced = try await sync(blind: settings.blind, wait: settings.syncWait)
            if case .synced(let sync) = synced.result { report.sync = sync }
            notices += synced.notices
        }
        var failure: CommandFailure?
        if report.refused > 0 {
            let rows = report.refused == 1 ? "1 row was" : "\(report.refused) rows were"
            failure = CommandFailure(
                .rowsRefused,
                "\(path): \(rows) refused and not journaled"
                    + (report.stoppedAt.map { "; the import stopped at line \($0) (--on-error continue imports the rest)" } ?? ""))
        }
        return Reply(.imported(report), notices: notices, failure: failure)
    }

    /// Journals one batch in one transaction, or in a dry run counts what it would journal.
    private func journalRows(_ rows: [ImportedUpdate], dryRun: Bool, into report: inout ImportReport) throws(CommandFailure) {
        guard !rows.isEmpty else { return }
        if dryRun {
            let seen = try journalCall { try journal.journaledOpIDs(rows) }
            report.alreadyImported += seen.count
            report.imported += rows.count - seen.count
            return
        }
        let result = try journalCall {
            try journal.appendImport(rows, apiVersion: apiVersion.description, coalesce: settings.coalesce, now: clock.now())
        }
        report.imported += result.imported
        report.merged += result.merged
        report.alreadyImported += result.alreadyImported
        report.withoutBase += result.withoutBase
    }
}
