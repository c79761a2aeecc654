import Foundation
import IntercomClient
import LeadModel
import Synchronization

/// Everything outside leadsh in one simulated world: the clock, the network's queued faults,
/// whether the process is alive, and what crossed the wire, for the invariants.
///
/// Every request, journal write and wait is an event: the world counts them per step (a
/// busy loop shows as too many) and kills the process when a planned crash comes due.
final class World: Sendable {
    struct State {
        var now: Double
        var dead = false
        var crashIn: Int?
        var diskFull = false
        var events = 0
        var eventBudget = Int.max
        var faults: [NetworkFault] = []
        var violations: [String] = []
        /// Reads the rate-limit hold the journal holds: what leadsh knows it must wait for.
        var recordedHold: (@Sendable () -> Double?)?
        /// 429s answered per window reset, and per life of the process: one that dies before it
        /// records a window (a crash) leaves the next one no way to know of it.
        var rateLimitedPerReset: [String: Int] = [:]
        var lives = 0
        /// Requests (`METHOD path`) a schedule's fault answered with a status at least once.
        var injected: Set<String> = []
        /// Updates Intercom applied, in order: lead id, field, value.
        var applied: [(lead: String, field: String, value: String)] = []
        /// Every request and applied value, in order, with its time (determinism checks).
        var record: [String] = []
    }

    let state: Mutex<State>
    /// Prints every request and answer (`leadsh-simulate --trace`), to follow a failing seed.
    let tracing: Bool

    init(now: Double, tracing: Bool) {
        state = Mutex(State(now: now))
        self.tracing = tracing
    }

    func trace(_ line: @autoclosure () -> String) {
        if tracing { print("    [\(Simulation.time(now))] \(line())") }
    }

    var now: Double { state.withLock { $0.now } }
    var isDead: Bool { state.withLock { $0.dead } }
    var violations: [String] { state.withLock { $0.violations } }
    var applied: [(lead: String, field: String, value: String)] { state.withLock { $0.applied } }
    var record: [String] { state.withLock { $0.record } }

    /// Forgets what was recorded and sets the clock back (the template's loads, not the schedule's).
    func forgetRecord(rewindingTo time: Double) {
        state.withLock {
            $0.record.removeAll()
            $0.now = time
        }
    }

    /// Whether a schedule's fault answered `METHOD path` with a status at some point.
    func answeredByFault(_ request: String) -> Bool { state.withLock { $0.injected.contains(request) } }

    func violate(_ message: String) {
        state.withLock { $0.violations.append(message) }
    }

    /// Now, a microsecond after the last reading.
    func tick() -> Double {
        state.withLock { s in
            s.now += 1e-6
            return s.now
        }
    }

    func advance(to time: Double) {
        state.withLock { $0.now = max($0.now, time) }
    }

    /// Counts an event; answers whether the process is dead (now, or by this event).
    @discardableResult
    func event(_ what: String) -> Bool {
        state.withLock { s in
            if s.dead { return true }
            s.events += 1
            if s.events > s.eventBudget {
                s.violations.append(
                    "busy loop: more than \(s.eventBudget) requests, journal writes and waits in one step (the last: \(what))")
                s.dead = true
                return true
            }
            if let countdown = s.crashIn {
                if countdown <= 0 {
                    s.dead = true
                    s.crashIn = nil
                    return true
                }
                s.crashIn = countdown - 1
            }
            return false
        }
    }

    /// Starts a step: a fresh event count and its budget.
    func beginStep(budget: Int) {
        state.withLock {
            $0.events = 0
            $0.eventBudget = budget
        }
    }

    /// A new process after a crash: alive, with no crash planned.
    func revive() {
        state.withLock {
            if $0.dead { $0.lives += 1 }
            $0.dead = false
            $0.crashIn = nil
        }
    }

    func planCrash(after events: Int) {
        state.withLock { $0.crashIn = events }
    }

    func setDiskFull(_ full: Bool) {
        state.withLock { $0.diskFull = full }
    }

    func queue(_ faults: [NetworkFault]) {
        state.withLock { $0.faults.append(contentsOf: faults) }
    }

    func nextFault() -> NetworkFault? {
        state.withLock { $0.faults.isEmpty ? nil : $0.faults.removeFirst() }
    }

    /// The faults end: the network, the disk, planned crashes.
    func heal() {
        state.withLock {
            $0.faults.removeAll()
            $0.diskFull = false
            $0.crashIn = nil
            $0.dead = false
        }
    }

    /// What a journal write meets: dead process or a full disk fail it.
    func storageFault() -> DiskFault? {
        if event("journal write") { return .ioError }
        return state.withLock { $0.diskFull ? .full : nil }
    }

    /// Where the world reads the journal's rate-limit hold.
    func watchHold(_ read: @escaping @Sendable () -> Double?) {
        state.withLock { $0.recordedHold = read }
    }

    /// Checks a request as it leaves: nothing before the rate-limit reset the journal recorded
    /// (every 429, and every window with nothing remaining, is recorded there as it is learnt).
    func issued(_ request: TransportRequest) {
        trace("-> \(request.method) \(request.path)")
        let read = state.withLock { $0.recordedHold }
        let hold = read?() ?? 0
        state.withLock { s in
            s.record.append("\(s.now) \(request.method) \(request.path)")
            if s.now + 1e-6 < hold {
                s.violations.append(
                    "\(request.method) \(request.path) sent at \(Simulation.time(s.now)), before the rate-limit reset \(Simulation.time(hold)) the journal recorded"
                )
            }
        }
    }

    /// Learns what an answer the client received tells it to wait for.
    ///
    /// Only the workspace's own limiter counts toward "one 429 a window": a schedule's 429s are
    /// forced on whatever request comes next.
    func received(_ response: TransportResponse, for request: TransportRequest, injected: Bool) {
        trace(
            "<- \(response.status) \(request.method) \(request.path) "
                + response.headers.filter { $0.name.hasPrefix("X-Rate") || $0.name == "Retry-After" }.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
        let reset = response.header("X-RateLimit-Reset").flatMap { Int64($0) }
        state.withLock { s in
            if injected { s.injected.insert("\(request.method) \(request.path)") }
            // With the disk full the window cannot be shared through the journal: another process
            // meets it again, unavoidably.
            if response.status == 429, !injected, !s.diskFull, let reset {
                let window = "\(reset)/\(s.lives)"
                s.rateLimitedPerReset[window, default: 0] += 1
                if s.rateLimitedPerReset[window]! > 1 {
                    s.violations.append("a second 429 in the window that resets at \(Simulation.time(Double(reset))) (\(request.method) \(request.path))")
                }
            }
        }
    }

    /// Notes an update Intercom applied (a 2xx to `PUT /contacts/{id}` or `POST /contacts`).
    func appliedIfUpdate(_ request: TransportRequest, status: Int) {
        guard (200..<300).contains(status), let body = request.body, let object = (try? JSONText.parse(body))?.objectValue else { return }
        let lead: String
        if request.method == "PUT", request.path.hasPrefix("/contacts/") {
            lead = String(request.path.dropFirst("/contacts/".count))
        } else if request.method == "POST", request.path == "/contacts", let id = object["id"]?.stringValue {
            lead = id
        } else {
            return
        }
        state.withLock { s in
            for field in Schedule.fields {
                if let value = object[field]?.stringValue {
                    s.applied.append((lead, field, value))
                    s.record.append("applied \(lead).\(field) = \(value)")
                }
            }
        }
    }
}
