internal import CCurl
import Foundation
import Synchronization

/// Runs every transfer of one client on one dedicated thread that sleeps in `curl_multi_poll`, so no libcurl
/// call ever blocks a thread of Swift's cooperative pool. Other threads only touch the locked inbox and wake
/// the loop.
final class TransferEngine: Sendable {
    private struct Inbox: Sendable {
        var nextID: UInt64 = 0
        /// Handed in by `send`, not yet seen by the loop.
        var submitted: [Submission] = []
        /// Cancelled ids; an id stays here until the loop or `submit` has acted on it, or `forget` drops it.
        var cancelled: Set<UInt64> = []
        var closed = false
    }

    private struct Delivery: Sendable {
        var closed: Bool
        var submissions: [Submission]
        var cancellations: [UInt64]
    }

    private let multi: MultiHandle
    private let inbox = Mutex(Inbox())
    private let limit: Int

    init(limit: Int) throws(HTTPClientError) {
        self.multi = try MultiHandle.make(maxTransfers: limit)
        self.limit = limit
    }

    /// Starts the loop thread; it holds the engine until the engine is shut down.
    func start() {
        let thread = Thread { [self] in
            run()
        }
        thread.name = "ReconHTTP.curl"
        thread.start()
    }

    func makeID() -> UInt64 {
        inbox.withLock { inbox in
            inbox.nextID += 1
            return inbox.nextID
        }
    }

    /// Queues `submission` for the loop, or fails it at once when the engine is closed or it was cancelled.
    func submit(_ submission: Submission) {
        let refusal: HTTPClientError.Code? = inbox.withLock { inbox in
            if inbox.closed {
                return .shutdown
            }
            if inbox.cancelled.remove(submission.id) != nil {
                return .cancelled
            }
            inbox.submitted.append(submission)
            return nil
        }
        if let refusal {
            submission.fail(refusal)
        } else {
            multi.wakeup()
        }
    }

    /// Asks the loop to abort transfer `id`; called from cancellation handlers on any thread.
    func cancel(_ id: UInt64) {
        let isOpen = inbox.withLock { inbox in
            guard !inbox.closed else { return false }
            inbox.cancelled.insert(id)
            return true
        }
        if isOpen {
            multi.wakeup()
        }
    }

    /// Drops a cancellation that arrived after transfer `id` had already finished.
    func forget(_ id: UInt64) {
        inbox.withLock { inbox in
            _ = inbox.cancelled.remove(id)
        }
    }

    /// Fails queued and running transfers with `.shutdown` and lets the loop thread end. Idempotent.
    func shutdown() {
        let orphans = close()
        for orphan in orphans ?? [] {
            orphan.fail(.shutdown)
        }
        if orphans != nil {
            multi.wakeup()
        }
    }

    /// Marks the engine closed; returns the submissions the loop never saw, or nil when it was closed already.
    private func close() -> [Submission]? {
        inbox.withLock { inbox in
            guard !inbox.closed else { return nil }
            inbox.closed = true
            defer { inbox.submitted = [] }
            return inbox.submitted
        }
    }

    private func run() {
        var loop = TransferLoop(multi: multi.raw, limit: limit)
        while true {
            let delivery = collect(knownIDs: loop.liveIDs)
            if delivery.closed {
                loop.abortAll(HTTPClientError(code: .shutdown))
                return
            }
            loop.waiting.append(contentsOf: delivery.submissions)
            for id in delivery.cancellations {
                loop.cancel(id)
            }
            loop.startWaiting()
            do throws(HTTPClientError) {
                var running: Int32 = 0
                try check(curl_multi_perform(multi.raw, &running), nil)
                loop.collectFinished()
                loop.startWaiting()
                // Wakes on socket activity, on libcurl's own timers, on `wakeup`, or after a second at most.
                try check(curl_multi_poll(multi.raw, nil, 0, 1000, nil), nil)
            } catch {
                // The multi handle is unusable: nothing queued or running can complete any more.
                for orphan in close() ?? [] {
                    orphan.fail(error)
                }
                loop.abortAll(error)
                return
            }
        }
    }

    /// Takes new submissions and the cancellations the loop can act on; ids it does not know yet stay for
    /// `submit` to find.
    private func collect(knownIDs: Set<UInt64>) -> Delivery {
        inbox.withLock { inbox in
            let submissions = inbox.submitted
            inbox.submitted = []
            var cancellations: [UInt64] = []
            if !inbox.cancelled.isEmpty {
                let known = knownIDs.union(submissions.map(\.id))
                cancellations = inbox.cancelled.filter { known.contains($0) }
                inbox.cancelled.subtract(cancellations)
            }
            return Delivery(closed: inbox.closed, submissions: submissions, cancellations: cancellations)
        }
    }
}

/// The loop thread's own state: transfers in the multi handle and submissions waiting for a free slot.
private struct TransferLoop {
    let multi: UnsafeMutableRawPointer
    let limit: Int
    var active: [UnsafeMutableRawPointer: Transfer] = [:]
    var waiting: [Submission] = []

    init(multi: UnsafeMutableRawPointer, limit: Int) {
        self.multi = multi
        self.limit = limit
    }

    var liveIDs: Set<UInt64> {
        Set(waiting.map(\.id)).union(active.values.map(\.id))
    }

    mutating func startWaiting() {
        while active.count < limit, !waiting.isEmpty {
            start(waiting.removeFirst())
        }
    }

    /// Time spent waiting for a slot counts against the total deadline.
    private mutating func start(_ submission: Submission) {
        let remaining = submission.request.totalTimeout - (ContinuousClock.now - submission.submittedAt)
        guard remaining > .zero else {
            submission.fail(.timedOut)
            return
        }
        let transfer: Transfer
        do throws(HTTPClientError) {
            transfer = try Transfer(submission, remaining: remaining)
            try check(curl_multi_add_handle(multi, transfer.handle), submission.target)
        } catch {
            submission.fail(error)
            return
        }
        active[transfer.handle] = transfer
    }

    mutating func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            // Copied out first: removing the handle invalidates the message.
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let result = message.pointee.data.result
            active.removeValue(forKey: handle)?.end(.finished(result), multi: multi)
        }
    }

    mutating func cancel(_ id: UInt64) {
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            waiting.remove(at: index).fail(.cancelled)
        } else if let handle = active.first(where: { $0.value.id == id })?.key {
            active.removeValue(forKey: handle)?.end(.aborted(HTTPClientError(code: .cancelled)), multi: multi)
        }
    }

    mutating func abortAll(_ error: HTTPClientError) {
        for submission in waiting {
            submission.fail(error)
        }
        waiting = []
        for transfer in active.values {
            transfer.end(.aborted(error), multi: multi)
        }
        active = [:]
    }
}
