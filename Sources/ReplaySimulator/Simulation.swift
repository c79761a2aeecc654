import FakeIntercomCore
import Foundation
import IntercomClient
import Journal
import LeadModel
import Replayer
import Session

/// The first invariant a schedule broke, and the step that broke it.
public struct Violation: Error, Sendable, CustomStringConvertible {
    /// The 1-based step, or nil for the checks after the faults ended.
    public var step: Int?
    public var message: String

    public var description: String {
        (step.map { "step \($0)" } ?? "after the faults ended") + ": " + message
    }
}

/// Runs leadsh's real `Session`, `Replayer` and `Journal` (a real SQLite file) against the fake
/// Intercom in memory, through a schedule of faults, and checks the replay's invariants after
/// every step and once the faults end.
public enum Simulation {
    /// Requests, journal writes and waits one step may make before it counts as a busy loop.
    static let eventBudget = 2_000
    /// The request timeout of the simulated client, in seconds.
    static let requestTimeout = 30.0

    /// Runs one schedule in `directory` (its journal is removed after); nil when every invariant held.
    public static func run(_ schedule: Schedule, directory: String, tracing: Bool = false) async -> Violation? {
        await runWithRecord(schedule, directory: directory, tracing: tracing).violation
    }

    /// Runs one schedule and also returns what crossed the wire, in order (each request's method
    /// and path, each update Intercom applied): two runs of one schedule give the same record.
    public static func runWithRecord(_ schedule: Schedule, directory: String, tracing: Bool = false) async -> (violation: Violation?, record: [String]) {
        let path = directory + "/sim-\(schedule.seed)-\(UInt32.random(in: 0...UInt32.max)).journal"
        defer {
            for suffix in ["", "-wal", "-shm", ".lock"] { unlink(path + suffix) }
        }
        let run = Run(schedule: schedule, path: path, tracing: tracing)
        // Every task of the run on one serial executor whose idleness moves the virtual clock.
        let violation = await withTaskExecutorPreference(SimulationExecutor(clock: run.clock)) { await run.execute() }
        return (violation, run.world.record)
    }

    /// A Unix time as the offset from the simulation's start, for messages.
    static func time(_ time: Double) -> String {
        String(format: "t+%.2fs", time - start)
    }

    static let start = 1_800_000_000.0

    /// Where this process keeps its journal templates (``Run/prepareJournal()``).
    static let templateDirectory = Simulator.defaultDirectory + "/leadsh-sim-\(getpid())"
}

/// One leadsh process on the journal: its journal connection, client and session.
private struct Process {
    let journal: Journal
    let session: Session

    init(path: String, world: World, network: SimNetwork, clock: SimClock, apiVersion: APIVersion, jitter: SeededJitter) throws {
        let faults = StorageFaults {
            switch world.storageFault() {
            case .full?: return .diskFull
            case .ioError?: return .ioError
            case .busy?: return .busy
            case nil: return nil
            }
        }
        journal = try Journal(path: path, faults: faults)
        self.faults = faults
        var configuration = IntercomConfiguration(
            endpoint: try Endpoint("https://api.intercom.io"), token: "sim-token", apiVersion: apiVersion,
            requestTimeout: .seconds(Int64(Simulation.requestTimeout)))
        configuration.clock = clock
        let api = IntercomAPI(configuration: configuration, transport: network)
        var settings = SessionSettings(label: "sim")
        settings.apiVersion = apiVersion
        session = Session(journal: journal, api: api, settings: settings, clock: clock, jitter: jitter)
    }

    let faults: StorageFaults
}

