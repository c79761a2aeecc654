import IntercomClient
import Journal
import LeadModel
import Synchronization

/// Drains the journal's outbox through the Intercom client.
///
/// Claim, then send: each row is marked `sending` in one transaction, the HTTP
/// call happens outside any transaction, the outcome is recorded in another.
/// Those transactions are shared (group commit): one records every outcome that
/// arrived meanwhile and claims the rows that start next, so a replay costs one
/// `fsync` per batch rather than two per update.
/// A lead's updates go in sequence order with one request in flight; different
/// leads go concurrently under one `RateBudget`.
public final class Replayer: Sendable {
    public let journal: Journal
    public let api: IntercomAPI
    public let clock: any WallClock
    public let jitter: any JitterSource
    public let budget: RateBudget

    public init(journal: Journal, api: IntercomAPI, clock: any WallClock = SystemClock(), jitter: any JitterSource = SystemJitter()) {
        self.journal = journal
        self.api = api
        self.clock = clock
        self.jitter = jitter
        self.budget = RateBudget(jitter: jitter)
    }

    /// Outcomes of the requests in flight, taken by the replay loop in batches.
    private final class Finished: Sendable {
        let outcomes = Mutex<[Outcome]>([])
    }

    enum Outcome: Sendable {
        case sent(JournalEntry, Contact, RateLimitInfo, alreadyApplied: Bool)
        case conflict(JournalEntry, FieldChanges)
        case failure(JournalEntry, IntercomError)
        case invalid(JournalEntry, String)
    }

