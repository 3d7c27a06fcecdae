import Foundation
public import Logging
public import ReconCore
public import ReconPostgres
public import ServiceLifecycle
import Synchronization

/// What the applier reports as it goes (the server's metrics implement it).
public protocol CallbackApplyObserver: Sendable {
    /// One batch of stored callbacks was claimed and applied.
    func appliedBatch()
    /// One callback went through the apply path with this outcome (`error` when applying it failed).
    func processed(_ outcome: String, route: CallbackKind)
}

/// Applies stored callbacks off the request path: every committed batch wakes it, and it drains never-processed
/// callbacks in batches (``CallbackProcessor/applyNext(_:limit:now:schedule:)``) until none is left. Several
/// processes may run one each: rows another applier holds are skipped. What fails here waits for the sweep.
///
/// A service: the passes run in ``run()``. On graceful shutdown it finishes the pass asked for and returns; what
/// is stored after that is applied by the next start's first pass or by any other instance.
public final class CallbackApplier: Service, Sendable {
    private struct State {
        /// Wake-ups so far.
        var requested = 0
        /// Every wake-up up to this one was followed by a pass that found nothing more to take.
        var completed = 0
        var waiters: [(ticket: Int, target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var tickets = 0
        /// Tickets whose waiting was given up before they were registered.
        var abandoned: Set<Int> = []
    }

    private let pool: ConnectionPool
    private let batchSize: Int
    private let schedule: RetrySchedule
    private let metrics: any CallbackApplyObserver
    private let logger: Logger
    private let clock: any ReconClock
    private let state = Mutex(State())
    private let work = WorkSignal()

    /// An applier over `pool`, reporting to `metrics`.
    public init(
        pool: ConnectionPool, batchSize: Int, schedule: RetrySchedule, metrics: any CallbackApplyObserver,
        logger: Logger, clock: any ReconClock = SystemClock()
    ) {
        self.pool = pool
        self.batchSize = max(1, batchSize)
        self.schedule = schedule
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    /// Asks for a pass; the running pass, if any, is followed by another.
    public func wake() {
        state.withLock { $0.requested += 1 }
        work.signal()
    }

    /// Runs passes as they are asked for, until graceful shutdown.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                try? await gracefulShutdown()
                self.work.end()
            }
            group.addTask {
                // A wake-up raised during a pass is answered by that pass: only a request still unanswered
                // starts another (no empty claim query after every busy pass).
                while await self.work.wait() {
                    if self.unanswered { await self.passes() }
                }
                if self.unanswered { await self.passes() }
                self.releaseWaiters()
            }
        }
    }

    /// Returns once every callback stored before the call went through a pass (applied, or left unprocessed after
    /// an error), or after `deadline` if one is given (a pass over a large backlog can take long), or once the
    /// applier has stopped.
    public func caughtUp(within deadline: Duration? = nil) async {
        guard let deadline else { return await waitForPass() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForPass() }
            group.addTask { try? await Task.sleep(for: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForPass() async {
        let ticket = state.withLock { state in
            state.tickets += 1
            return state.tickets
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Bool in
                    guard state.completed < state.requested, !work.ended,
                        state.abandoned.remove(ticket) == nil
                    else { return false }
                    state.waiters.append((ticket, state.requested, continuation))
                    return true
                }
                if !wait { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.ticket == ticket }) else {
                    state.abandoned.insert(ticket)
                    return CheckedContinuation<Void, Never>?.none
                }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    /// Whether a wake-up came after the last completed pass began.
    private var unanswered: Bool { state.withLock { $0.completed < $0.requested } }

    /// Passes until no wake-up is left unanswered.
    private func passes() async {
        while true {
            let seen = state.withLock { $0.requested }
            await applyUntilEmpty()
            let (finished, ready) = state.withLock { state in
                state.completed = seen
                let ready = state.waiters.filter { $0.target <= seen }.map(\.continuation)
                state.waiters.removeAll { $0.target <= seen }
                return (state.requested == seen, ready)
            }
            for continuation in ready { continuation.resume() }
            if finished { return }
        }
    }

    private func releaseWaiters() {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func applyUntilEmpty() async {
        let (limit, schedule, clock) = (batchSize, schedule, clock)
        while true {
            do {
                let report = try await pool.withConnection { db in
                    try await CallbackProcessor.applyNext(db, limit: limit, now: clock.now, schedule: schedule)
                }
                if report.claimed > 0 { metrics.appliedBatch() }
                for item in report.outcomes { metrics.processed(item.outcome?.rawValue ?? "missing", route: item.kind) }
                if let failure = report.failure {
                    for _ in 0..<report.failed { metrics.processed("error", route: .stk) }
                    logger.error(
                        "callbacks stored but not applied; retried on the next pass",
                        metadata: ["recon.count": "\(report.failed)", "db.error": "\(failure)"])
                    return
                }
                if report.claimed < limit { return }
            } catch {
                metrics.processed("error", route: .stk)
                logger.error(
                    "stored callbacks not applied; retried on the next pass", metadata: ["db.error": "\(error)"])
                return
            }
        }
    }
}
