import FakeIntercomCore
import Foundation
import Journal
import LeadModel
import Replayer
import Session

/// What each step of a schedule does: the user, a second process, the network, the disk, the
/// clock, a crash, a teammate.
extension Run {

    func perform(_ step: Step) async {
        guard let process = first else { return }
        switch step {
        case .edit(let lead, let field):
            await edit(process, lead: lead, field: field)
        case .editElsewhere(let lead, let field):
            guard let other = try? secondProcess() else { return }
            await edit(other, lead: lead, field: field)
        case .sync(let wait):
            await sync([process], wait: wait)
        case .syncTwice(let wait):
            guard let other = try? secondProcess() else { return }
            await sync([process, other], wait: wait)
        case .syncWhileEditing(let wait, let lead, let field):
            guard let other = try? secondProcess() else { return }
            async let synced: Void = sync([process], wait: wait, checkCounts: false)
            async let edited: Void = edit(other, lead: lead, field: field)
            _ = await (synced, edited)
        case .goOffline:
            _ = try? await process.session.execute(.offline)
        case .goOnline:
            _ = try? await process.session.execute(.online)
        case .network(let faults):
            world.queue(faults)
        case .rateLimit(let limit, let window):
            workspace.setRateLimit(RateLimit(limit: limit, window: .seconds(window)))
        case .disk(let fault, let after):
            let planned: StorageFaults.Fault =
                switch fault {
                case .full: .diskFull
                case .ioError: .ioError
                case .busy: .busy
                }
            process.faults.fail(planned, after: after)
        case .diskFull:
            world.setDiskFull(true)
        case .diskFreed:
            world.setDiskFull(false)
        case .crash(let after):
            world.planCrash(after: after)
        case .clockJump(let seconds):
            world.advance(to: world.now + Double(seconds))
        case .remoteEdit(let lead, let field):
            counter += 1
            let value = "r\(counter)"
            let name = Schedule.fields[field]
            workspace.edit(leadID: leads[lead], FieldChanges([(.standard(name), .string(value))]))
            remote[leads[lead] + "." + name, default: []].append(value)
        case .restart:
            restart()
        case .tag(let lead, let tag, let add, let field):
            await edit(process, lead: lead, field: field, tag: (Schedule.tagName(tag, lead: lead), add))
        case .note(let lead, let faults):
            await note(process, lead: lead, faults: faults)
        case .merge(let lead, let user, let faults):
            await merge(process, lead: lead, user: user, faults: faults)
        }
    }

    /// `load`, `set` (when `field` is given), `tag`/`untag` (when `tag` is), `push`; notes the
    /// edit when the journal holds it. A lead whose merge was delivered no longer loads: the
    /// step then changes nothing.
    func edit(_ process: Process, lead: Int, field: Int?, tag: (name: String, add: Bool)? = nil) async {
        let session = process.session
        var edit: (name: String, value: String)?
        if let field {
            counter += 1
            let value = (field == 0 ? "n" : "p") + String(counter)
            edit = (Schedule.fields[field], value)
            valueOrigin[value] = leads[lead]
        }
        do {
            _ = try await session.execute(.load(.id(leads[lead])))
            if let edit { _ = try await session.execute(.set(field: edit.name, value: .string(edit.value))) }
            if let tag { _ = try await session.execute(.tag(names: [tag.name], add: tag.add)) }
        } catch {
            _ = try? await session.execute(.discard)
            return
        }
        do {
            _ = try await session.execute(.push(dryRun: false))
            if let edit { journaled.append((leads[lead], edit.name, edit.value)) }
        } catch {
            // A push that failed after journaling says so: its row was kept.
            switch error.code {
            case .failed, .conflict, .intercom, .wrongApp:
                if let edit { journaled.append((leads[lead], edit.name, edit.value)) }
            case .journal where error.message.hasPrefix("update #"):
                if let edit { journaled.append((leads[lead], edit.name, edit.value)) }
            default:
                break
            }
            _ = try? await session.execute(.discard)
        }
    }

    /// `load`, `note TEXT`, with a text no other note has (`note 12`). Whether it was journaled
    /// the journal says: the invariants read the note rows there.
    func note(_ process: Process, lead: Int, faults: [NetworkFault]) async {
        let session = process.session
        counter += 1
        let text = "note \(counter)"
        noteOrigin[text] = leads[lead]
        do {
            _ = try await session.execute(.load(.id(leads[lead])))
            world.queue(faults)
            _ = try await session.execute(.note(text))
        } catch {
            // Not loaded (merged, or unreachable and not cached), or journaled and not sent.
        }
    }

    /// `load`, `merge into USER`, its requests meeting `faults`.
    func merge(_ process: Process, lead: Int, user: Int, faults: [NetworkFault]) async {
        let session = process.session
        do {
            _ = try await session.execute(.load(.id(leads[lead])))
            world.queue(faults)
            _ = try await session.execute(.merge(into: LeadReference(id: users[user]), dryRun: false))
        } catch {
            // As for a note: the journal holds the row, or nothing was journaled.
        }
    }

    /// `sync --wait W` in each process at once; checks the time it took, and that the
    /// reports' "sent" equals what the journal recorded as sent.
    func sync(_ processes: [Process], wait: Int, checkCounts: Bool = true) async {
        let before = try? processes[0].journal.counts()
        let started = world.now
        var reports: [SyncReport] = []
        // When the last sync returned, noted where it returns: what else runs meanwhile (a
        // second process's edit) may move the clock before this step resumes.
        var returned = started
        let world = self.world
        await withTaskGroup(of: (SyncReport?, Double).self) { group in
            for process in processes {
                group.addTask {
                    do {
                        let reply = try await process.session.sync(blind: false, wait: Double(wait))
                        if case .synced(let report) = reply.result { return (report, world.now) }
                    } catch let failure as CommandFailure {
                        // With one app, a sync fails only when the journal cannot record it (exit 3).
                        if failure.code != .journal { world.violate("sync failed: \(failure.message)") }
                    } catch {
                        world.violate("sync failed: \(error)")
                    }
                    return (nil, world.now)
                }
            }
            for await (report, at) in group {
                if let report { reports.append(report) }
                returned = max(returned, at)
            }
        }
        guard !world.isDead else { return }
        let took = returned - started
        if took > Double(wait) + Simulation.requestTimeout + 1 {
            world.violate("sync --wait \(wait) took \(Int(took))s")
        }
        // A sync that failed (the journal could not record it) printed no summary to check.
        guard checkCounts, reports.count == processes.count, let before, let after = try? processes[0].journal.counts() else { return }
        let counted = reports.reduce(0) { $0 + $1.sent + $1.alreadyApplied }
        if counted != after[.sent] - before[.sent] {
            world.violate("sync reported \(counted) sent, but the journal recorded \(after[.sent] - before[.sent])")
        }
        for report in reports {
            if case .waiting(let until) = report.stop, until <= started + Double(wait) {
                world.violate("sync --wait \(wait) stopped at \(Simulation.time(started)) to wait until \(Simulation.time(until)), within its wait")
            }
            let exit = ExitCode.afterSync(report)
            let expected: Int32 =
                after[.failed] + after[.conflict] > 0 ? ExitCode.failed : after.unsent > 0 ? ExitCode.pending : ExitCode.success
            if exit != expected, processes.count == 1 {
                world.violate("sync would exit \(exit), but the journal holds \(after.byState) (exit \(expected))")
            }
        }
        if after[.sending] > 0 {
            world.violate("\(after[.sending]) rows left `sending` after a sync that recorded its outcomes")
        }
    }
}