/// The state of one schedule's run.
private actor Run {
    let schedule: Schedule
    let path: String
    let world: World
    let clock: SimClock
    let workspace: FakeWorkspace
    let network: SimNetwork
    let apiVersion: APIVersion
    let leads: [String]
    let jitter: SeededJitter
    var first: Process?
    var second: Process?
    /// The next value an edit writes (`n7`, `p8`): unique, so a value names its edit.
    var counter = 0
    /// Edits journaled: lead, field, value.
    var journaled: [(lead: String, field: String, value: String)] = []
    /// Fields a teammate changed in Intercom, with the values they wrote.
    var remote: [String: [String]] = [:]

    init(schedule: Schedule, path: String, tracing: Bool) {
        self.schedule = schedule
        self.path = path
        world = World(now: Simulation.start, tracing: tracing)
        clock = SimClock(world: world)
        var configuration = FakeIntercomConfiguration(
            token: "sim-token", leads: Array(FakeWorkspace.sampleLeads.prefix(Schedule.leadCount)), recordsRequests: false,
            appVersion: schedule.apiVersion)
        configuration.clock = clock
        workspace = FakeWorkspace(configuration: configuration)
        leads = workspace.allLeads.map(\.id)
        network = SimNetwork(world: world, clock: clock, workspace: workspace)
        apiVersion = (try? APIVersion(schedule.apiVersion)) ?? .default
        jitter = SeededJitter(seed: schedule.seed)
    }

    func execute() async -> Violation? {
        // The journal's connections close with the run: a long run must not run out of files.
        defer {
            first?.journal.close()
            second?.journal.close()
        }
        do {
            try await prepareJournal()
            try start()
        } catch {
            return Violation(step: 0, message: "the simulation could not start: \(error)")
        }
        for (index, step) in schedule.steps.enumerated() {
            world.trace("step \(index + 1): \(step)")
            world.beginStep(budget: Simulation.eventBudget)
            await perform(step)
            if world.isDead { restart() }
            if let violation = check(step: index + 1) { return violation }
        }
        return await finish()
    }

    // MARK: Processes

    /// Every schedule starts from the same journal: bound to the workspace, with the leads
    /// loaded. It is made once per API version (`load` of each lead, then closed) and copied,
    /// which costs a tenth of making it again.
    func prepareJournal() async throws {
        let template = Simulation.templateDirectory + "/template-\(schedule.apiVersion).journal"
        if !FileManager.default.fileExists(atPath: template) {
            try FileManager.default.createDirectory(atPath: Simulation.templateDirectory, withIntermediateDirectories: true)
            let process = try start()
            for lead in leads { _ = try await process.session.execute(.load(.id(lead))) }
            process.journal.close()
            first = nil
            try FileManager.default.copyItem(atPath: path, toPath: template)
            // The template's loads are not the schedule's: a run that made it records what one
            // that copied it does.
            world.forgetRecord(rewindingTo: Simulation.start)
            return
        }
        try FileManager.default.copyItem(atPath: template, toPath: path)
    }

    @discardableResult
    func start() throws -> Process {
        let process = try Process(path: path, world: world, network: network, clock: clock, apiVersion: apiVersion, jitter: jitter)
        first = process
        let journal = process.journal
        world.watchHold { try? journal.rateLimitHold() }
        return process
    }

    func secondProcess() throws -> Process {
        if let second { return second }
        let process = try Process(path: path, world: world, network: network, clock: clock, apiVersion: apiVersion, jitter: jitter)
        second = process
        return process
    }

    /// The processes exit (or died): their memory is gone, the journal file stays.
    func restart() {
        first?.journal.close()
        second?.journal.close()
        first = nil
        second = nil
        world.revive()
        do {
            try start()
        } catch {
            world.violate("the journal could not be reopened after a restart: \(error)")
        }
    }

    // MARK: Steps

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
        }
    }

    /// `load`, `set`, `push`; notes the edit when the journal holds it.
    func edit(_ process: Process, lead: Int, field: Int) async {
        let session = process.session
        counter += 1
        let name = Schedule.fields[field]
        let value = (field == 0 ? "n" : "p") + String(counter)
        do {
            _ = try await session.execute(.load(.id(leads[lead])))
            _ = try await session.execute(.set(field: name, value: .string(value)))
        } catch {
            _ = try? await session.execute(.discard)
            return
        }
        do {
            _ = try await session.execute(.push(dryRun: false))
            journaled.append((leads[lead], name, value))
        } catch {
            // A push that failed after journaling says so: its row was kept.
            switch error.code {
            case .failed, .conflict, .intercom, .wrongApp:
                journaled.append((leads[lead], name, value))
            case .journal where error.message.hasPrefix("update #"):
                journaled.append((leads[lead], name, value))
            default:
                break
            }
            _ = try? await session.execute(.discard)
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

    // MARK: Invariants

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
                return Violation(step: step, message: "update #\(row.seq) failed with no reason")
            }
            if row.state == .conflict, row.theirs?.isEmpty ?? true {
                return Violation(step: step, message: "update #\(row.seq) is in conflict with no server values")
            }
        }
        if let order = outOfOrder() { return Violation(step: step, message: order) }
        return nil
    }

    /// An edit the journal no longer holds: no row of its lead carries its value or a later one.
    func lostEdit(_ rows: [JournalEntry]) -> String? {
        for edit in journaled {
            let number = Run.number(edit.value)
            let kept = rows.contains { row in
                guard row.lead.id == edit.lead, row.state != .dropped, let value = row.changes[.standard(edit.field)]?.stringValue else { return false }
                return Run.number(value) >= number
            }
            if !kept { return "the edit \(edit.field) = \(edit.value) of \(edit.lead) was journaled, and is gone from the journal" }
        }
        return nil
    }

    /// A lead's updates applied out of journal order: a value older than one already applied.
    func outOfOrder() -> String? {
        var newest: [String: Int] = [:]
        for entry in world.applied where entry.value.first != "r" {
            let key = entry.lead + "." + entry.field
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
            return Violation(step: nil, message: "\(unsent.count) updates still pending with no fault left (the replay stopped: \(stop))")
        }
        if let lost = lostEdit(rows) { return Violation(step: nil, message: lost) }
        return finalState(rows)
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
