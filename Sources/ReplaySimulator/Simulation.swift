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
struct Process {
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
actor Run {
    let schedule: Schedule
    let path: String
    let world: World
    let clock: SimClock
    let workspace: FakeWorkspace
    let network: SimNetwork
    let apiVersion: APIVersion
    let leads: [String]
    /// The contacts that are users: the targets of `merge into`.
    let users: [String]
    let jitter: SeededJitter
    var first: Process?
    var second: Process?
    /// The next value an edit writes (`n7`, `p8`): unique, so a value names its edit.
    var counter = 0
    /// Edits journaled: lead, field, value.
    var journaled: [(lead: String, field: String, value: String)] = []
    /// Fields a teammate changed in Intercom, with the values they wrote.
    var remote: [String: [String]] = [:]
    /// The lead each value an edit wrote was for, journaled or not: a merge re-addresses a
    /// row to the user, and the value still names the lead it was written for.
    var valueOrigin: [String: String] = [:]
    /// The lead each note's text was written on, likewise.
    var noteOrigin: [String: String] = [:]

    init(schedule: Schedule, path: String, tracing: Bool) {
        self.schedule = schedule
        self.path = path
        world = World(now: Simulation.start, tracing: tracing)
        clock = SimClock(world: world)
        let contacts = Run.contacts
        var configuration = FakeIntercomConfiguration(
            token: "sim-token", leads: contacts, recordsRequests: false, appVersion: schedule.apiVersion)
        configuration.clock = clock
        workspace = FakeWorkspace(configuration: configuration)
        leads = contacts.prefix(Schedule.leadCount).map(\.id)
        users = contacts.dropFirst(Schedule.leadCount).map(\.id)
        for user in users { workspace.setRole("user", ofLead: user) }
        network = SimNetwork(world: world, clock: clock, workspace: workspace)
        apiVersion = (try? APIVersion(schedule.apiVersion)) ?? .default
        jitter = SeededJitter(seed: schedule.seed)
    }

    /// The workspace's contacts: the leads a schedule edits, then the users it merges them
    /// into (the seed's contacts after the leads, and copies of the last one with their own
    /// identifiers when the seed has too few).
    static let contacts: [Contact] = {
        let seed = FakeWorkspace.sampleLeads
        var contacts = Array(seed.prefix(Schedule.leadCount + Schedule.userCount))
        var copy = 0
        while contacts.count < Schedule.leadCount + Schedule.userCount, var extra = seed.last {
            copy += 1
            extra.fields["id"] = .string(String(format: "5811f9%018x", copy))
            extra.fields["email"] = .string("user\(copy)@sim.example")
            extra.fields["user_id"] = .string("sim-user-\(copy)")
            contacts.append(extra)
        }
        return contacts
    }()

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
}
