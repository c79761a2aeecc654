import Foundation
import ReplaySimulator

/// `leadsh-simulate [--seeds N] [--first F] [--seed S] [--quiet]`: runs seeded schedules of faults
/// against the real replay, prints any seed that breaks an invariant (shrunk, with the line that
/// reproduces it), and exits 1 when one did. `scripts/simulate` builds and runs it.
let usage = """
    usage: leadsh-simulate [--seeds N] [--first F] [--seed S [--trace]] [--quiet]
      --seeds N   run N seeded schedules (default 1000), seeds F ..< F+N
      --first F   the first seed (default 1)
      --seed S    run the one schedule of seed S and print it
      --quiet     print only failures and the summary
      --trace     with --seed: print every request and answer of the run and of the shrunk schedule
    """

var seeds: UInt64 = 1000
var first: UInt64 = 1
var single: UInt64?
var quiet = false
var trace = false
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
        exit(1)
    }
    print("seed \(single): every invariant held")
    exit(0)
}

let started = Date()
var failures = 0
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
let seconds = Date().timeIntervalSince(started)
let rate = seconds > 0 ? Double(seeds) / seconds * 60 : 0
print(
    String(
        format: "%d schedules (seeds %llu-%llu), %d violations, %.1f s, %.0f schedules/minute", Int(seeds), first, first + seeds - 1, failures, seconds, rate))
exit(failures == 0 ? 0 : 1)
