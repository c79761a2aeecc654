/// What the network does to one request, queued by a schedule.
public enum NetworkFault: Sendable, Hashable, CustomStringConvertible {
    /// Connection refused: the request never reaches Intercom.
    case refuse
    /// Accepted and never answered: the client waits its request timeout.
    case hang
    /// Intercom applies the request, and its answer never comes: the client waits its request
    /// timeout. (A timeout's outcome is unknown: a note or a merge may have landed.)
    case appliedHang
    /// Intercom applies the request; the answer is cut on the way back.
    case cut
    /// Intercom answers this status with its error body. A 429 carries `X-RateLimit-Reset`
    /// `resetIn` seconds ahead (Remaining 0) when given, and `Retry-After` when given.
    case status(Int, resetIn: Int?, retryAfter: Int?)

    public var description: String {
        switch self {
        case .refuse: return "refuse"
        case .hang: return "hang"
        case .appliedHang: return "applied, then hang"
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
    /// `load LEAD`, `tag NAME` (or `untag NAME`), with `set FIELD VALUE` too when `field` is
    /// given, then `push`: an update row (with a field) and a tags row after it. The tag's name
    /// is the lead's own (``Schedule/tagName(_:lead:)``).
    case tag(lead: Int, tag: Int, add: Bool, field: Int?)
    /// `load LEAD`, `note TEXT`: journaled at once, sent exactly once. `faults` are queued
    /// after the load, so they meet the note's own requests (a cut answer: did it land?).
    case note(lead: Int, faults: [NetworkFault])
    /// `load LEAD`, `merge into USER`: journaled at once; the rows waiting behind it follow the
    /// lead to the user. `faults` as for a note. A schedule merges a lead at most once.
    case merge(lead: Int, user: Int, faults: [NetworkFault])

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
        case .tag(let lead, let tag, let add, let field):
            let edit = field.map { ", set \(Schedule.fields[$0])" } ?? ""
            return "tag lead\(lead) \(add ? "+" : "-")\(Schedule.tagName(tag, lead: lead))\(edit) + push"
        case .note(let lead, let faults): return "note on lead\(lead)" + Step.meeting(faults)
        case .merge(let lead, let user, let faults): return "merge lead\(lead) into user\(user)" + Step.meeting(faults)
        }
    }
}

extension Step {
    /// ` (its requests meet: cut, 503)`, or nothing.
    static func meeting(_ faults: [NetworkFault]) -> String {
        faults.isEmpty ? "" : " (its requests meet: " + faults.map(\.description).joined(separator: ", ") + ")"
    }
}

/// A seeded schedule: the API dialect and the steps.
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    /// The fields the simulated user edits: both dialects write them the same way.
    public static let fields = ["name", "phone"]
    /// How many leads a schedule edits.
    public static let leadCount = 3
    /// How many contacts are users, the targets of a merge (made users when a run starts).
    public static let userCount = 2
    /// The tags the simulated user adds and removes, each lead its own (`vip-0`, `trial-2`):
    /// a tag's presence on a contact then follows one lead's rows alone, even once two leads
    /// are merged into the same user.
    public static let tags = ["vip", "trial"]

    /// The name of tag `tag` of lead `lead`.
    public static func tagName(_ tag: Int, lead: Int) -> String { "\(tags[tag])-\(lead)" }

    /// The lead whose tag this is (``tagName(_:lead:)``), or nil.
    public static func lead(ofTag name: String) -> Int? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        return Int(name[name.index(after: dash)...])
    }

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
        // The kinds beyond field updates take a seventh of the steps: four more steps on
        // average keep the others as many as before.
        let count = Int.random(in: 4...28, using: &rng)
        var steps: [Step] = []
        var merged: Set<Int> = []
        for _ in 0..<count {
            let next = step(&rng, merged: &merged)
            steps.append(next)
            // Half the merges are followed at once by an edit, a tag or a note of the lead:
            // journaled while the merge may still wait (a fault, offline), they must follow it.
            if case .merge(let lead, _, _) = next, Bool.random(using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: steps.append(.edit(lead: lead, field: Int.random(in: 0..<fields.count, using: &rng)))
                case 1: steps.append(.tag(lead: lead, tag: Int.random(in: 0..<tags.count, using: &rng), add: Bool.random(using: &rng), field: nil))
                default: steps.append(.note(lead: lead, faults: []))
                }
            }
        }
        return Schedule(seed: seed, apiVersion: version, steps: steps)
    }

    private static func step(_ rng: inout SeededGenerator, merged: inout Set<Int>) -> Step {
        func lead() -> Int { Int.random(in: 0..<leadCount, using: &rng) }
        func field() -> Int { Int.random(in: 0..<fields.count, using: &rng) }
        func wait() -> Int { [0, 0, 5, 30, 120, 600].randomElement(using: &rng)! }
        // Half the notes and merges meet one or two faults of their own.
        func ownFaults() -> [NetworkFault] {
            guard Bool.random(using: &rng) else { return [] }
            return (0..<Int.random(in: 1...2, using: &rng)).map { _ in networkFault(&rng) }
        }
        switch Int.random(in: 0..<116, using: &rng) {
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
        case 97..<100: return .restart
        case 100..<108:
            let withField = Int.random(in: 0..<3, using: &rng) == 0
            return .tag(lead: lead(), tag: Int.random(in: 0..<tags.count, using: &rng), add: Bool.random(using: &rng), field: withField ? field() : nil)
        case 108..<113: return .note(lead: lead(), faults: ownFaults())
        default:
            // A lead merged already is edited instead: its edits after the merge are kept.
            let chosen = lead()
            guard merged.insert(chosen).inserted else { return .edit(lead: chosen, field: field()) }
            return .merge(lead: chosen, user: Int.random(in: 0..<userCount, using: &rng), faults: ownFaults())
        }
    }

    private static func networkFault(_ rng: inout SeededGenerator) -> NetworkFault {
        switch Int.random(in: 0..<18, using: &rng) {
        case 0, 1: return .refuse
        case 2: return .hang
        case 3, 4: return .cut
        case 5: return .status([500, 502, 503].randomElement(using: &rng)!, resetIn: nil, retryAfter: nil)
        case 6: return .status(408, resetIn: nil, retryAfter: nil)
        case 7, 8: return .status(429, resetIn: Int.random(in: 1...20, using: &rng), retryAfter: nil)
        case 9: return .status(429, resetIn: nil, retryAfter: Int.random(in: 1...5, using: &rng))
        case 10: return .status(429, resetIn: nil, retryAfter: nil)
        case 17: return .appliedHang
        default:
            return .status([400, 401, 403, 404, 409, 410, 422].randomElement(using: &rng)!, resetIn: nil, retryAfter: nil)
        }
    }
}
