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
        api.rateHold.attach(JournalRateHold(journal: journal))
    }

    /// Outcomes of the requests in flight, taken by the replay loop in batches.
    private final class Finished: Sendable {
        let outcomes = Mutex<[Outcome]>([])
    }

    enum Outcome: Sendable {
        case sent(JournalEntry, Contact, RateLimitInfo, alreadyApplied: Bool)
        /// A tags or note row delivered (or found already delivered); no lead comes back.
        case done(JournalEntry, RateLimitInfo, alreadyApplied: Bool)
        /// A merge delivered (or found landed): the user the lead became.
        case merged(JournalEntry, Contact, RateLimitInfo, alreadyApplied: Bool)
        case conflict(JournalEntry, FieldChanges)
        case failure(JournalEntry, IntercomError)
        case invalid(JournalEntry, String)
        /// Not sent: the rate-limit hold ends after the replay's deadline.
        case held(JournalEntry, until: Double)
    }

    /// Sends what can be sent, waiting up to `options.maxWait` seconds through backoffs and rate limits.
    ///
    /// Every failure, of a row's call, of the app check, or of the journal, is decided by the
    /// ``FailurePolicy``. "sent" in the report counts only what the journal recorded as sent.
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
            // The hold any process recorded: its rate-limit window binds this replay too.
            budget.hold(until: try journal.rateLimitHold() ?? 0)
        } catch {
            report.stop = stopFor(error)
            report.counts = (try? journal.counts()) ?? JournalCounts()
            return report
        }

        let deadline = clock.now() + options.maxWait
        var stop: ReplayStop?
        // The token's app, checked against the journal's before the first row is claimed.
        var tokenApp: String?
        // The app check's own retries (a 5xx on `GET /me`), under the row's retry backoff.
        var appCheckFailures = 0
        var appCheckAfter = 0.0

        // Outcomes land here; the loop takes every one that is ready at once.
        let finished = Finished()
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var taken = 0, reaped = 0
            var records: [ReplayRecord] = []
            // What the records count once they are written: nothing counts before.
            var tallies: [WritableKeyPath<ReplayReport, Int>] = []
            var events: [ReplayEvent] = []
            while true {
                var room = stop == nil && !Task.isCancelled ? options.concurrency - inFlight : 0
                // A window whose figures are unknown gets one request at a time (slow start).
                if room > 0, !budget.knowsWindow(now: clock.now()) { room = inFlight == 0 ? 1 : 0 }
                if room > 0, tokenApp == nil {
                    room = 0
                    let now = clock.now()
                    if now >= appCheckAfter, budget.pausedUntil(now: now) == nil, ((try? journal.unsentCount()) ?? 1) > 0 {
                        // Within the replay's deadline, as every row's request is: a hold another
                        // process recorded must not keep `GET /me` waiting past `--wait`.
                        switch await IntercomAPI.$holdDeadline.withValue(deadline, operation: { await checkApp() }) {
                        case .success(let app):
                            tokenApp = app
                            room = budget.knowsWindow(now: clock.now()) ? options.concurrency - inFlight : (inFlight == 0 ? 1 : 0)
                        case .failure(let refusal):
                            switch refusal {
                            case .wrongApp(let journalApp, let token):
                                stop = .wrongApp(journal: journalApp, token: token)
                            case .journal(let error):
                                stop = stopFor(error)
                            case .intercom(let error):
                                let rule = FailurePolicy.rule(for: error)
                                switch rule.disposition {
                                case .wait:
                                    report.rateLimitedResponses += 1
                                    onEvent(.rateLimited(until: budget.rateLimited(error.rateLimit, now: clock.now())))
                                case .retry:
                                    appCheckFailures += 1
                                    if options.backoff.isExhausted(afterAttempts: appCheckFailures) {
                                        stop = .unreachable("\(error.description) (GET /me gave up after \(appCheckFailures) attempts)")
                                    } else {
                                        appCheckAfter = clock.now() + options.backoff.delay(afterAttempt: appCheckFailures, jitter: jitter)
                                    }
                                case .stop(let cause):
                                    stop = ReplayStop(cause, error.description) ?? .refused(error.description)
                                    if cause != .cancelled {
                                        // The rows that would have gone say why they did not, as if
                                        // their own request had met the error; it is not an attempt.
                                        var due: [JournalEntry] = []
                                        do {
                                            due = try journal.recordAndClaim(records, claim: options.concurrency, now: clock.now())
                                        } catch {
                                            stop = stopFor(error)
                                        }
                                        records = due.map { releasing($0, error, rule: rule, notBefore: 0) }
                                    }
                                case .fail, .conflict:
                                    // `GET /me` refused in a way no retry helps: nothing can be sent.
                                    stop = .refused(error.description)
                                }
                            }
                        }
                    }
                }
                // Keep the rate-limit hold for the next process, then record what finished and
                // claim what can start, in one transaction.
                let now = clock.now()
                var claimed: [JournalEntry] = []
                // A hold the client learnt from any answer (its own requests record it in the
                // journal for other processes) pauses the claims too; each request still reads
                // the journal's before it leaves, for holds other processes met meanwhile.
                budget.hold(until: api.rateHold.known)
                do {
                    claimed = try journal.recordAndClaim(records, claim: room, now: now)
                    for tally in tallies { report[keyPath: tally] += 1 }
                    for event in events { onEvent(event) }
                } catch {
                    // Nothing of this batch was written: the rows stay `sending` until the next
                    // replay takes them back and sends them again (an update is absolute).
                    if stop == nil || stop.map(Replayer.isJournalStop) != true { stop = stopFor(error) }
                }
                records.removeAll(keepingCapacity: true)
                tallies.removeAll(keepingCapacity: true)
                events.removeAll(keepingCapacity: true)
                // A row recorded under another app than the token's goes back untouched.
                if let tokenApp, let foreign = claimed.first(where: { $0.appID != nil && $0.appID != tokenApp }) {
                    if stop == nil { stop = .wrongApp(journal: foreign.appID!, token: tokenApp) }
                    let released = claimed.map {
                        ReplayRecord.release(seq: $0.seq, countsAsAttempt: false, notBefore: 0, status: nil, errorCode: nil, error: nil)
                    }
                    claimed = []
                    do {
                        _ = try journal.recordAndClaim(released, claim: 0, now: now)
                    } catch {
                        stop = stopFor(error)
                    }
                }
                for entry in claimed {
                    inFlight += 1
                    let slot = budget.reserve(now: now)
                    if slot > now + 0.001 { onEvent(.pacing(until: slot)) }
                    group.addTask { [self] in
                        let outcome: Outcome
                        if slot > deadline, slot > clock.now() + 0.001 {
                            // Its slot (a rate-limit pause, the pacing) comes after the wait allowed.
                            outcome = .held(entry, until: slot)
                        } else if await waitFor(slot) {
                            outcome = await IntercomAPI.$holdDeadline.withValue(deadline) {
                                await deliver(entry, options: options, deadline: deadline)
                            }
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
                    let next: Double?
                    do {
                        next = try journal.nextAttemptTime()
                    } catch {
                        report.stop = stopFor(error)
                        break
                    }
                    guard let next else {
                        report.stop = .finished
                        break
                    }
                    var due = max(next, budget.pausedUntil(now: clock.now()) ?? 0)
                    if tokenApp == nil { due = max(due, appCheckAfter) }
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
                    if let tally = step.tally { tallies.append(tally) }
                    if let event = step.event { events.append(event) }
                    if let newStop = step.stop, stop == nil { stop = newStop }
                }
            }
        }
        report.counts = (try? journal.counts()) ?? JournalCounts()
        return report
    }

    /// The journal as the client's rate-limit store (meta `rate_limit_until`).
    private struct JournalRateHold: RateHoldStore {
        let journal: Journal
        func recordedHold() -> Double? { try? journal.rateLimitHold() }
        func record(hold: Double) { try? journal.recordRateLimitHold(until: hold) }
    }

    /// Why the app check did not name the token's app.
    private enum Refusal: Error {
        case intercom(IntercomError)
        case journal(JournalError)
        case wrongApp(journal: String, token: String)
    }

    /// Learns the token's app (`GET /me`, once per process, within the rate budget) and binds
    /// the journal to it, or refuses when the journal belongs to another app.
    private func checkApp() async -> Result<String, Refusal> {
        let app: IntercomApp
        do {
            if api.cachedApp == nil {
                let slot = budget.reserve(now: clock.now())
                defer { budget.complete() }
                guard await waitFor(slot) else { return .failure(.intercom(IntercomError(kind: .cancelled, detail: "cancelled"))) }
            }
            app = try await api.app()
        } catch {
            if error.status != nil { budget.observe(error.rateLimit, now: clock.now()) }
            return .failure(.intercom(error))
        }
        do {
            if let other = try journal.bind(toApp: app.id) {
                return .failure(.wrongApp(journal: other, token: app.id))
            }
        } catch {
            return .failure(.journal(error))
        }
        return .success(app.id)
    }

    /// The stop a journal failure makes: one line naming the journal and the cause.
    func stopFor(_ error: any Error) -> ReplayStop {
        let cause = (error as? JournalError).map { $0.causeWords ?? $0.message } ?? "\(error)"
        return .journal(
            "cannot write the journal \(journal.path) (\(cause)); the replay stopped and every update stays pending "
                + "(one sent but not recorded is sent again by the next sync)")
    }

    private static func isJournalStop(_ stop: ReplayStop) -> Bool {
        if case .journal = stop { return true }
        return false
    }

    /// A claimed row given back to `pending` because of `error`, with the policy's attempt rule.
    private func releasing(_ entry: JournalEntry, _ error: IntercomError, rule: FailureRule, notBefore: Double) -> ReplayRecord {
        .release(
            seq: entry.seq, countsAsAttempt: rule.countsAsAttempt, notBefore: notBefore, status: error.status, errorCode: error.code,
            error: rule.kind == .cancelled ? nil : error.description)
    }

    /// What one outcome does: the row's new state, what it counts once written, the event
    /// to report once it is written, and a reason to stop the whole replay, if any.
    private struct Step {
        var record: ReplayRecord?
        var tally: WritableKeyPath<ReplayReport, Int>?
        var event: ReplayEvent?
        var stop: ReplayStop?
    }

    /// Decides what to write for one outcome, by the failure policy.
    private func record(_ outcome: Outcome, options: ReplayOptions, report: inout ReplayReport) -> Step {
        let now = clock.now()
        switch outcome {
        case .sent(let entry, let contact, let info, let alreadyApplied):
            budget.observe(info, now: now)
            return Step(
                record: .sent(seq: entry.seq, status: 200, lead: contact), tally: alreadyApplied ? \.alreadyApplied : \.sent,
                event: .sent(entry, alreadyApplied: alreadyApplied))

        case .done(let entry, let info, let alreadyApplied):
            budget.observe(info, now: now)
            return Step(
                record: .sent(seq: entry.seq, status: 200, lead: nil), tally: alreadyApplied ? \.alreadyApplied : \.sent,
                event: .sent(entry, alreadyApplied: alreadyApplied))

        case .merged(let entry, let user, let info, let alreadyApplied):
            budget.observe(info, now: now)
            return Step(
                record: .merged(seq: entry.seq, user: user), tally: alreadyApplied ? \.alreadyApplied : \.sent,
                event: .sent(entry, alreadyApplied: alreadyApplied))

        case .conflict(let entry, let theirs):
            return Step(record: .conflict(seq: entry.seq, theirs: theirs), tally: \.conflicts, event: .conflict(entry))

        case .held(let entry, let until):
            return Step(record: .release(seq: entry.seq, countsAsAttempt: false, notBefore: until, status: nil, errorCode: nil, error: nil))

        case .invalid(let entry, let message):
            return Step(
                record: .failed(seq: entry.seq, status: nil, errorCode: "invalid_update", error: message), tally: \.failed,
                event: .failed(entry, message))

        case .failure(let entry, let error):
            if error.status != nil { budget.observe(error.rateLimit, now: now) }
            let rule = FailurePolicy.rule(for: error, row: entry.kind)
            if rule.kind == .notFound || rule.kind == .gone, entry.kind != .merge, let id = entry.lead.id,
                let user = try? journal.mergedInto(leadID: id), user.id != id
            {
                // The lead is gone because leadsh merged it: the row follows it to the user.
                return Step(record: .followedMerge(seq: entry.seq, user: user), event: .followedMerge(entry, user: user))
            }
            switch rule.disposition {
            case .stop(let cause):
                return Step(
                    record: releasing(entry, error, rule: rule, notBefore: 0),
                    stop: ReplayStop(cause, error.description) ?? .refused(error.description))
            case .wait:
                report.rateLimitedResponses += 1
                let until = budget.rateLimited(error.rateLimit, now: now)
                return Step(record: releasing(entry, error, rule: rule, notBefore: until), event: .rateLimited(until: until))
            case .retry:
                return retryOrFail(entry, error, options: options, now: now)
            case .fail, .conflict:
                // A 400 to a row made under the other dialect (a custom attribute 1.4 would
                // have created, say) says how to send it as it was made.
                let message: String
                if rule.kind == .forbidden {
                    message = Replayer.forbiddenMessage(entry, error)
                } else {
                    let hint = error.status == 400 ? Replayer.resendHint(entry, version: api.configuration.apiVersion) ?? "" : ""
                    message = error.description + hint
                }
                return Step(
                    record: .failed(seq: entry.seq, status: error.status, errorCode: error.code, error: message), tally: \.failed,
                    event: .failed(entry, message))
            }
        }
    }

    private func retryOrFail(_ entry: JournalEntry, _ error: IntercomError, options: ReplayOptions, now: Double) -> Step {
        if options.backoff.isExhausted(afterAttempts: entry.attempts) {
            let message = "\(error.description) (gave up after \(entry.attempts) attempts)"
            return Step(
                record: .failed(seq: entry.seq, status: error.status, errorCode: error.code, error: message), tally: \.failed,
                event: .failed(entry, message))
        }
        let until = now + options.backoff.delay(afterAttempt: entry.attempts, jitter: jitter)
        return Step(
            record: .release(
                seq: entry.seq, countsAsAttempt: true, notBefore: until, status: error.status, errorCode: error.code,
                error: error.description),
            event: .retryLater(entry, until: until, error.description))
    }

}
