/// What the network does to one request, queued by a schedule.
public enum NetworkFault: Sendable, Hashable, CustomStringConvertible {
    /// Connection refused: the request never reaches Intercom.
    case refuse
    /// Accepted and never answered: the client waits its request timeout.
    case hang
    /// Intercom applies the request; the answer is cut on the way back.
    case cut
    /// Intercom answers this status with its error body. A 429 carries `X-RateLimit-Reset`
    /// `resetIn` seconds ahead (Remaining 0) when given, and `Retry-After` when given.
    case status(Int, resetIn: Int?, retryAfter: Int?)

    public var description: String {
        switch self {
        case .refuse: return "refuse"
        case .hang: return "hang"
        case .cut: return "cut"
        case .status(let status, let resetIn, let retryAfter):
            var text = "\(status)"
            if let resetIn { text += " reset+\(resetIn)s" }
            if let retryAfter { text += " retry-after \(retryAfter)s" }
            return text
        }
    }
}

/// A journal write that fails.
public enum DiskFault: Sendable, Hashable, CustomStringConvertible {
    case full
    case ioError
    case busy

    public var description: String {
        switch self {
        case .full: return "disk full"
        case .ioError: return "I/O error"
        case .busy: return "busy"
        }
    }
}

/// One step of a schedule: something the user, a teammate, the network, the disk, the clock
/// or the machine does.
public enum Step: Sendable, Hashable, CustomStringConvertible {
    /// `load LEAD`, `set FIELD VALUE`, `push` in the first process.
    case edit(lead: Int, field: Int)
    /// The same in a second process on the same journal.
    case editElsewhere(lead: Int, field: Int)
    /// `sync` with `--wait SECONDS` in the first process.
    case sync(wait: Int)
    /// Two processes run `sync` on the same journal at once.
    case syncTwice(wait: Int)
    /// The first process syncs while a second one edits and pushes.
    case syncWhileEditing(wait: Int, lead: Int, field: Int)
    /// `offline` or `online` in the first process.
    case goOffline
    case goOnline
    /// The next requests meet these faults, in order.
    case network([NetworkFault])
    /// The workspace starts metering requests: `limit` per `window` seconds.
    case rateLimit(limit: Int, window: Int)
    /// The journal write `after` writes from now fails.
    case disk(DiskFault, after: Int)
    /// Every journal write fails until the disk is freed.
    case diskFull
    case diskFreed
    /// The process dies after this many more requests, writes and waits; its memory is
    /// dropped and the journal reopened before the next step.
    case crash(after: Int)
    /// The clock jumps forward.
    case clockJump(seconds: Int)
    /// A teammate edits the lead in Intercom.
    case remoteEdit(lead: Int, field: Int)
    /// The process exits and starts again.
    case restart

    public var description: String {
        switch self {
        case .edit(let lead, let field): return "edit lead\(lead).\(Schedule.fields[field]) + push"
        case .editElsewhere(let lead, let field): return "second process: edit lead\(lead).\(Schedule.fields[field]) + push"
        case .sync(let wait): return "sync --wait \(wait)"
        case .syncTwice(let wait): return "two processes: sync --wait \(wait) at once"
        case .syncWhileEditing(let wait, let lead, let field):
            return "sync --wait \(wait) while a second process edits lead\(lead).\(Schedule.fields[field])"
        case .goOffline: return "offline"
        case .goOnline: return "online"
        case .network(let faults): return "network: " + faults.map(\.description).joined(separator: ", ")
        case .rateLimit(let limit, let window): return "rate limit \(limit) per \(window)s"
        case .disk(let fault, let after): return "\(fault) at the write \(after) from now"
        case .diskFull: return "disk full"
        case .diskFreed: return "disk freed"
        case .crash(let after): return "crash after \(after) events"
        case .clockJump(let seconds): return "clock jumps \(seconds)s"
        case .remoteEdit(let lead, let field): return "teammate edits lead\(lead).\(Schedule.fields[field]) in Intercom"
        case .restart: return "restart"
        }
    }
}

/// A seeded schedule: the API dialect and the steps.
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    /// The fields the simulated user edits: both dialects write them the same way.
    public static let fields = ["name", "phone"]
    /// How many leads a schedule edits.
    public static let leadCount = 3

    public var seed: UInt64
    /// `1.4` or `2.14`.
    public var apiVersion: String
    public var steps: [Step]

    public init(seed: UInt64, apiVersion: String, steps: [Step]) {
        self.seed = seed
        self.apiVersion = apiVersion
        self.steps = steps
    }

    public var description: String {
        "API \(apiVersion), \(steps.count) steps:\n" + steps.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
    }

    /// The schedule a seed makes.
    public static func generate(seed: UInt64) -> Schedule {
        var rng = SeededGenerator(state: seed)
        let version = Bool.random(using: &rng) ? "2.14" : "1.4"
        let count = Int.random(in: 4...24, using: &rng)
        var steps: [Step] = []
        for _ in 0..<count { steps.append(step(&rng)) }
        return Schedule(seed: seed, apiVersion: version, steps: steps)
    }

    private static func step(_ rng: inout SeededGenerator) -> Step {
        func lead() -> Int { Int.random(in: 0..<leadCount, using: &rng) }
        func field() -> Int { Int.random(in: 0..<fields.count, using: &rng) }
        func wait() -> Int { [0, 0, 5, 30, 120, 600].randomElement(using: &rng)! }
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<28: return .edit(lead: lead(), field: field())
        case 28..<33: return .editElsewhere(lead: lead(), field: field())
        case 33..<48: return .sync(wait: wait())
        case 48..<51: return .syncTwice(wait: wait())
        case 51..<54: return .syncWhileEditing(wait: wait(), lead: lead(), field: field())
        case 54..<57: return .goOffline
        case 57..<60: return .goOnline
        case 60..<75:
            var faults: [NetworkFault] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) { faults.append(networkFault(&rng)) }
            return .network(faults)
        case 75..<77: return .rateLimit(limit: Int.random(in: 2...6, using: &rng), window: [2, 10].randomElement(using: &rng)!)
        case 77..<81:
            return .disk([DiskFault.full, .ioError, .busy].randomElement(using: &rng)!, after: Int.random(in: 0...6, using: &rng))
        case 81..<83: return .diskFull
        case 83..<85: return .diskFreed
        case 85..<89: return .crash(after: Int.random(in: 0...12, using: &rng))
        case 89..<92: return .clockJump(seconds: [1, 30, 600, 7200].randomElement(using: &rng)!)
        case 92..<97: return .remoteEdit(lead: lead(), field: field())
        default: return .restart
        }
    }

    private static func networkFault(_ rng: inout SeededGenerator) -> NetworkFault {
        switch Int.random(in: 0..<17, using: &rng) {
        case 0, 1: return .refuse
        case 2: return .hang
        case 3, 4: return .cut
        case 5: return .status([500, 502, 503].randomElement(using: &rng)!, resetIn: nil, retryAfter: nil)
        case 6: return .status(408, resetIn: nil, retryAfter: nil)
        case 7, 8: return .status(429, resetIn: Int.random(in: 1...20, using: &rng), retryAfter: nil)
        case 9: return .status(429, resetIn: nil, retryAfter: Int.random(in: 1...5, using: &rng))
        case 10: return .status(429, resetIn: nil, retryAfter: nil)
        default:
            return .status([400, 401, 403, 404, 409, 410, 422].randomElement(using: &rng)!, resetIn: nil, retryAfter: nil)
        }
    }
}
