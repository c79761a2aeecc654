import Dispatch
import LineEditor
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// These tests send real SIGINTs to the test process, so they run one at a time.
///
/// `raise` would not do: it targets the calling thread, and the dispatch threads tests run on
/// block signals. `kill(getpid(), SIGINT)` reaches a thread that takes it, as Ctrl-C does.
@Suite("InterruptSignal", .serialized)
struct InterruptSignalTests {
    init() {
        InterruptSignal.install()
        _ = InterruptSignal.consume()
    }

    @Test("an interrupt is pending until consumed, and does not kill the process")
    func pendingUntilConsumed() async throws {
        #expect(InterruptSignal.isInstalled)
        #expect(!InterruptSignal.isPending)
        kill(getpid(), SIGINT)
        try await waitUntil { InterruptSignal.isPending }
        #expect(InterruptSignal.consume())
        #expect(!InterruptSignal.consume())
    }

    @Test("handlers run after an interrupt until cancelled")
    func callsHandlers() async throws {
        let calls = Atomic<Int>(0)
        let registration = InterruptSignal.onInterrupt { calls.add(1, ordering: .relaxed) }
        kill(getpid(), SIGINT)
        try await waitUntil { calls.load(ordering: .relaxed) == 1 }

        registration.cancel()
        registration.cancel()
        // A second handler shows when the next interrupt has been handled, so the first is
        // known not to have run without waiting an arbitrary time.
        let witness = Atomic<Int>(0)
        let second = InterruptSignal.onInterrupt { witness.add(1, ordering: .relaxed) }
        defer { second.cancel() }
        kill(getpid(), SIGINT)
        try await waitUntil { witness.load(ordering: .relaxed) == 1 }
        #expect(calls.load(ordering: .relaxed) == 1)
        _ = InterruptSignal.consume()
    }

    @Test("the interrupts stream yields once per interrupt")
    func streamsInterrupts() async throws {
        // The stream registers its handler when made and buffers what it yields, so the
        // interrupt can come before anyone iterates.
        let stream = InterruptSignal.interrupts()
        kill(getpid(), SIGINT)
        let received = Task {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next() != nil
        }
        #expect(await received.value)
        _ = InterruptSignal.consume()
    }

    @Test("an interrupt while a plain source waits on a pipe returns interrupted, and keeps buffered input")
    func interruptsPipeRead() async throws {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        defer { close(fds[1]) }
        let source = PlainLineSource(fileDescriptor: fds[0], name: "<stdin>", closesDescriptor: true)
        _ = "partial".utf8CString.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count - 1) }

        let result = Task.detached { source.readLine(prompt: "") }
        // Waits for another thread to block in poll(2): the reader counts only interrupts that
        // come after it started, and a thread blocked in a system call shows no event to await.
        try await Task.sleep(for: .milliseconds(200))
        kill(getpid(), SIGINT)
        #expect(await result.value == .interrupted)
        #expect(!InterruptSignal.isPending)

        _ = " line\n".utf8CString.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count - 1) }
        #expect(source.readLine(prompt: "") == .line("partial line"))
    }

    /// Polls for the signal handler's effect (delivered by the kernel on another thread),
    /// for at most 2 seconds.
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(condition())
    }
}
