import Foundation
import Journal
import LeadModel
import Session

/// `leadsh gc [--dry-run]`, and the prune at the start of `sync` and of the shell.
enum GC {
    /// `leadsh gc`: prunes the sent and dropped updates older than the retention now and says how
    /// many rows and bytes; exits 0 (also when the space could not be given back: nothing is
    /// lost), 3 when the journal fails.
    static func run(_ journal: Journal, retentionDays: Int, dryRun: Bool, json: Bool, context: ProcessContext) -> Int32 {
        do {
            let report = try journal.prune(retentionDays: retentionDays, now: context.clock.now(), dryRun: dryRun)
            context.standardOutput.write((json ? GC.json(report) : GC.text(report)) + "\n")
            return ExitCode.success
        } catch {
            context.standardError.write("leadsh gc: \(error.message)\n")
            return ExitCode.journal
        }
    }

    /// The prune at the start of `sync` and of the shell, at most once a day: one line on
    /// stderr when it removed rows; silent when not due or nothing was old enough.
    static func pruneAtStart(_ journal: Journal, retentionDays: Int, now: Double, sink: any TextSink) {
        do {
            guard let report = try journal.pruneIfDue(retentionDays: retentionDays, now: now), report.pruned > 0 else { return }
            sink.write("leadsh: " + text(report) + "\n")
        } catch {
            // A full disk or a journal busy in another process: what runs next meets it and
            // says so; the prune waits for the next start.
            if error.cause == .diskFull || error.cause == .busy { return }
            sink.write("leadsh: the journal was not pruned (`leadsh gc` tries again): \(error.message)\n")
        }
    }

    /// The report as one line.
    static func text(_ report: PruneReport) -> String {
        let days = report.retentionDays
        let rows = report.pruned == 1 ? "1 sent or dropped update" : "\(report.pruned) sent and dropped updates"
        if report.dryRun {
            let space = "about \(bytes(report.bytesFreed)) (journal now \(bytes(report.bytesBefore)))"
            if days == 0 { return "retention 0 keeps every update: nothing to prune; would give back \(space)" }
            return "would prune \(rows) older than \(days) days and give back \(space)"
        }
        let done = days == 0 ? "retention 0 keeps every update: nothing pruned" : "pruned \(rows) older than \(days) days"
        switch report.space {
        case .givenBack, .estimated:
            return "\(done); gave back \(bytes(report.bytesFreed)) (journal now \(bytes(report.bytesAfter)))"
        case .noRoom(let needed, let free):
            return
                "\(done); could not give the space back: the journal's one full VACUUM needs about \(bytes(needed)) free beside it, and \(bytes(free)) is. Nothing was lost, and new updates reuse the space; free some and run `leadsh gc` again"
        case .failed(let why):
            return "\(done); could not give the space back (VACUUM failed: \(why)). Nothing was lost, and new updates reuse the space; run `leadsh gc` again"
        }
    }

    /// The report as one JSON document (`--json`).
    static func json(_ report: PruneReport) -> String {
        var object = JSONObject([
            ("dry_run", .bool(report.dryRun)), ("retention_days", .integer(Int64(report.retentionDays))),
            ("pruned", .integer(Int64(report.pruned))), ("bytes_before", .integer(Int64(report.bytesBefore))),
            ("bytes_after", .integer(Int64(report.bytesAfter))), ("bytes_freed", .integer(Int64(report.bytesFreed))),
        ])
        switch report.space {
        case .givenBack: object["space"] = "given back"
        case .estimated: object["space"] = "estimated"
        case .noRoom(let needed, let free):
            object["space"] = "kept"
            object["reason"] = .string("the one full VACUUM needs about \(needed) bytes free, \(free) are")
        case .failed(let why):
            object["space"] = "kept"
            object["reason"] = .string(why)
        }
        return JSONText.serialize(.object(object))
    }

    /// A size for people: bytes, KB, MB or GB (of 1024).
    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        if count < 1024 { return count == 1 ? "1 byte" : "\(count) bytes" }
        if value < 1024 * 1024 { return String(format: "%.1f KB", value / 1024) }
        if value < 1024 * 1024 * 1024 { return String(format: "%.1f MB", value / (1024 * 1024)) }
        return String(format: "%.1f GB", value / (1024 * 1024 * 1024))
    }
}
