import Dispatch

/// A serial executor over a private dispatch queue, so that blocking libpq calls never run on
/// Swift's cooperative thread pool.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: the queue is immutable and DispatchQueue is thread-safe.
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
