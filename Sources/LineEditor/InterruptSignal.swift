import CEditLine
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ctrl-C (SIGINT), caught so that it cancels what the shell is doing instead of killing it.
///
/// After ``install()``, an interrupt while a line is being typed makes the line source
/// return ``LineReadResult/interrupted``; an interrupt while a command runs sets a pending
/// flag (``consume()``) and calls the handlers registered with ``onInterrupt(_:)``, so the
/// shell can cancel the command's task. For example:
///
/// ```swift
/// InterruptSignal.install()
/// let task = Task { try await session.run(command) }
/// let registration = InterruptSignal.onInterrupt { task.cancel() }
/// defer { registration.cancel() }
/// ```
///
/// The signal handler itself only bumps atomics and writes a byte to two pipes; handlers
/// run later on a private dispatch queue.
public enum InterruptSignal {
    /// Installs the SIGINT handler. Calling it again does nothing.
    ///
    /// The handler is installed without `SA_RESTART`: a blocking system call in the thread
    /// that takes the signal fails with `EINTR`. Call it early on the main thread: it also
    /// unblocks SIGINT in the calling thread, since a program started from a Swift
    /// concurrency thread (Foundation's `Process` does that) inherits it blocked.
    public static func install() {
        _ = leadsh_unblock_signal(SIGINT)
        watcher.withLock { state in
            guard !state.installed else { return }
            guard let watchPipe = POSIX.makePipe(), let readerPipe = POSIX.makePipe() else {
                return
            }
            state.readerWakeFD = readerPipe.read
            _ = interruptGeneration.load(ordering: .sequentiallyConsistent)
            _ = interruptPending.load(ordering: .sequentiallyConsistent)
            watcherWriteFD.store(watchPipe.write, ordering: .sequentiallyConsistent)
            readerWriteFD.store(readerPipe.write, ordering: .sequentiallyConsistent)

            let source = DispatchSource.makeReadSource(fileDescriptor: watchPipe.read, queue: watcherQueue)
            source.setEventHandler {
                POSIX.drain(watchPipe.read)
                let handlers = watcher.withLock { Array($0.handlers.values) }
                for handler in handlers { handler() }
            }
            source.resume()
            state.source = source
            state.installed = leadsh_install_signal_handler(SIGINT, handleInterruptSignal) == 0
        }
    }

    /// True once ``install()`` has put the handler in place.
    public static var isInstalled: Bool {
        watcher.withLock { $0.installed }
    }

    /// True when an interrupt arrived that nobody has consumed yet.
    public static var isPending: Bool {
        interruptPending.load(ordering: .sequentiallyConsistent)
    }

    /// Returns whether an interrupt is pending, and clears it.
    public static func consume() -> Bool {
        interruptPending.exchange(false, ordering: .sequentiallyConsistent)
    }

    /// Calls `handler` on a private queue after each interrupt, until the registration is cancelled.
    ///
    /// Handlers also run for an interrupt that cancels a line being typed; register one only
    /// while there is something to cancel. Interrupts that arrive close together may be
    /// reported once.
    public static func onInterrupt(_ handler: @escaping @Sendable () -> Void) -> Registration {
        watcher.withLock { state in
            state.nextID += 1
            state.handlers[state.nextID] = handler
            return Registration(id: state.nextID)
        }
    }

    /// The interrupts from now on, as a stream (one element per reported interrupt).
    public static func interrupts() -> AsyncStream<Void> {
        AsyncStream { continuation in
            let registration = onInterrupt { continuation.yield() }
            continuation.onTermination = { _ in registration.cancel() }
        }
    }

    /// An interrupt handler's place in the list; cancel it to stop the calls.
    public final class Registration: Sendable {
        private let id: UInt64

        fileprivate init(id: UInt64) {
            self.id = id
        }

        /// Stops calling the handler. Safe to call more than once.
        public func cancel() {
            _ = watcher.withLock { $0.handlers.removeValue(forKey: id) }
        }
    }

    // MARK: For the line sources

    /// Counts interrupts since the process started; a reader compares it before and after waiting.
    static var generation: UInt64 {
        interruptGeneration.load(ordering: .sequentiallyConsistent)
    }

    /// A descriptor that becomes readable after an interrupt, for a reader blocked in `poll`;
    /// -1 before ``install()``. Drain it with ``drainReaderWake()``.
    static var readerWakeFD: Int32 {
        watcher.withLock { $0.readerWakeFD }
    }

    static func drainReaderWake() {
        let fd = readerWakeFD
        if fd >= 0 { POSIX.drain(fd) }
    }

    /// Counts SIGCONTs (resumes after Ctrl-Z) once ``installContinueHandler()`` ran; the editor
    /// redraws its line when it changes, since libedit only does so when its own `read` fails.
    static var continueGeneration: UInt64 {
        continueCount.load(ordering: .sequentiallyConsistent)
    }

    /// Installs a SIGCONT handler that counts resumes and wakes a reader blocked in `poll`.
    ///
    /// libedit's own handler, active while it reads, passes the signal on to this one.
    static func installContinueHandler() {
        install()
        _ = leadsh_unblock_signal(SIGCONT)
        watcher.withLock { state in
            guard state.installed, !state.continueInstalled else { return }
            _ = continueCount.load(ordering: .sequentiallyConsistent)
            state.continueInstalled = leadsh_install_signal_handler(SIGCONT, handleContinueSignal) == 0
        }
    }

    /// Forgets a pending interrupt, for a reader that starts a fresh line.
    static func clearPending() {
        interruptPending.store(false, ordering: .sequentiallyConsistent)
    }
}

private struct WatcherState: ~Copyable {
    var installed = false
    var continueInstalled = false
    var readerWakeFD: Int32 = -1
    var nextID: UInt64 = 0
    var handlers: [UInt64: @Sendable () -> Void] = [:]
    var source: (any DispatchSourceRead)?
}

private let watcher = Mutex(WatcherState())
private let watcherQueue = DispatchQueue(label: "leadsh.interrupt")

// Touched by the signal handler: atomics only, initialised by install() before the handler exists.
private let interruptGeneration = Atomic<UInt64>(0)
private let interruptPending = Atomic<Bool>(false)
private let watcherWriteFD = Atomic<Int32>(-1)
private let readerWriteFD = Atomic<Int32>(-1)
private let continueCount = Atomic<UInt64>(0)

/// The SIGINT handler: async-signal-safe (atomic stores and `write`), and keeps `errno`.
private func handleInterruptSignal(_ signal: Int32) {
    let savedErrno = errno
    interruptGeneration.wrappingAdd(1, ordering: .sequentiallyConsistent)
    interruptPending.store(true, ordering: .sequentiallyConsistent)
    var byte: UInt8 = 1
    let watcherFD = watcherWriteFD.load(ordering: .sequentiallyConsistent)
    if watcherFD >= 0 { _ = write(watcherFD, &byte, 1) }
    let readerFD = readerWriteFD.load(ordering: .sequentiallyConsistent)
    if readerFD >= 0 { _ = write(readerFD, &byte, 1) }
    errno = savedErrno
}

/// The SIGCONT handler: counts the resume and wakes a waiting reader; async-signal-safe.
private func handleContinueSignal(_ signal: Int32) {
    let savedErrno = errno
    continueCount.wrappingAdd(1, ordering: .sequentiallyConsistent)
    var byte: UInt8 = 1
    let readerFD = readerWriteFD.load(ordering: .sequentiallyConsistent)
    if readerFD >= 0 { _ = write(readerFD, &byte, 1) }
    errno = savedErrno
}