    /// Sends what can be sent, waiting up to `options.maxWait` seconds through backoffs and rate limits.
    public func drain(_ options: ReplayOptions = ReplayOptions(), onEvent: @escaping @Sendable (ReplayEvent) -> Void = { _ in }) async -> ReplayReport {
        var report = ReplayReport()
        guard let lock = ReplayLock(journalPath: journal.path) else {
            report.stop = .busy
            report.counts = (try? journal.counts()) ?? JournalCounts()
            return report
        }
        defer { withExtendedLifetime(lock) {} }
        do {
            try journal.reconcileOrphans(now: clock.now())
        } catch {
            report.stop = .unreachable("journal: \(error)")
            return report
        }

        let deadline = clock.now() + options.maxWait
        var stop: ReplayStop?
        // The token's app, checked against the journal's before the first row is claimed.
        var tokenApp: String?

        // Outcomes land here; the loop takes every one that is ready at once.
        let finished = Finished()
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var taken = 0, reaped = 0
            var records: [ReplayRecord] = []
            var events: [ReplayEvent] = []
            while true {
                // Record what finished and claim what can start, in one transaction.
                var room = stop == nil && !Task.isCancelled ? options.concurrency - inFlight : 0
                if room > 0, tokenApp == nil, ((try? journal.unsentCount()) ?? 1) > 0 {
                    switch await checkApp() {
                    case .success(let app): tokenApp = app
                    case .failure(let refusal):
                        stop = refusal.stop
                        room = 0
                        // The rows that would have gone say why they did not, as if their
                        // own request had met the error; it is not an attempt.
                        if let error = refusal.error {
                            let due = (try? journal.recordAndClaim(records, claim: options.concurrency, now: clock.now())) ?? []
                            records = due.map {
                                .release(
                                    seq: $0.seq, countsAsAttempt: false, notBefore: 0, status: error.status, errorCode: error.code, error: error.description)
                            }
                        }
                    }
                }
                let now = clock.now()
                var claimed = (try? journal.recordAndClaim(records, claim: room, now: now)) ?? []
                records.removeAll(keepingCapacity: true)
                for event in events { onEvent(event) }
                events.removeAll(keepingCapacity: true)
                // A row recorded under another app than the token's goes back untouched.
                if let tokenApp, claimed.contains(where: { $0.appID != nil && $0.appID != tokenApp }) {
                    let foreign = claimed.first { $0.appID != nil && $0.appID != tokenApp }!
                    if stop == nil { stop = .wrongApp(journal: foreign.appID!, token: tokenApp) }
                    for entry in claimed {
                        records.append(.release(seq: entry.seq, countsAsAttempt: false, notBefore: 0, status: nil, errorCode: nil, error: nil))
                    }
                    claimed = []
                    _ = try? journal.recordAndClaim(records, claim: 0, now: now)
                    records.removeAll(keepingCapacity: true)
                }
                for entry in claimed {
                    inFlight += 1
                    let slot = budget.reserve(now: now)
                    if slot > now + 0.001 { onEvent(.pacing(until: slot)) }
                    group.addTask { [self] in
                        let outcome: Outcome
                        if await waitFor(slot) {
                            outcome = await deliver(entry, options: options)
                        } else {
                            outcome = .failure(entry, IntercomError(kind: .cancelled, detail: "cancelled"))
                        }
                        finished.outcomes.withLock { $0.append(outcome) }
                    }
                }
                if Task.isCancelled, stop == nil { stop = .cancelled }

                if inFlight == 0 {
                    if let stop {
                        report.stop = stop
                        break
                    }
                    // Nothing in flight and nothing ready: finished, or wait for the next due row.
                    guard let next = try? journal.nextAttemptTime() else {
                        report.stop = .finished
                        break
                    }
                    let due = max(next, budget.pausedUntil(now: clock.now()) ?? 0)
                    if due > deadline {
                        report.stop = .waiting(until: due)
                        break
                    }
                    do {
                        try await clock.sleep(until: due)
                    } catch {
                        report.stop = .cancelled
                        break
                    }
                    continue
                }

                // Wait for one outcome, then take all that are ready.
                var ready = finished.outcomes.withLock { outcomes in
                    defer { outcomes.removeAll(keepingCapacity: true) }
                    return outcomes
                }
                while ready.isEmpty {
                    guard await group.next() != nil else { break }
                    reaped += 1
                    ready = finished.outcomes.withLock { outcomes in
                        defer { outcomes.removeAll(keepingCapacity: true) }
                        return outcomes
                    }
                }
                inFlight -= ready.count
                taken += ready.count
                // A finished child stays in the group until `next()` returns it: reap the
                // ones whose outcome was taken (they are returning now), or a long replay
                // keeps every task it ever ran.
                while reaped < taken, await group.next() != nil { reaped += 1 }
                for outcome in ready {
                    let step = record(outcome, options: options, report: &report)
                    budget.complete()
                    if let write = step.record { records.append(write) }
                    if let event = step.event { events.append(event) }
                    if let newStop = step.stop, stop == nil { stop = newStop }
                }
            }
        }
        report.counts = (try? journal.counts()) ?? JournalCounts()
        return report
    }

    /// Why a replay may not start: carries the stop to report.
    private struct Refusal: Error {
        var stop: ReplayStop
        /// The API's error, when asking for the app met one.
        var error: IntercomError?
    }

    /// Learns the token's app (`GET /me`, once per process) and binds the journal to it, or
    /// refuses when the journal belongs to another app.
    private func checkApp() async -> Result<String, Refusal> {
        let app: IntercomApp
        do {
            app = try await api.app()
        } catch {
            switch (error.kind, error.status) {
            case (.cancelled, _): return .failure(Refusal(stop: .cancelled))
            case (.http, 401?), (.http, 403?): return .failure(Refusal(stop: .unauthorized(error.description), error: error))
            case (.tls, _), (.proxy, _): return .failure(Refusal(stop: .refused(error.description), error: error))
            case (.http, 400?) where error.code == "intercom_version_invalid":
                return .failure(Refusal(stop: .refused(error.description), error: error))
            case (.http, 429?):
                let until = budget.rateLimited(error.rateLimit, now: clock.now())
                return .failure(Refusal(stop: .waiting(until: until)))
            default: return .failure(Refusal(stop: .unreachable(error.description), error: error))
            }
        }
        do {
            if let other = try journal.bind(toApp: app.id) {
                return .failure(Refusal(stop: .wrongApp(journal: other, token: app.id)))
            }
        } catch {
            return .failure(Refusal(stop: .unreachable("journal: \(error)")))
        }
        return .success(app.id)
    }

    /// What one outcome does: the row's new state, the event to report once it is
    /// written, and a reason to stop the whole replay, if any.
    private struct Step {
        var record: ReplayRecord?
        var event: ReplayEvent?
        var stop: ReplayStop?
    }

    /// Counts one outcome in the report and decides what to write for it.
    private func record(_ outcome: Outcome, options: ReplayOptions, report: inout ReplayReport) -> Step {
        let now = clock.now()
        switch outcome {
        case .sent(let entry, let contact, let info, let alreadyApplied):
            budget.observe(info, now: now)
            if alreadyApplied { report.alreadyApplied += 1 } else { report.sent += 1 }
            return Step(record: .sent(seq: entry.seq, status: 200, lead: contact), event: .sent(entry, alreadyApplied: alreadyApplied))

        case .conflict(let entry, let theirs):
            report.conflicts += 1
            return Step(record: .conflict(seq: entry.seq, theirs: theirs), event: .conflict(entry))

        case .invalid(let entry, let message):
            report.failed += 1
            return Step(
                record: .failed(seq: entry.seq, status: nil, errorCode: "invalid_update", error: message),
                event: .failed(entry, message))

        case .failure(let entry, let error):
            budget.observe(error.rateLimit, now: now)
            switch (error.kind, error.status) {
            case (.cancelled, _):
                return Step(record: .release(seq: entry.seq, countsAsAttempt: false, notBefore: 0, status: nil, errorCode: nil, error: nil), stop: .cancelled)
            case (.unreachable, _), (.timeout, _):
                return Step(
                    record: .release(seq: entry.seq, countsAsAttempt: false, notBefore: 0, status: nil, errorCode: nil, error: error.description),
                    stop: .unreachable(error.description))
            case (.tls, _), (.proxy, _):
                // Trust or the proxy must change: nothing will get through until it does.
                return Step(
                    record: .release(seq: entry.seq, countsAsAttempt: false, notBefore: 0, status: nil, errorCode: nil, error: error.description),
                    stop: .refused(error.description))
            case (.http, 400?) where error.code == "intercom_version_invalid":
                return Step(
                    record: .release(
                        seq: entry.seq, countsAsAttempt: false, notBefore: 0, status: error.status, errorCode: error.code,
                        error: error.description),
                    stop: .refused(error.description))
            case (.http, 401?), (.http, 403?):
                return Step(
                    record: .release(
                        seq: entry.seq, countsAsAttempt: false, notBefore: 0, status: error.status, errorCode: error.code,
                        error: error.description),
                    stop: .unauthorized(error.description))
            case (.http, 429?):
                report.rateLimitedResponses += 1
                let until = budget.rateLimited(error.rateLimit, now: now)
                return Step(
                    record: .release(
                        seq: entry.seq, countsAsAttempt: false, notBefore: until, status: 429, errorCode: error.code,
                        error: error.description),
                    event: .rateLimited(until: until))
            case (.http, let status?) where status >= 500 || status == 408:
                return retryOrFail(entry, error, options: options, report: &report, now: now)
            case (.connectionLost, _), (.invalidResponse, _):
                return retryOrFail(entry, error, options: options, report: &report, now: now)
            default:
                report.failed += 1
                return Step(
                    record: .failed(seq: entry.seq, status: error.status, errorCode: error.code, error: error.description),
                    event: .failed(entry, error.description))
            }
        }
    }

    private func retryOrFail(_ entry: JournalEntry, _ error: IntercomError, options: ReplayOptions, report: inout ReplayReport, now: Double) -> Step {
        if options.backoff.isExhausted(afterAttempts: entry.attempts) {
            let message = "\(error.description) (gave up after \(entry.attempts) attempts)"
            report.failed += 1
            return Step(
                record: .failed(seq: entry.seq, status: error.status, errorCode: error.code, error: message),
                event: .failed(entry, message))
        }
        let until = now + options.backoff.delay(afterAttempt: entry.attempts, jitter: jitter)
        return Step(
            record: .release(
                seq: entry.seq, countsAsAttempt: true, notBefore: until, status: error.status, errorCode: error.code,
                error: error.description),
            event: .retryLater(entry, until: until, error.description))
    }

    /// Sends one claimed row in the client's dialect, re-reading the lead first when its
    /// cached copy may be stale.
    ///
    /// The journal holds what to change; this renders it for the API version of the
    /// session that sends it. A field that dialect cannot write fails the row (nothing
    /// is sent). Under 2.x a row that names its lead only by `user_id` finds the
    /// contact by `external_id` first; that search also serves as the re-read.
}
