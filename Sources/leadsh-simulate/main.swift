import Foundation
import ReplaySimulator

/// `leadsh-simulate [--seeds N] [--first F] [--seed S] [--quiet]`: runs seeded schedules of faults
/// against the real replay, prints any seed that breaks an invariant (shrunk, with the line that
/// reproduces it), and exits 1 when one did. `scripts/simulate` builds and runs it.
let usage = """
    usage: leadsh-simulate [--seeds N] [--first F] [--jobs J] [--seed S [--trace]] [--quiet]
      --seeds N   run N seeded schedules (default 1000), seeds F ..< F+N
      --first F   the first seed (default 1)
      --seed S    run the one schedule of seed S and print it
      --jobs J    run the seeds in J processes at once (default: one per core); each process runs
                  its schedules one at a time, so a seed's run is the same whatever J is
      --quiet     print only failures and the summary
      --trace     with --seed: print every request and answer of the run and of the shrunk schedule
    """

var seeds: UInt64 = 1000
var first: UInt64 = 1
var single: UInt64?
var quiet = false
var trace = false
var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
var arguments = CommandLine.arguments.dropFirst()
@MainActor func number(_ flag: String) -> UInt64 {
    guard let text = arguments.popFirst(), let value = UInt64(text) else {
        FileHandle.standardError.write(Data("leadsh-simulate: \(flag) takes a whole number\n\(usage)\n".utf8))
        exit(2)
    }
    return value
}
while let argument = arguments.popFirst() {
    switch argument {
    case "--seeds": seeds = number(argument)
    case "--first": first = number(argument)
    case "--seed": single = number(argument)
    case "--quiet": quiet = true
    case "--jobs": jobs = max(1, Int(number(argument)))
    case "--trace": trace = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        FileHandle.standardError.write(Data("leadsh-simulate: unknown argument \(argument)\n\(usage)\n".utf8))
        exit(2)
    }
}

if let single {
    print("seed \(single): \(Schedule.generate(seed: single))")
    if let failure = await Simulator.run(seed: single, tracing: trace) {
        print(failure)
        Simulator.cleanUp()
        exit(1)
    }
    Simulator.cleanUp()
    print("seed \(single): every invariant held")
    exit(0)
}

let started = Date()
var failures = 0

/// Several processes, each over its own part of the range: their failures are printed as they
/// come, and the summary adds them up.
if jobs > 1, seeds >= UInt64(jobs) * 10 {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var workers: [(Process, Pipe)] = []
    let share = seeds / UInt64(jobs)
    for job in 0..<UInt64(jobs) {
        let from = first + job * share
        let count = job == UInt64(jobs) - 1 ? seeds - job * share : share
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--seeds", "\(count)", "--first", "\(from)", "--jobs", "1", "--quiet"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        workers.append((process, pipe))
    }
    var failed = false
    for (process, pipe) in workers {
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        // Every line but the worker's own summary: its failures, shrunk.
        let body = lines.dropLast(lines.last == "" ? 2 : 1).joined(separator: "\n")
        if !body.isEmpty { print(body) }
        let summary = lines.last { $0.contains(" violations,") } ?? ""
        if let count = summary.split(separator: " ").firstIndex(of: "violations,").flatMap({ Int(summary.split(separator: " ")[$0 - 1]) }) {
            failures += count
        } else {
            failed = true
            print("a worker ended without its summary (exit \(process.terminationStatus))")
        }
    }
    let seconds = Date().timeIntervalSince(started)
    let rate = seconds > 0 ? Double(seeds) / seconds * 60 : 0
    print(
        String(
            format: "%d schedules (seeds %llu-%llu), %d violations, %.1f s, %.0f schedules/minute (%d processes)", Int(seeds), first,
            first + seeds - 1, failures, seconds, rate, jobs))
    exit(failures == 0 && !failed ? 0 : 1)
}
var last = started
for seed in first..<(first + seeds) {
    if let failure = await Simulator.run(seed: seed) {
        failures += 1
        print(failure)
        FileHandle.standardOutput.synchronizeFile()
    }
    if !quiet, Date().timeIntervalSince(last) >= 5 {
        last = Date()
        let done = seed - first + 1
        FileHandle.standardError.write(Data("  \(done)/\(seeds) schedules, \(failures) failing\n".utf8))
    }
}
Simulator.cleanUp()
let seconds = Date().timeIntervalSince(started)
let rate = seconds > 0 ? Double(seeds) / seconds * 60 : 0
print(
    String(
        format: "%d schedules (seeds %llu-%llu), %d violations, %.1f s, %.0f schedules/minute", Int(seeds), first, first + seeds - 1, failures, seconds, rate))
exit(failures == 0 ? 0 : 1)
