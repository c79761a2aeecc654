import Foundation

/// What a program started by ``spawnAndWait(_:environment:)`` did.
public struct SpawnedRun: Sendable {
    /// The exit status, or 128 + the signal that ended it.
    public var status: Int32
    /// stdout and stderr, interleaved.
    public var output: String
    /// The program's peak resident set size in KiB, when measured (see ``spawnAndWait(_:environment:measuringPeak:)``).
    public var peakKilobytes: Int
}

/// Runs `argv` (its first word looked up in `PATH`) to completion, blocking the calling thread.
///
/// With `measuringPeak`, the program's peak resident set size is read from its own
/// `/proc/PID/status` (`VmHWM`, the high-water mark of its memory since `exec`) every 2 ms
/// while it runs. Not `ru_maxrss` from `wait4`: Linux starts a spawned program's `ru_maxrss`
/// at the spawning process's own peak (the program is started from the test process's
/// memory), so a test process that has ever held a lot would make every program it starts
/// look as big.
///
/// Spawned with `posix_spawn` and a clean signal mask and default dispositions: a process
/// started from a Swift concurrency thread (as Foundation's `Process` does) inherits that
/// thread's mask, with SIGINT blocked. Output goes to a file, not a pipe, since a server the
/// program starts (tmux) inherits the descriptor and would keep a pipe open; every other
/// descriptor of the test process is closed in the child, so a fake Intercom's listening
/// socket cannot outlive the fake in a program it never meant to share it with.
public func spawnAndWait(_ argv: [String], environment: [String: String], measuringPeak: Bool = false) -> SpawnedRun {
    let outputPath = NSTemporaryDirectory() + "leadsh-spawn-\(UUID().uuidString).out"
    defer { unlink(outputPath) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    markDescriptorsCloseOnExec()

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    posix_spawnattr_setsigmask(&attributes, &unblocked)
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in cArgs + cEnv { free(pointer) } }

    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
    guard spawned == 0 else {
        return SpawnedRun(status: 127, output: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))", peakKilobytes: 0)
    }
    var status: Int32 = 0
    var peak = 0
    if measuringPeak {
        while true {
            peak = max(peak, highWaterKilobytes(of: pid))
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { break }
            usleep(2_000)
        }
    } else {
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exited = status & 0x7F == 0
    return SpawnedRun(status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), output: output, peakKilobytes: peak)
}

/// `VmHWM` of a running process, in KiB (0 once it has exited).
private func highWaterKilobytes(of pid: pid_t) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
}

/// Sets close-on-exec on every descriptor above stderr, so spawned programs inherit none of them.
func markDescriptorsCloseOnExec() {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for fd in names.compactMap(Int32.init) where fd > 2 {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}
