import Synchronization

/// How a service's long-lived worker tasks wait for work: ``wait()`` suspends until ``signal()`` (one waiting
/// worker wakes; with none waiting, the next ``wait()`` returns at once) or until ``end()``, after which every
/// ``wait()`` returns `false` so the workers finish what is queued and return. The workers are children of the
/// service's task group: nothing here starts a task.
package final class WorkSignal: Sendable {
    private struct State {
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var pending = false
        var ended = false
    }

    private let state = Mutex(State())

    /// A signal nobody has raised yet.
    package init() {}

    /// Whether ``end()`` was called.
    package var ended: Bool { state.withLock { $0.ended } }

    /// There is work: wakes one waiting worker, or lets the next ``wait()`` through.
    package func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.pending = true
                return nil
            }
            return state.waiting.removeFirst()
        }
        waiter?.resume(returning: true)
    }

    /// Returns `true` when there may be work, `false` once the service ends (or the waiting task is cancelled).
    package func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer = state.withLock { state -> Bool? in
                    if state.ended || Task.isCancelled { return false }
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiting.append(continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            end()
        }
    }

    /// The service is ending: every waiting and future ``wait()`` returns `false`.
    package func end() {
        let waiters = state.withLock { state in
            state.ended = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }
}
