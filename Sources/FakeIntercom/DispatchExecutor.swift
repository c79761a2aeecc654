import Dispatch

/// A task executor on a concurrent Dispatch queue of its own.
///
/// Tasks that prefer it run on Dispatch's threads rather than the two-thread cooperative pool
/// of a 2-core machine, and Dispatch adds a thread when one of them blocks. The fake's
/// server runs on one, so that tests hogging the pool (a fuzz loop, a blocking read) cannot
/// starve its answers into the client's timeouts; an in-process run of leadsh runs on another
/// (`leadshInProcess`), as a process would have threads of its own.
public final class DispatchExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: a DispatchQueue, safe from any thread.
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
