import GRDB
import Synchronization

/// Storage failures made to happen on purpose, at chosen writes: the seam the simulator and
/// the tests use to fill the disk or break it without a real device.
///
/// Each write transaction that changed something asks ``check()`` before its `COMMIT`; a planned
/// failure throws SQLite's own error (`SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_BUSY`), so the
/// journal's rollback and every caller's error handling run exactly as for a real one. "The
/// write N from now" counts only such transactions.
public final class StorageFaults: Sendable {
    /// A storage failure.
    public enum Fault: Sendable, Hashable {
        case diskFull
        case ioError
        case busy
    }

    private struct State {
        /// Writes checked so far.
        var writes = 0
        /// Write number -> the failure it meets.
        var planned: [Int: Fault] = [:]
        /// Every write fails this way until cleared (a disk that stays full).
        var always: Fault?
    }

    private let state = Mutex(State())
    /// Asked at every write with no planned failure: the simulator's crash and disk state.
    private let decide: (@Sendable () -> Fault?)?

    /// - Parameter decide: asked at every write that has no planned failure; a failure it
    ///   answers is thrown.
    public init(decide: (@Sendable () -> Fault?)? = nil) {
        self.decide = decide
    }

    /// Write transactions that changed something so far (failed ones included).
    public var writes: Int { state.withLock { $0.writes } }

    /// Makes the write `after` writes from now fail (0: the next one).
    public func fail(_ fault: Fault, after writes: Int = 0) {
        state.withLock { $0.planned[$0.writes + writes] = fault }
    }

    /// Makes every write fail until ``clear()`` (nil clears only this).
    public func failAlways(_ fault: Fault?) {
        state.withLock { $0.always = fault }
    }

    /// Forgets every planned failure.
    public func clear() {
        state.withLock {
            $0.planned.removeAll()
            $0.always = nil
        }
    }

    /// Counts a write and throws its planned failure, if any.
    func check() throws {
        let planned = state.withLock { s -> Fault? in
            defer { s.writes += 1 }
            return s.planned.removeValue(forKey: s.writes) ?? s.always
        }
        let decided = decide?()
        switch planned ?? decided {
        case nil: return
        case .diskFull?: throw DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
        case .ioError?: throw DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error")
        case .busy?: throw DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        }
    }
}
