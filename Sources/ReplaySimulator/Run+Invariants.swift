import FakeIntercomCore
import Foundation
import Journal
import LeadModel
import Replayer
import Session

/// The invariants, checked after every step and once the faults end.
extension Run {

    /// The journal's rows, or nil (with a violation) when it cannot be read.
    func rows() -> [JournalEntry]? {
        guard let journal = first?.journal else { return nil }
        var rows: [JournalEntry] = []
        do {
            try journal.forEachEntry(all: true) { rows.append($0) }
        } catch {
            world.violate("the journal cannot be read: \(error)")
            return nil
        }
        return rows
    }

    func check(step: Int) -> Violation? {
        if let first = world.violations.first { return Violation(step: step, message: first) }
        guard let rows = rows() else { return Violation(step: step, message: world.violations.first ?? "no journal") }
        if let lost = lostEdit(rows) { return Violation(step: step, message: lost) }
        for row in rows {
            if row.state == .failed, (row.lastError ?? "").isEmpty {
                return Violation(step: step, message: "\(row.kind.label) #\(row.seq) failed with no reason")
            }
            if row.state == .conflict, row.theirs?.isEmpty ?? true {
                return Violation(step: step, message: "update #\(row.seq) is in conflict with no server values")
            }
        }
        if let order = outOfOrder() { return Violation(step: step, message: order) }
        if let kinds = otherKinds(rows, final: false) { return Violation(step: step, message: kinds) }
        return nil
    }

    /// An edit the journal no longer holds: no row of its lead carries its value or a later one.
    /// A row behind a merge is the user's now; its values still name the lead they were for.
    func lostEdit(_ rows: [JournalEntry]) -> String? {
        for edit in journaled {
            let number = Run.number(edit.value)
            let kept = rows.contains { row in
                guard row.kind == .update, row.state != .dropped, let value = row.changes[.standard(edit.field)]?.stringValue,
                    (valueOrigin[value] ?? row.lead.id) == edit.lead
                else { return false }
                return Run.number(value) >= number
            }
            if !kept { return "the edit \(edit.field) = \(edit.value) of \(edit.lead) was journaled, and is gone from the journal" }
        }
        return nil
    }

    /// A lead's updates applied out of journal order: a value older than one already applied.
    /// A value applied to the user a lead was merged into counts for the lead it was written for.
    func outOfOrder() -> String? {
        var newest: [String: Int] = [:]
        for entry in world.applied where entry.value.first != "r" {
            let key = (valueOrigin[entry.value] ?? entry.lead) + "." + entry.field
            let number = Run.number(entry.value)
            if let seen = newest[key], number < seen {
                return "\(entry.field) = \(entry.value) of \(entry.lead) was applied after a later update (value #\(seen))"
            }
            newest[key] = number
        }
        return nil
    }

    /// The faults end; the replay must deliver everything, and Intercom must hold what the
    /// journal says was sent.
    func finish() async -> Violation? {
        world.heal()
        restart()
        guard let process = first else { return Violation(step: nil, message: "the journal could not be reopened") }
        var stop = ReplayStop.finished
        for _ in 0..<6 {
            world.beginStep(budget: Simulation.eventBudget)
            do {
                let reply = try await process.session.sync(blind: false, wait: 3600)
                if case .synced(let report) = reply.result { stop = report.stop }
            } catch {
                return Violation(step: nil, message: "sync failed with no fault left: \(error.message)")
            }
            if let first = world.violations.first { return Violation(step: nil, message: first) }
            if ((try? process.journal.counts())?.unsent ?? 1) == 0 { break }
            world.advance(to: world.now + 60)
        }
        guard let rows = rows() else { return Violation(step: nil, message: world.violations.first ?? "no journal") }
        let unsent = rows.filter { $0.state == .pending || $0.state == .sending }
        if !unsent.isEmpty {
            return Violation(step: nil, message: "\(unsent.count) rows still pending with no fault left (the replay stopped: \(stop))")
        }
        if let lost = lostEdit(rows) { return Violation(step: nil, message: lost) }
        if let kinds = otherKinds(rows, final: true) { return Violation(step: nil, message: kinds) }
        return finalState(rows) ?? finalUserState(rows)
    }

    /// Intercom's final values against the journal's: what was sent is there, in order.
    func finalState(_ rows: [JournalEntry]) -> Violation? {
        let applied = world.applied
        for row in rows where row.state == .sent {
            for field in Schedule.fields {
                guard let value = row.changes[.standard(field)]?.stringValue else { continue }
                if !applied.contains(where: { $0.lead == row.lead.id && $0.field == field && $0.value == value }) {
                    return Violation(step: nil, message: "update #\(row.seq) is recorded as sent, but Intercom never applied \(field) = \(value)")
                }
            }
        }
        for lead in leads {
            guard let contact = workspace.lead(id: lead) else { continue }
            for field in Schedule.fields where remote[lead + "." + field] == nil {
                let actual = contact.value(of: .standard(field))?.stringValue
                // The newest sent row's value, or a later one Intercom applied before its row failed.
                let sent = rows.filter { $0.lead.id == lead && $0.state == .sent }.compactMap { $0.changes[.standard(field)]?.stringValue }
                let expected = sent.max { Run.number($0) < Run.number($1) }
                guard let expected else { continue }
                if actual == expected { continue }
                let laterApplied = applied.contains { $0.lead == lead && $0.field == field && $0.value == actual }
                if let actual, laterApplied, Run.number(actual) > Run.number(expected) { continue }
                return Violation(
                    step: nil, message: "\(lead).\(field) is \(actual ?? "null") in Intercom, but the newest update sent set it to \(expected)")
            }
        }
        return nil
    }

    /// The number in a value the simulation wrote (`n12` -> 12).
    static func number(_ value: String) -> Int { Int(value.dropFirst()) ?? -1 }
}
