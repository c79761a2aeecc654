import FakeIntercom
import Foundation
import Journal
import LeadshApp
import TestSupport
import Testing

/// Whether this process may mount a tmpfs (root, and a kernel that lets it): the full-disk
/// test needs a file system that really fills.
let canMountTmpfs: Bool = {
    guard getuid() == 0 else { return false }
    let probe = TempDirectory("leadsh-tmpfs-probe")
    guard mountTmpfs(at: probe.path, bytes: 64 << 10) else { return false }
    unmount(probe.path)
    return true
}()

@discardableResult
func mountTmpfs(at path: String, bytes: Int) -> Bool {
    mount("tmpfs", path, "tmpfs", 0, "size=\(bytes),mode=0700") == 0
}

@discardableResult
func unmount(_ path: String) -> Bool { umount2(path, 0) == 0 }

/// The two faults of the replay the simulator was built to find, through the whole app (in process; the full disk through the binary).
@Suite("Replay faults end to end: rate limits across processes, a full disk")
struct ReplayFaultsEndToEndTests {
    /// An update to OBrien journaled offline, from the lead cached once online (which binds the
    /// journal to the app); the fake then forgets those requests.
    func journalOffline(_ rig: Rig, name: String) async throws {
        #expect(try await rig.run(["load \(obrien)"]).status == 0)
        let result = try await rig.run(["load \(obrien)", "set name \(name)", "push"], extra: ["--offline"])
        #expect(result.status == 0, "\(result.stderr)")
        rig.fake.clearRequests()
    }

    @Test("sync waits through a 429 on its app check (GET /me) instead of exiting 4 at once")
    func rateLimitedAppCheck() async throws {
        try await withRig { rig in
            try await journalOffline(rig, name: "Waited")
            // A new process asks for the app first; that request meets the 429, reset 2 s ahead.
            rig.fake.injectOnMe(.rateLimited(retryAfter: 2, withHeaders: true))
            let started = Date()
            let sync = try await leadsh(rig.args + ["sync", "--wait", "120"], environment: rig.env)
            #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
            #expect(sync.stdout.contains("sent 1"))
            let me = try #require(rig.fake.requests.first { $0.path == "/me" })
            let update = try #require(rig.posts.first)
            #expect(update.receivedAt.timeIntervalSince(me.receivedAt) >= 1.0, "the update went after the window, not into it")
            #expect(Date().timeIntervalSince(started) < 60)
            #expect(rig.fake.lead(id: obrien)?.name == "Waited")
        }
    }

    @Test("a second sync, in a new run of leadsh, sends nothing before the reset the first one recorded (virtual time)")
    func secondSyncHonoursTheRecordedReset() async throws {
        // Three runs of the whole app, each with its own client and nothing in memory from the
        // one before: only the journal carries the reset. The fake and leadsh share a clock
        // that jumps instead of sleeping, so "before the reset" does not depend on how fast a
        // loaded machine runs the first sync.
        let clock = JumpingClock(start: 1_800_000_000)
        var configuration = FakeIntercomConfiguration()
        configuration.dataAttributes += testAttributes
        configuration.clock = clock
        let workspace = FakeWorkspace(configuration: configuration)
        let transport = InMemoryTransport(workspace: workspace)
        let home = TempDirectory("leadsh-reset")
        let journal = home.file("journal.sqlite")
        let environment = leadshEnvironment(home: home.path, token: configuration.token)
        func run(_ arguments: [String]) async -> ProcessResult {
            await leadshInProcess(
                ["--base-url", "https://api.intercom.test", "--journal", journal] + arguments, environment: environment, transport: transport,
                clock: clock)
        }
        #expect(await run(["-c", "load \(obrien)"]).status == 0)
        let pushed = await run(["--offline", "-c", "load \(obrien)", "-c", "set name Later", "-c", "push"])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        workspace.clearRequests()

        workspace.injectOnMe(.rateLimited(retryAfter: 3, withHeaders: true))
        let first = await run(["sync", "--wait", "0"])
        #expect(first.status == 4, "\(first.stdout)\(first.stderr)")
        #expect(first.stderr.contains("wait until") || first.stdout.contains("wait until"), "\(first.stdout)\(first.stderr)")
        #expect(try #require(Journal.peekRateLimitHold(path: journal)) > clock.now())
        let before = workspace.requests.count
        let second = await run(["sync", "--wait", "0"])
        #expect(second.status == 4, "\(second.stdout)\(second.stderr)")
        #expect(workspace.requests.count == before, "the second run sent \(workspace.requests.dropFirst(before).map(\.path)) before the reset")
        let third = await run(["sync", "--wait", "30"])
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(workspace.lead(id: obrien)?.name == "Later")
    }

    @Test("on a full disk sync stops at once: exit 3, one line naming the journal and the cause, nothing lost", .enabled(if: canMountTmpfs))
    func fullDisk() async throws {
        try await withRig { rig in
            let disk = TempDirectory("leadsh-full-disk")
            #expect(mountTmpfs(at: disk.path, bytes: 1 << 20))
            defer { unmount(disk.path) }
            let journal = disk.file("journal.sqlite")
            let args = ["--base-url", rig.fake.baseURL, "--journal", journal, "--api-version", rig.version]
            #expect(try await leadsh(args + ["-c", "load \(obrien)"], environment: rig.env).status == 0)
            let push = try await leadsh(args + ["--offline", "-c", "load \(obrien)", "-c", "set name Durable", "-c", "push"], environment: rig.env)
            #expect(push.status == 0, "\(push.stderr)")
            // Fill what is left of the file system, then give back 48 KB: room to open the journal
            // (its -shm and -wal files) and begin the replay, not to record it.
            let filler = disk.file("filler")
            FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: filler))
            let block = Data(repeating: 0x55, count: 4096)
            while (try? handle.write(contentsOf: block)) != nil {}
            try? handle.close()
            let filled = try #require(try FileManager.default.attributesOfItem(atPath: filler)[.size] as? Int)
            #expect(truncate(filler, off_t(max(0, filled - 48 << 10))) == 0)

            let started = Date()
            let sync = try await runProduct("leadsh", args + ["sync", "--wait", "120"], environment: rig.env, timeout: .seconds(60))
            #expect(Date().timeIntervalSince(started) < 20, "sync must stop, not spin")
            #expect(sync.status == 3, "\(sync.stdout)\(sync.stderr)")
            let lines = sync.stderr.split(separator: "\n").filter { $0.contains(journal) }
            #expect(lines.count == 1 && lines.first?.contains("disk full") == true, "\(sync.stderr)")

            // Room again: the update is still there, and a later sync delivers it.
            unlink(filler)
            let again = try await runProduct("leadsh", args + ["sync", "--wait", "30"], environment: rig.env, timeout: .seconds(60))
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            #expect(rig.fake.lead(id: obrien)?.name == "Durable")
        }
    }
}
